"""The doctorqna sandbox: deterministic, faithful to docs/sites/doctorqna.md, and crawlable like a real site."""

from __future__ import annotations

import hashlib
import http.client
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from urllib.parse import parse_qs, urlsplit
from xml.etree import ElementTree

import lxml.html
import pytest

from qacrawler.sandbox import DoctorQnaSite, SandboxServer
from qacrawler.sandbox.doctorqna import FIRST_ID, LAST_ID
from qacrawler.sandbox.doctorqna_layouts import LAYOUTS
from qacrawler.sandbox.doctorqna_text import slugify
from tests.planted_pii import LOOKALIKE_KINDS, assert_masking_matches_planting

SITEMAP_NS = {"sm": "http://www.sitemaps.org/schemas/sitemap/0.9"}
_BLOCKS = {
    "address", "article", "aside", "blockquote", "body", "dd", "div", "dl", "dt", "figure", "footer", "form",
    "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "html", "li", "main", "nav", "ol", "p", "pre", "section",
    "table", "tbody", "td", "th", "thead", "tr", "ul",
}
_CHROME = {"script", "style", "noscript", "template", "nav", "header", "footer", "head", "title"}


def _is_chrome(element: lxml.html.HtmlElement) -> bool:
    return element.tag in _CHROME or element.get("hidden") is not None or element.get("role") == "navigation"


def visible_lines(body: bytes) -> list[str]:
    """The contract's reading of a page: blocks and <br> break lines, chrome and comments are dropped."""
    chunks: list[str] = []

    def walk(element: lxml.html.HtmlElement) -> None:
        if isinstance(element.tag, str) and not _is_chrome(element):  # comments have a function as tag
            block = element.tag in _BLOCKS
            chunks.append("\n" if block or element.tag == "br" else "")
            chunks.append(element.text or "")
            for child in element:
                walk(child)
            chunks.append("\n" if block else "")
        chunks.append(element.tail or "")

    walk(lxml.html.document_fromstring(body.decode("utf-8")))
    return [" ".join(line.split()) for line in "".join(chunks).split("\n") if line.strip()]


def content_lines(lines: list[str]) -> list[str]:
    """Layouts may put `Ask Date:` in its own block and glue labels to values; the contract reads both alike."""
    merged: list[str] = []
    for line in lines:
        line = re.sub(r"^(Ask|Reply) Date: ?", r"\1 Date: ", line)
        if line.startswith("Ask Date: "):
            merged[-1] += " " + line
        else:
            merged.append(line)
    return merged


def expected_lines(truth: dict) -> list[str]:
    asker = truth["asker"]
    lines = [
        truth["title"],
        *truth["question"].split("\n"),
        f"{asker['name']}, {asker['age_min']}~{asker['age_max']} year old {asker['gender']}. "
        f"Ask Date: {truth['ask_date']:%Y/%m/%d}",
        f"Dr. {truth['doctor']['name']} reply {truth['department']}",
        *truth["answer"].split("\n"),
        f"Reply Date: {truth['reply_date']:%Y/%m/%d}",
        "More Info",
        *truth["more_info"].split("\n"),
    ]
    if truth["similar_questions"]:
        lines.append("Similar Q&A")
        for entry in truth["similar_questions"]:
            lines += [
                entry["title"],
                entry["question_excerpt"],
                f"Dr. {entry['doctor_name']} reply {entry['department']}",
                f"{entry['answer_excerpt']}[Read More] {entry['title']}",
            ]
    if truth["related_faqs"]:
        lines.append("Related FAQ")
        lines += [f"{faq['topic'] or ''}({faq['department']})" for faq in truth["related_faqs"]]
    return lines


def article_id_of(path: str) -> int:
    return int(path.rsplit("/", 1)[1])


def fetch(server: SandboxServer, path: str, method: str = "GET") -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(server.base_url + path, method=method)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, dict(error.headers), error.read()


@pytest.fixture(scope="module")
def site() -> DoctorQnaSite:
    return DoctorQnaSite(pages=300, seed=7)


@pytest.fixture(scope="module")
def big_site() -> DoctorQnaSite:
    """Enough articles for several sitemap files and multi-page listings."""
    return DoctorQnaSite(pages=1200, seed=7)


@pytest.fixture(scope="module")
def good_ids(site: DoctorQnaSite) -> list[int]:
    return [article_id for article_id in site.article_ids() if article_id not in site.broken()]


# --- determinism and shape ---------------------------------------------------------------------


def _sample_paths(site: DoctorQnaSite) -> list[str]:
    return [f"/en/article/{article_id}" for article_id in site.article_ids()[::7]] + [
        "/sitemap.xml", "/sitemaps/articles-1.xml", "/robots.txt", "/en/", "/en/department/neurology",
        "/en/faq/neurology", "/en/faq/neurology/stroke",
    ]


def test_same_seed_gives_same_bytes_whatever_the_rendering_order():
    first, second = DoctorQnaSite(pages=150, seed=7), DoctorQnaSite(pages=150, seed=7)
    paths = _sample_paths(first)
    rendered_backwards = {path: second.render(path) for path in reversed(paths)}
    assert [first.render(path) for path in paths] == [rendered_backwards[path] for path in paths]


def test_another_seed_gives_another_site():
    first, other = DoctorQnaSite(pages=150, seed=7), DoctorQnaSite(pages=150, seed=8)
    assert first.article_ids() != other.article_ids()
    assert first.render("/sitemaps/articles-1.xml") != other.render("/sitemaps/articles-1.xml")


def test_output_does_not_depend_on_the_interpreter_hash_seed():
    script = (
        "import hashlib; from qacrawler.sandbox import DoctorQnaSite\n"
        "site = DoctorQnaSite(pages=120, seed=3)\n"
        "print(hashlib.sha256(b''.join(site.render(f'/en/article/{i}')[2] for i in site.article_ids())).hexdigest())"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    child = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)
    site = DoctorQnaSite(pages=120, seed=3)
    here = hashlib.sha256(b"".join(site.render(f"/en/article/{i}")[2] for i in site.article_ids())).hexdigest()
    assert child.stdout.strip() == here


def test_ids_are_unique_ascending_4_to_6_digits_and_rise_with_the_ask_date(site, good_ids):
    ids = DoctorQnaSite(pages=1200).article_ids()
    assert len(ids) == 1200 and ids == sorted(set(ids))
    assert ids[0] >= FIRST_ID and ids[-1] <= LAST_ID
    assert {len(str(article_id)) for article_id in ids} == {4, 5, 6}

    truths = [site.truth(article_id) for article_id in good_ids]
    ask_dates = [truth["ask_date"] for truth in truths]
    assert ask_dates == sorted(ask_dates)
    assert date(2000, 1, 1) <= ask_dates[0] and ask_dates[-1] <= date(2024, 12, 31)
    delays = Counter((truth["reply_date"] - truth["ask_date"]).days for truth in truths)
    assert set(delays) <= {0, 1, 2, 3} and delays[0] > 0.7 * len(truths) and len(delays) > 1


@pytest.mark.parametrize(("pages", "per_kind"), [(10, 0), (20, 1), (100, 2), (1200, 12)])
def test_about_two_percent_are_broken_in_both_kinds(pages, per_kind):
    broken = DoctorQnaSite(pages=pages).broken()
    assert Counter(broken.values()) == Counter({"truncated": per_kind, "reply_missing": per_kind})


def test_truth_refuses_broken_and_unknown_articles(site):
    for article_id in site.broken():
        with pytest.raises(KeyError):
            site.truth(article_id)
    missing = next(i for i in range(FIRST_ID, LAST_ID) if i not in set(site.article_ids()))
    for article_id in (missing, FIRST_ID - 1, 999999):
        with pytest.raises(KeyError):
            site.truth(article_id)


def test_all_three_layouts_are_used_in_roughly_equal_shares(big_site):
    shares = Counter(big_site.layout(article_id) for article_id in big_site.article_ids())
    assert set(shares) == set(LAYOUTS)
    assert min(shares.values()) > 0.25 * big_site.pages


# --- article pages against the ground truth ------------------------------------------------------


def test_every_good_article_shows_exactly_its_truth_in_contract_order(site, good_ids):
    for article_id in good_ids:
        status, headers, body = site.render(f"/en/article/{article_id}")
        assert status == 200 and headers["Content-Type"] == "text/html; charset=utf-8"
        assert int(headers["Content-Length"]) == len(body)
        truth = site.truth(article_id)
        lines = visible_lines(body)
        title_at = lines.index(truth["title"])
        assert content_lines(lines[title_at:]) == expected_lines(truth), article_id

        heading = f"- {truth['department']}"
        before_title = {
            "semantic": lines[0].endswith(heading) and lines[1:title_at] == ["Share to:", "Facebook", "LINE", "X"],
            "legacy": lines[:title_at] == ["DoctorQnA", "Departments", "Similar Q&A", "Related FAQ", "Search"],
            "generated": title_at == 1 and lines[0].endswith(heading),
        }
        assert before_title[site.layout(article_id)], (article_id, lines[:title_at])

        hrefs = iter(lxml.html.document_fromstring(body.decode()).xpath("//a/@href"))
        linked = [entry["url"] for entry in truth["similar_questions"]] + [faq["url"] for faq in truth["related_faqs"]]
        assert all(url in hrefs for url in linked), article_id  # in page order


def test_traps_stay_out_of_the_visible_text(site, good_ids):
    for article_id in good_ids[:60]:
        _, _, body = site.render(f"/en/article/{article_id}")
        text = "\n".join(visible_lines(body))
        assert b"1999/01/01" in body and b"Dr. Fake reply Surgery" in body
        assert "1999/01/01" not in text and "Fake" not in text


def test_generated_layout_splits_title_words_and_glues_spans(site, good_ids):
    generated = [article_id for article_id in good_ids if site.layout(article_id) == "generated"]
    bodies = [site.render(f"/en/article/{article_id}")[2].decode() for article_id in generated]
    assert all(re.search(r"\w</span><span>\w", body) for body in bodies)  # a word cut in two
    assert any("Ask Date:</span><span" in body for body in bodies)
    assert all(re.search(r"<span>Dr\. </span><span>[^<]+</span><span> reply </span>", body) for body in bodies)
    assert len({re.search(r'class="(c-[0-9a-f]{5})"', body)[1] for body in bodies}) > len(bodies) // 2


def test_legacy_layout_is_an_uppercase_table_without_doctype(site, good_ids):
    legacy = [article_id for article_id in good_ids if site.layout(article_id) == "legacy"]
    for article_id in legacy[:20]:
        body = site.render(f"/en/article/{article_id}")[2]
        assert body.startswith(b"<HTML>") and b"<TABLE" in body and b"<BR>" in body and b"<!DOCTYPE" not in body


def test_similar_questions_describe_the_linked_good_articles(site, good_ids):
    for article_id in good_ids:
        for entry in site.truth(article_id)["similar_questions"]:
            target_id = article_id_of(entry["url"])
            assert target_id != article_id
            target = site.truth(target_id)
            assert (entry["title"], entry["doctor_name"], entry["department"]) == (
                target["title"], target["doctor"]["name"], target["department"]
            )
            first_question, first_answer = target["question"].split("\n")[0], target["answer"].split("\n")[0]
            assert entry["question_excerpt"].endswith("...") and len(entry["question_excerpt"]) <= 203
            assert first_question.startswith(entry["question_excerpt"][:-3])
            assert entry["answer_excerpt"] == first_answer or (
                entry["answer_excerpt"].endswith("...") and first_answer.startswith(entry["answer_excerpt"][:-3])
            )


def test_truth_texts_are_normalised_and_carry_the_real_sites_quirks(site, good_ids):
    truths = [site.truth(article_id) for article_id in good_ids]
    for truth in truths:
        assert "\n" not in truth["title"]
        for field in ("title", "question", "answer", "more_info"):
            for line in truth[field].split("\n"):
                assert line and line == " ".join(line.split()), (field, line)
        assert truth["asker"]["age_max"] == truth["asker"]["age_min"] + 9
        assert 4 <= len(truth["more_info"].split("\n")) <= 12
        assert len(truth["similar_questions"]) <= 4 and len(truth["related_faqs"]) <= 9
    questions = "\n".join(truth["question"] for truth in truths)
    answers = "\n".join(truth["answer"] for truth in truths)
    for quirk in (r"https?://", "[\U0001F300-\U0001FAFF]", r"\([\u4e00-\u9fff]+\)", r"\b1[01]\d[01]\d[0-3]\d\b",
                  r"(?m)^1\. ", "&", "<120 mmHg"):
        assert re.search(quirk, questions), quirk
    assert re.search(r"(?m)^Dr\.\n\w+, .+ Department, cares about you\.$", answers)
    assert re.search(r"(?m)^1\.$", answers)
    assert {answer.split(" ", 1)[0] for answer in answers.split("\n")} >= {"Hello:", "Hello,", "Dear"}
    names = [truth["asker"]["name"] for truth in truths]
    assert any(", " in name for name in names) and any(name.islower() for name in names)
    assert {truth["title"][-1] for truth in truths} >= {"?", "!"}
    genders = Counter(truth["asker"]["gender"] for truth in truths)
    assert 0.8 < genders["female"] / len(truths) < 0.97
    assert any(truth["related_faqs"] and truth["related_faqs"][0]["topic"] is None for truth in truths)


def test_truncated_articles_stop_before_the_reply_date(site):
    truncated = [article_id for article_id, kind in site.broken().items() if kind == "truncated"]
    for article_id in truncated:
        status, headers, body = site.render(f"/en/article/{article_id}")
        assert status == 200 and int(headers["Content-Length"]) == len(body)
        lines = visible_lines(body)
        assert not any(line.startswith("Reply Date:") for line in lines)
        assert b"</html>" not in body.lower() and b"Ask Date: 1999/01/01" in body  # cut after the head


def test_reply_missing_articles_are_complete_pages_without_a_reply(site):
    unanswered = [article_id for article_id, kind in site.broken().items() if kind == "reply_missing"]
    for article_id in unanswered:
        status, _, body = site.render(f"/en/article/{article_id}")
        lines = visible_lines(body)
        assert status == 200 and body.rstrip().lower().endswith(b"</html>")
        more_info = lines.index("More Info")
        assert re.search(r", \d+~\d+ year old (fe)?male\.", "\n".join(lines[:more_info]))
        assert not any(re.fullmatch(r"Dr\. .+ reply .+", line) for line in lines[:more_info])
        assert not any(line.startswith("Reply Date:") for line in lines)


# --- discovery: sitemaps, listings, orphans, FAQ -----------------------------------------------


def sitemap_ids(site: DoctorQnaSite, base_url: str = "http://127.0.0.1") -> list[int]:
    index = ElementTree.fromstring(site.render("/sitemap.xml", base_url=base_url)[2])
    ids = []
    for loc in index.findall("sm:sitemap/sm:loc", SITEMAP_NS):
        assert loc.text.startswith(f"{base_url}/sitemaps/articles-")
        status, headers, body = site.render(urlsplit(loc.text).path, base_url=base_url)
        assert status == 200 and headers["Content-Type"] == "application/xml; charset=utf-8"
        urls = ElementTree.fromstring(body).findall("sm:url", SITEMAP_NS)
        assert 0 < len(urls) <= 500
        for url in urls:
            location = url.find("sm:loc", SITEMAP_NS).text
            assert location.startswith(f"{base_url}/en/article/")
            ids.append(article_id_of(location))
    return ids


def test_sitemaps_list_exactly_the_non_orphan_articles(big_site):
    orphans = set(big_site.orphans())
    ids = sitemap_ids(big_site, base_url="http://example.test:8080")
    assert ids == [article_id for article_id in big_site.article_ids() if article_id not in orphans]
    assert set(big_site.broken()) <= set(ids)
    child = ElementTree.fromstring(big_site.render("/sitemaps/articles-1.xml")[2])
    good = next(i for i in big_site.article_ids() if i not in big_site.broken() and i not in orphans)
    lastmods = {
        article_id_of(url.find("sm:loc", SITEMAP_NS).text): url.find("sm:lastmod", SITEMAP_NS).text
        for url in child.findall("sm:url", SITEMAP_NS)
    }
    assert lastmods[good] == big_site.truth(good)["reply_date"].isoformat()
    assert big_site.render("/sitemaps/articles-4.xml")[0] == 404


def test_orphans_are_reachable_only_through_similar_qa(site, good_ids):
    orphans = set(site.orphans())
    assert len(orphans) == round(0.03 * len(good_ids)) and orphans <= set(good_ids)
    reachable = set(sitemap_ids(site)) - set(site.broken())
    assert not orphans & reachable
    linked_from_reachable = {
        article_id_of(entry["url"])
        for article_id in reachable
        for entry in site.truth(article_id)["similar_questions"]
    }
    assert orphans <= linked_from_reachable


def _links(body: bytes, prefix: str) -> list[str]:
    return [href for href in lxml.html.document_fromstring(body.decode()).xpath("//a/@href") if href.startswith(prefix)]


def test_listings_paginate_newest_first_over_the_non_orphan_articles(big_site):
    status, _, home = big_site.render("/en/")
    departments = _links(home, "/en/department/")
    assert status == 200 and len(departments) >= 15
    listed = []
    for department in departments:
        in_department, path, query = [], department, {}
        while True:
            status, _, body = big_site.render(path, query)
            assert status == 200 and _links(body, "/en/search?q=")
            assert not any("Ask Date:" in line for line in visible_lines(body))
            page = [article_id_of(href) for href in _links(body, "/en/article/")]
            assert len(page) <= 20
            in_department += page
            anchors = lxml.html.document_fromstring(body.decode()).xpath("//a")
            following = [anchor.get("href") for anchor in anchors if anchor.text == "Next ›"]
            if not following:
                break
            assert len(page) == 20
            path, query = urlsplit(following[0]).path, parse_qs(urlsplit(following[0]).query)
        assert in_department == sorted(in_department, reverse=True)
        last_page = int(query.get("page", ["1"])[0])
        for beyond in (str(last_page + 1), "0", "x"):
            assert big_site.render(department, {"page": [beyond]})[0] == 404
        listed += in_department
    orphans = set(big_site.orphans())
    assert sorted(listed) == [article_id for article_id in big_site.article_ids() if article_id not in orphans]


def test_related_faq_links_lead_to_faq_pages_that_are_not_articles(site, good_ids):
    faq_paths = {faq["url"] for article_id in good_ids[:80] for faq in site.truth(article_id)["related_faqs"]}
    assert any(path.count("/") == 3 for path in faq_paths) and any(path.count("/") == 4 for path in faq_paths)
    orphans = set(site.orphans())
    for path in faq_paths:
        status, _, body = site.render(path)
        assert status == 200
        assert not any("Ask Date:" in line or line.startswith("Dr. ") for line in visible_lines(body))
        assert not {article_id_of(href) for href in _links(body, "/en/article/")} & orphans


def test_robots_txt_disallows_search_and_admin_and_names_the_sitemap(site):
    status, headers, body = site.render("/robots.txt", base_url="http://127.0.0.1:8123")
    assert status == 200 and headers["Content-Type"].startswith("text/plain")
    assert body.decode() == (
        "User-agent: *\nDisallow: /en/search\nDisallow: /admin/\n\nSitemap: http://127.0.0.1:8123/sitemap.xml\n"
    )


@pytest.mark.parametrize(
    ("path", "message"),
    [
        (f"/en/article/{FIRST_ID - 1}", "Article not found"),
        ("/en/article/999999", "Article not found"),
        ("/en/article/abc", "Page not found"),
        ("/en/article/01189", "Page not found"),
        ("/en/department/nowhere", "Page not found"),
        ("/en/faq/neurology/nothing-here", "Page not found"),
        ("/admin/", "Page not found"),
        ("/nope", "Page not found"),
    ],
)
def test_unknown_paths_are_404_pages_in_the_site_chrome(site, path, message):
    status, headers, body = site.render(path)
    assert status == 404 and int(headers["Content-Length"]) == len(body)
    assert message in visible_lines(body) and b"<nav" in body


def test_the_root_redirects_to_the_english_home(site):
    status, headers, _ = site.render("/")
    assert status == 301 and headers["Location"] == "/en/"


# --- revisions between crawls ----------------------------------------------------------------------

AT = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)


def sitemap_lastmods(site: DoctorQnaSite) -> dict[int, str]:
    lastmods = {}
    for k in range(1, 100):
        status, _, body = site.render(f"/sitemaps/articles-{k}.xml")
        if status == 404:
            return lastmods
        for url in ElementTree.fromstring(body).findall("sm:url", SITEMAP_NS):
            lastmods[article_id_of(url.find("sm:loc", SITEMAP_NS).text)] = url.find("sm:lastmod", SITEMAP_NS).text
    raise AssertionError("more sitemap files than expected")


def test_a_revision_adds_good_questions_newer_than_all_to_the_sitemaps_and_listings():
    site = DoctorQnaSite(pages=300, seed=5)
    before = site.article_ids()
    newest = site.truth(max(set(before) - set(site.broken())))["ask_date"]
    revision = site.revise(added=6, edited=0, at=AT)

    assert revision.added_ids == site.article_ids()[-6:] == sorted(revision.added_ids)
    assert revision.added_ids[0] > before[-1] and len(str(revision.added_ids[-1])) == 6
    assert site.pages == 306 and not set(revision.added_ids) & (set(site.broken()) | set(site.orphans()))
    truths = [site.truth(article_id) for article_id in revision.added_ids]
    assert all(newest < truth["ask_date"] <= truth["reply_date"] <= AT.date() for truth in truths)
    assert [truth["ask_date"] for truth in truths] == sorted(truth["ask_date"] for truth in truths)
    for article_id, truth in zip(revision.added_ids, truths, strict=True):
        lines = visible_lines(site.render(f"/en/article/{article_id}")[2])
        assert content_lines(lines[lines.index(truth["title"]) :]) == expected_lines(truth)
        department = truth["department"]
        newer = [i for i in revision.added_ids if i > article_id and site.truth(i)["department"] == department]
        listing = site.render(f"/en/department/{slugify(department)}")[2]  # newest first
        assert article_id_of(_links(listing, "/en/article/")[len(newer)]) == article_id

    assert sitemap_ids(site)[-6:] == revision.added_ids
    lastmods = sitemap_lastmods(site)
    assert [lastmods[i] for i in revision.added_ids] == [truth["reply_date"].isoformat() for truth in truths]


def test_a_revision_edits_answers_and_stamps_lastmod_leaving_every_other_article_byte_identical():
    site, pristine = DoctorQnaSite(pages=300, seed=5), DoctorQnaSite(pages=300, seed=5)
    revision = site.revise(added=0, edited=12, at=AT)
    assert revision == type(revision)(number=1, at=AT, added_ids=[], edited_ids=revision.edited_ids)
    edited = set(revision.edited_ids)
    assert len(edited) == 12 and not edited & (set(site.broken()) | set(site.orphans()))

    lastmods, old_lastmods = sitemap_lastmods(site), sitemap_lastmods(pristine)
    retitled = 0
    for article_id in site.article_ids():
        path = f"/en/article/{article_id}"
        if article_id not in edited:
            assert site.render(path) == pristine.render(path), article_id
            assert lastmods.get(article_id) == old_lastmods.get(article_id)
            continue
        assert site.render(path)[2] != pristine.render(path)[2]
        assert lastmods[article_id] == "2026-11-27T08:00:00+00:00"
        truth, old = site.truth(article_id), pristine.truth(article_id)
        assert truth["answer"].startswith(old["answer"] + "\n")
        assert re.fullmatch(r"Update: [^\n]+", truth["answer"].removeprefix(old["answer"] + "\n"))
        retitled += truth["title"] == old["title"] + " (updated)"
        assert truth["title"] in (old["title"], old["title"] + " (updated)")
        unchanged = {key: value for key, value in truth.items() if key not in ("title", "answer")}
        assert unchanged == {key: value for key, value in old.items() if key not in ("title", "answer")}
        lines = visible_lines(site.render(path)[2])
        assert content_lines(lines[lines.index(truth["title"]) :]) == expected_lines(truth)
    assert 0 < retitled < 12
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\d", lastmod) for lastmod in old_lastmods.values())
    index = site.render("/sitemap.xml")[2].decode()
    assert "<lastmod>2026-11-27T08:00:00+00:00</lastmod>" in index


def test_revisions_in_a_row_accumulate_deterministically():
    def revised() -> tuple[DoctorQnaSite, list]:
        site = DoctorQnaSite(pages=40, seed=2)
        return site, [site.revise(3, 25, AT), site.revise(2, 25, AT + timedelta(days=1, hours=3))]

    site, (first, second) = revised()
    assert first.number == 1 and second.number == 2 and second.added_ids[0] > first.added_ids[-1]
    assert sitemap_ids(site)[-5:] == first.added_ids + second.added_ids
    twice = set(first.edited_ids) & set(second.edited_ids)
    assert twice  # 25 of about 38 editable articles, twice
    lastmods = sitemap_lastmods(site)
    for article_id in set(first.edited_ids) | set(second.edited_ids):
        updates = re.findall(r"(?m)^Update: ", site.truth(article_id)["answer"])
        assert len(updates) == 1 + (article_id in twice)
        stamp = "2026-11-27T08:00:00+00:00" if article_id not in second.edited_ids else "2026-11-28T11:00:00+00:00"
        assert lastmods[article_id] == stamp

    again, _ = revised()
    paths = [f"/en/article/{i}" for i in site.article_ids()] + ["/sitemap.xml", "/sitemaps/articles-1.xml", "/en/"]
    assert [site.render(path) for path in paths] == [again.render(path) for path in paths]


@pytest.mark.parametrize(
    ("added", "edited", "at"),
    [
        (1, 0, datetime(2026, 11, 27, 8, 0)),  # naive: a sitemap lastmod needs the UTC offset
        (-1, 0, AT),
        (0, 10_000, AT),
        (1, 0, datetime(2001, 1, 1, tzinfo=UTC)),  # before the newest question
    ],
)
def test_revise_rejects_impossible_revisions_without_changing_the_site(added, edited, at):
    site = DoctorQnaSite(pages=50, seed=1)
    with pytest.raises(ValueError):
        site.revise(added, edited, at)
    assert site.render("/sitemaps/articles-1.xml") == DoctorQnaSite(pages=50, seed=1).render("/sitemaps/articles-1.xml")
    site.revise(1, 1, AT)
    with pytest.raises(ValueError, match="later than the previous revision"):
        site.revise(1, 1, AT)


# --- planted contact details (pii=True) -----------------------------------------------------------

@pytest.fixture(scope="module")
def pii_site() -> DoctorQnaSite:
    return DoctorQnaSite(pages=300, seed=7, pii=True)


def taiwan_id_is_valid(value: str) -> bool:
    code = "ABCDEFGHJKLMNPQRSTUVXYWZIO".index(value[0]) + 10
    digits = [int(d) for d in value[1:]]
    weights = [8, 7, 6, 5, 4, 3, 2, 1, 1]
    return (code // 10 + 9 * (code % 10) + sum(d * w for d, w in zip(digits, weights, strict=True))) % 10 == 0


def test_pii_is_off_by_default_and_then_changes_no_page():
    default, off = DoctorQnaSite(pages=150, seed=7), DoctorQnaSite(pages=150, seed=7, pii=False)
    paths = _sample_paths(default)
    assert [default.render(path) for path in paths] == [off.render(path) for path in paths]
    assert not default.pii and default.pii_articles() == []
    assert all(default.planted_pii(i) == default.planted_lookalikes(i) == [] for i in default.article_ids())


def test_pii_plants_about_a_tenth_of_the_good_articles_deterministically(site, pii_site, good_ids):
    planted = pii_site.pii_articles()
    assert len(planted) == round(0.1 * len(good_ids)) and set(planted) <= set(good_ids)
    assert [i for i in pii_site.article_ids() if pii_site.planted_pii(i)] == planted
    assert (pii_site.article_ids(), pii_site.broken(), pii_site.orphans()) == (
        site.article_ids(), site.broken(), site.orphans())
    again = DoctorQnaSite(pages=300, seed=7, pii=True)
    assert [again.planted_pii(i) for i in planted] == [pii_site.planted_pii(i) for i in planted]
    assert [again.render(f"/en/article/{i}") for i in planted] == [pii_site.render(f"/en/article/{i}") for i in planted]
    with pytest.raises(KeyError):
        pii_site.planted_pii(FIRST_ID - 1)


def test_pii_leaves_the_other_articles_as_they_were(site, pii_site, good_ids):
    planted = set(pii_site.pii_articles())
    for article_id in good_ids:
        truth, pristine = pii_site.truth(article_id), site.truth(article_id)
        if article_id in planted:
            assert truth["question"] != pristine["question"]
            continue
        assert {**truth, "similar_questions": None} == {**pristine, "similar_questions": None}, article_id
        for entry, old in zip(truth["similar_questions"], pristine["similar_questions"], strict=True):
            if article_id_of(entry["url"]) not in planted:  # an excerpt of a planted question may show some
                assert entry == old


def test_planted_identifiers_are_published_in_every_realistic_form(pii_site):
    spans: list[tuple[str, str]] = []
    lookalikes: list[tuple[str, str]] = []
    in_answers = 0
    for article_id in pii_site.pii_articles():
        truth = pii_site.truth(article_id)
        planted = pii_site.planted_pii(article_id)
        assert 2 <= len(planted) <= 3
        for _, span in planted:
            assert span in truth["question"] or span in truth["answer"], (article_id, span)
            assert span not in truth["title"] and span not in truth["more_info"]
            in_answers += span in truth["answer"]
        for _, text in pii_site.planted_lookalikes(article_id):
            assert text in truth["question"] or text in truth["answer"], (article_id, text)
        spans += planted
        lookalikes += pii_site.planted_lookalikes(article_id)
    assert {kind for kind, _ in spans} == {"EMAIL", "PHONE", "ID", "CONTACT"}
    assert {kind for kind, _ in lookalikes} == LOOKALIKE_KINDS
    assert in_answers >= 3
    texts = [span for _, span in spans]
    for form in (r"[\w.-]+@[\w.-]+\.[a-z]{2,}", r"09\d\d-\d{3}-\d{3}", r"09\d{8}", r"09\d\d \d{3} \d{3}",
                 r"\(0\d{1,2}\)\d{3,4}-\d{4}", r"0\d{1,2}-\d{3,4}-\d{4} ext\. \d+", r"\+886 9\d\d \d{3} \d{3}",
                 r"\+1 \(\d{3}\) 555-01\d\d", r"[A-Z][12]\d{8}", r"LINE ID: [\w.-]+", r"line: [\w.-]+"):
        assert any(re.fullmatch(form, text) for text in texts), form
    assert all(taiwan_id_is_valid(span) for kind, span in spans if kind == "ID")
    assert len(set(texts)) == len(texts)
    shown = [text for _, text in lookalikes]
    for form in (r"\d{4}/\d\d/\d\d", r"\d+~\d+ year old", r"\d+ years old", r"\d{2,3}/\d{2,3}", r"ICD-[\w-]+ \S+"):
        assert any(re.fullmatch(form, text) for text in shown), form


def test_pages_with_planted_identifiers_still_show_exactly_their_truth(pii_site):
    for article_id in pii_site.pii_articles():
        truth = pii_site.truth(article_id)
        lines = visible_lines(pii_site.render(f"/en/article/{article_id}")[2])
        assert content_lines(lines[lines.index(truth["title"]) :]) == expected_lines(truth), article_id


def test_masking_replaces_exactly_the_planted_spans_and_keeps_the_look_alikes(pii_site):
    assert_masking_matches_planting(pii_site)


def test_similar_excerpts_show_planted_spans_whole_or_not_at_all(pii_site, good_ids):
    planted = {article_id: pii_site.planted_pii(article_id) for article_id in pii_site.pii_articles()}
    whole = 0
    for article_id in good_ids:
        for entry in pii_site.truth(article_id)["similar_questions"]:
            target = article_id_of(entry["url"])
            first_paragraph = pii_site.truth(target)["question"].split("\n")[0]
            shown = len(entry["question_excerpt"]) - len("...")
            for _, span in planted.get(target, ()):
                start = first_paragraph.find(span)
                assert start == -1 or not start < shown < start + len(span), (article_id, target, span)
                whole += span in entry["question_excerpt"]
    assert whole  # so a crawl also has excerpts to mask


# --- the HTTP server -----------------------------------------------------------------------------


def test_server_serves_the_site_on_a_free_port_and_counts_hits(site, good_ids):
    article = f"/en/article/{good_ids[0]}"
    with SandboxServer(site) as server:
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", server.base_url)
        status, headers, body = fetch(server, article)
        assert (status, body) == (200, site.render(article)[2])
        assert headers["Content-Type"] == "text/html; charset=utf-8" and int(headers["Content-Length"]) == len(body)
        _, _, robots = fetch(server, "/robots.txt")
        assert f"Sitemap: {server.base_url}/sitemap.xml" in robots.decode()
        _, _, index = fetch(server, "/sitemap.xml")
        assert f"<loc>{server.base_url}/sitemaps/articles-1.xml</loc>" in index.decode()
        assert fetch(server, "/en/article/1")[0] == 404
        status, headers, body = fetch(server, article, method="HEAD")
        assert status == 200 and body == b"" and int(headers["Content-Length"]) > 0
        assert fetch(server, "/en/department/neurology?page=2")[0] == 200
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=32) as pool:  # a crawler's burst of connects
            assert set(pool.map(lambda _: fetch(server, "/en/")[0], range(40))) == {200}
        assert time.perf_counter() - started < 0.9  # a full listen backlog costs a one-second SYN retry
        base_url = server.base_url
    assert server.hits == Counter(
        {article: 2, "/robots.txt": 1, "/sitemap.xml": 1, "/en/article/1": 1, "/en/department/neurology": 1, "/en/": 40}
    )
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(base_url + "/robots.txt", timeout=2).close()


def test_keep_alive_replies_are_not_delayed(site, good_ids):
    """Scrapy reuses connections; a 40 ms Nagle stall per reply would make a 20,000-page benchmark crawl 15 minutes."""
    with SandboxServer(site) as server:
        connection = http.client.HTTPConnection(*urlsplit(server.base_url).netloc.split(":"), timeout=5)
        started = time.perf_counter()
        for article_id in good_ids[:40]:
            connection.request("GET", f"/en/article/{article_id}")
            with connection.getresponse() as response:
                assert response.status == 200 and response.read()
        elapsed = time.perf_counter() - started
        connection.close()
    assert elapsed < 1.0


def test_serve_forever_prints_its_url_and_stops_on_ctrl_c():
    script = ("from qacrawler.sandbox import DoctorQnaSite; from qacrawler.sandbox.server import serve_forever; "
              "serve_forever(DoctorQnaSite(pages=30, seed=1))")
    with subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True) as process:
        base_url = process.stdout.readline().strip()
        with urllib.request.urlopen(base_url + "/robots.txt", timeout=5) as response:
            assert response.status == 200
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=5) == 0
        assert process.stdout.read() == ""
