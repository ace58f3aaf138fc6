"""The structured-data sandbox (qacrawler/sandbox/qapage.py): its pages carry exactly the ground truth in each
markup style, its discovery pages agree with each other, revisions change only what they say, and
`qacrawler sandbox --site qapage` serves it with the command that crawls it."""

from __future__ import annotations

import json
import re
import selectors
import signal
import subprocess
import sys
import tomllib
import urllib.error
import urllib.request
from datetime import UTC, date, datetime, timedelta, timezone
from html import unescape
from pathlib import Path
from urllib.parse import urlsplit

import extruct
import pytest
from parsel import Selector

from qacrawler.cli import SANDBOX_SITE_FILES
from qacrawler.page.privacy import mask_text
from qacrawler.sandbox.qapage import (
    BROKEN_KINDS,
    FAQ_REASON,
    LISTING_PAGE_SIZE,
    NOT_QA_REASON,
    SITE_ZONE,
    STYLES,
    QAPageSite,
)

BASE = "http://127.0.0.1:8000"
SITE_FILE = Path(__file__).parents[1] / "qacrawler" / "sandbox" / "qapage.toml"
_JSONLD = re.compile(r'<script type="application/ld\+json">(.*?)</script>', re.DOTALL)


@pytest.fixture(scope="module")
def site() -> QAPageSite:
    return QAPageSite()  # the default site: every style must occur in it


def _html(site: QAPageSite, path: str, **query: str) -> str:
    status, headers, body = site.render(path, {name: [value] for name, value in query.items()}, base_url=BASE)
    assert status == 200 and headers["Content-Type"] == "text/html; charset=utf-8", path
    return body.decode("utf-8")


def _blocks(html: str) -> list[str]:
    return _JSONLD.findall(html)


def _good_json(html: str) -> list[dict]:
    parsed = []
    for block in _blocks(html):
        try:
            parsed.append(json.loads(block))
        except json.JSONDecodeError:
            continue
    return parsed


def _types(node: dict) -> set[str]:
    kind = node.get("@type", [])
    return set(kind if isinstance(kind, list) else [kind])


def _nodes(data: list[dict]) -> list[dict]:
    return [node for block in data for node in block.get("@graph", [block])]


def _listed(value) -> list:
    return [] if value is None else value if isinstance(value, list) else [value]


def _text_lines(value: str) -> list[str]:
    """What a correct parser reads from a `text`: HTML removed, one line per paragraph, entities decoded."""
    if "<p>" in value:
        return [" ".join(unescape(re.sub(r"<[^>]+>", "", part)).split())
                for part in re.findall(r"<p>(.*?)</p>", value, re.DOTALL)]
    return [line.strip() for line in value.split("\n") if line.strip()]


def _day(written: str) -> date:
    """A timestamp's calendar date: in its own offset; a UTC stamp (`Z`, `+00:00`, `+0000`) in the site's zone."""
    moment = datetime.fromisoformat(written)
    if moment.utcoffset() == timedelta(0):
        return moment.astimezone(SITE_ZONE).date()
    return moment.date()


def _question_and_answers(site: QAPageSite, article_id: int, html: str) -> tuple[dict, list[dict]]:
    """The Question and its answers in page order, read with json / extruct as a parser would."""
    if site.style(article_id) in ("anspress", "q2a"):
        items = extruct.extract(html, base_url=BASE, syntaxes=["microdata"], uniform=True)["microdata"]
        [page] = [item for item in items if item["@type"] == "QAPage"]
        question = page["mainEntity"]
        found = {answer["url"]: answer for key in ("acceptedAnswer", "suggestedAnswer")
                 for answer in _listed(question.get(key))}
        ordered = sorted(found.values(), key=lambda answer: html.index(f'id="{answer["url"].split("#")[1]}"'))
        accepted = {answer["url"] for answer in _listed(question.get("acceptedAnswer"))}
        return question, [{**answer, "accepted": answer["url"] in accepted} for answer in ordered]
    nodes = _nodes(_good_json(html))
    [question] = [node for node in nodes if "Question" in _types(node)] or [
        entity for node in nodes if "QAPage" in _types(node) for entity in _listed(node["mainEntity"])]
    answers = [{**answer, "accepted": True} for answer in _listed(question.get("acceptedAnswer"))]
    answers += [{**answer, "accepted": False} for answer in _listed(question.get("suggestedAnswer"))]
    return question, answers


def _author_name(author, nodes: list[dict]) -> str | None:
    if isinstance(author, list):
        [author] = author
    if isinstance(author, str):
        return author
    if "@id" in author and "name" not in author:
        [author] = [node for node in nodes if node.get("@id") == author["@id"]]
    return author["name"]


def _author_url(author) -> str | None:
    [author] = author if isinstance(author, list) else [author]
    return urlsplit(author["url"]).path if isinstance(author, dict) and "url" in author else None


def _view_count(question: dict) -> int | None:
    counters = [counter for counter in _listed(question.get("interactionStatistic"))
                if counter["interactionType"] in ("https://schema.org/ViewAction", {"@type": "ViewAction"})]
    return counters[0]["userInteractionCount"] if counters else None


# --- determinism ------------------------------------------------------------------------------------


def test_same_seed_gives_the_same_bytes_in_any_order_and_another_seed_another_site():
    first, second = QAPageSite(pages=60, seed=3), QAPageSite(pages=60, seed=3)
    paths = [first.linked_path(i) for i in first.article_ids()] + ["/questions", "/sitemap.xml"]
    assert [first.render(p)[2] for p in paths] == [second.render(p)[2] for p in reversed(paths)][::-1]
    assert [first.render(p)[2] for p in paths] == [first.render(p)[2] for p in paths]  # a render changes nothing
    assert QAPageSite(pages=60, seed=4).article_ids() != first.article_ids()


def test_bad_constructor_arguments_are_refused_with_the_range():
    with pytest.raises(ValueError, match="pages must be between 1 and"):
        QAPageSite(pages=0)
    with pytest.raises(ValueError, match="lastmod must be one of seconds, date"):
        QAPageSite(lastmod="minutes")


# --- article pages against the ground truth -----------------------------------------------------------


def test_every_style_and_broken_kind_occurs_and_only_the_planted_blocks_are_invalid_json(site):
    questions = site.question_ids()
    assert {site.style(i) for i in questions} == set(STYLES)
    assert {site.broken_jsonld(i) for i in questions} == {None, *BROKEN_KINDS}
    pages = [_html(site, site.linked_path(i)) for i in questions]
    odd_shapes = ('"author": [', '"author": "', '"mainEntity": [', '"suggestedAnswer": {', '"interactionStatistic": [',
                  '"@context": "http://schema.org"', 'itemprop="suggestedAnswer acceptedAnswer"', "@graph", ".000Z")
    assert [shape for shape in odd_shapes if not any(shape in page for page in pages)] == []
    assert any(re.search(r'"upvoteCount": "[0-9]+"', page) for page in pages)
    for article_id in questions:
        html = _html(site, site.linked_path(article_id))
        blocks = _blocks(html)
        invalid = len(blocks) - len(_good_json(html))
        assert invalid == (site.broken_jsonld(article_id) is not None), article_id
        if site.style(article_id) in ("anspress", "q2a"):
            assert blocks == [] and 'itemtype="https://schema.org/QAPage"' in html, article_id
        else:
            assert "itemscope" not in html and any(
                {"QAPage", "Question"} & _types(node) for node in _nodes(_good_json(html))), article_id


def test_structured_data_holds_the_truths_question_and_every_answer_in_order(site):
    for article_id in site.question_ids():
        html = _html(site, site.linked_path(article_id))
        truth, style = site.truth(article_id), site.style(article_id)
        question, answers = _question_and_answers(site, article_id, html)
        nodes = _nodes(_good_json(html))
        assert unescape(question["name"]) == truth["title"], article_id
        assert _text_lines(question["text"]) == truth["question"].split("\n"), article_id
        assert _day(question.get("dateCreated") or question["datePublished"]) == truth["ask_date"], article_id
        assert _view_count(question) == truth["view_count"], article_id
        asker = question.get("author")
        assert (None if asker is None else _author_name(asker, nodes)) == truth["asker"]["name"], article_id
        read = [{"text": "\n".join(_text_lines(answer["text"])), "author_name": _author_name(answer["author"], nodes),
                 "author_url": _author_url(answer["author"]),
                 "date": _day(answer.get("dateCreated") or answer["datePublished"]),
                 "upvotes": None if "upvoteCount" not in answer else int(answer["upvoteCount"]),
                 "accepted": answer["accepted"]} for answer in answers]
        assert read == truth["answers"], article_id
        if style == "discourse" and not any(answer["accepted"] for answer in read):
            assert question["answerCount"] == 0 and [a["upvotes"] for a in read] == sorted(
                (a["upvotes"] for a in read), reverse=True), article_id
        elif style != "discourse":
            assert int(question["answerCount"]) == len(read), article_id


def test_the_answer_is_the_accepted_else_the_best_voted_else_the_first_reply(site):
    truths = [site.truth(i) for i in site.question_ids()]
    for truth in truths:
        replies = truth["answers"]
        accepted = [reply for reply in replies if reply["accepted"]]
        best = max(replies, key=lambda reply: reply["upvotes"] or 0) if replies else None
        chosen = accepted[0] if accepted else best
        assert truth["answer"] == (chosen and chosen["text"]), truth["source_id"]
        assert truth["doctor"]["name"] == (chosen and chosen["author_name"]), truth["source_id"]
        assert truth["reply_date"] == (chosen and chosen["date"]), truth["source_id"]
        assert truth["reply_date"] is None or truth["reply_date"] >= truth["ask_date"], truth["source_id"]
    assert any(truth["view_count"] for truth in truths) and None in {truth["view_count"] for truth in truths}
    counts = [len(truth["answers"]) for truth in truths]
    assert 0 in counts and 1 in counts and max(counts) == 5
    assert any(not reply["accepted"] and reply["upvotes"] for truth in truths for reply in truth["answers"])
    assert any(truth["answers"] and not any(r["accepted"] for r in truth["answers"]) and truth["answer"]
               != truth["answers"][0]["text"] for truth in truths)  # a best-voted reply that is not the first


def test_the_department_follows_the_markup_rules(site):
    for article_id in site.question_ids():
        html, style, truth = _html(site, site.article_path(article_id)), site.style(article_id), site.truth(article_id)
        nodes = _nodes(_good_json(html))
        crumbs = [node for node in nodes if "BreadcrumbList" in _types(node)]
        if style == "medical":
            [page] = [node for node in nodes if "MedicalWebPage" in _types(node)]
            answer = _question_and_answers(site, article_id, html)[1][0]
            specialty = page.get("specialty") or answer["author"]["medicalSpecialty"]
            assert truth["department"] == specialty.removeprefix("https://schema.org/"), article_id
            assert page["reviewedBy"]["name"] not in {a["author_name"] for a in truth["answers"]}, article_id
        elif style in ("jsonld", "yoast"):
            expected = crumbs[0]["itemListElement"][-2]["name"] if crumbs else None
            assert truth["department"] == expected and (crumbs or style == "jsonld"), article_id
        elif style == "anspress":
            items = extruct.extract(html, base_url=BASE, syntaxes=["microdata"], uniform=True)["microdata"]
            [trail] = [item for item in items if item["@type"] == "BreadcrumbList"]
            assert truth["department"] == trail["itemListElement"][-2]["name"], article_id
        else:  # only the site file's CSS rule finds it
            [shown] = Selector(text=html).css(".qa-category-link, .badge-category__name").css("::text").getall()
            assert truth["department"] == shown and not crumbs, article_id
    departments = {site.truth(i)["department"] for i in site.question_ids()}
    assert None in departments and {"Cardiovascular", "Cardiology"} <= departments


def test_every_kind_of_date_is_written_and_utc_stamps_take_the_site_zones_date(site):
    forms, crossed = set(), 0
    for article_id in site.question_ids():
        html = _html(site, site.linked_path(article_id))
        question, _ = _question_and_answers(site, article_id, html)
        written = question.get("dateCreated") or question["datePublished"]
        forms.add("Z" if written.endswith("Z") else "date" if len(written) == 10 else
                  "offset" if re.search(r"[+-]\d\d:?\d\d$", written) else "naive")
        if written.endswith("Z"):
            crossed += datetime.fromisoformat(written).date() != site.truth(article_id)["ask_date"]
    assert forms == {"Z", "date", "offset", "naive"}
    assert crossed  # some UTC stamps fall on the previous day in the site's zone


# --- privacy ----------------------------------------------------------------------------------------


def test_planted_contact_details_and_greetings_are_masked_in_the_expected_rows_as_the_masker_does(site):
    questions = site.question_ids()
    assert len(site.pii_articles()) >= 20 and sum(bool(site.planted_names(i)) for i in questions) >= 20
    assert any(span in answer["text"] for i in site.pii_articles() for _, span in site.planted_pii(i)
               for answer in site.truth(i)["answers"])  # doctors repeat some in their replies
    for article_id in questions:
        truth, name = site.truth(article_id), site.truth(article_id)["asker"]["name"]
        for keep_names in (True, False):
            row = site.expected_row(article_id, keep_names=keep_names)
            masker_name = None if keep_names else name
            for field in ("title", "question", "answer"):
                assert row[field] == mask_text(truth[field], name=masker_name), (article_id, field, keep_names)
            assert [answer["text"] for answer in row["answers"]] == [
                mask_text(answer["text"], name=masker_name) for answer in truth["answers"]], article_id
            assert row["asker"]["name"] == (name if keep_names else None)
        for _, span in site.planted_pii(article_id):
            assert span in truth["question"] + "\n" + "\n".join(a["text"] for a in truth["answers"]), article_id
        for greeted in site.planted_names(article_id):
            assert greeted in name.split() and f"{greeted}," in "\n".join(a["text"] for a in truth["answers"])


def test_without_pii_no_contact_detail_is_planted():
    plain = QAPageSite(pages=80, seed=2, pii=False)
    assert plain.pii_articles() == [] and all(plain.planted_pii(i) == [] for i in plain.question_ids())
    assert all(plain.expected_row(i, keep_names=True) == plain.truth(i) for i in plain.question_ids())


# --- URLs, FAQ and editorial pages --------------------------------------------------------------------


def test_the_slugged_and_the_bare_url_serve_the_page_and_a_wrong_slug_redirects(site):
    article_id = site.question_ids()[0]
    linked, bare = site.linked_path(article_id), site.article_path(article_id)
    assert re.fullmatch(rf"/questions/{article_id}/[a-z0-9-]+", linked)
    assert _html(site, linked) == _html(site, bare)
    assert f'<link rel="canonical" href="{BASE}{bare}">' in _html(site, linked)
    status, headers, _ = site.render(f"{bare}/not-the-slug", base_url=BASE)
    assert (status, headers["Location"]) == (301, BASE + linked)
    assert site.render("/questions/1", base_url=BASE)[0] == 404
    assert site.render("/u/anna-miller", base_url=BASE)[0] == 404


def test_faq_and_editorial_pages_are_where_the_ground_truth_says(site):
    refused = site.refused()
    assert set(refused.values()) == {FAQ_REASON, NOT_QA_REASON}
    assert sorted(set(site.article_ids()) - set(refused)) == site.question_ids()
    for article_id in site.article_ids():
        html = _html(site, site.linked_path(article_id))
        types = set().union(*(_types(node) for node in _nodes(_good_json(html))), set())
        microdata = 'itemtype="https://schema.org/QAPage"' in html
        if refused.get(article_id) == FAQ_REASON:
            [page] = [node for node in _nodes(_good_json(html)) if "FAQPage" in _types(node)]
            assert [(pair["title"], pair["answer"]) for pair in site.faq_truth(article_id)] == [
                (entity["name"], entity["acceptedAnswer"]["text"]) for entity in page["mainEntity"]]
            assert "QAPage" not in types and not microdata and "author" not in html
            assert [pair["source_id"] for pair in site.faq_truth(article_id)] == [
                f"{article_id}#{n}" for n in range(1, len(page["mainEntity"]) + 1)]
        elif refused.get(article_id) == NOT_QA_REASON:
            assert "QAPage" not in types and "FAQPage" not in types and not microdata
        else:
            assert "QAPage" in types or microdata
    with pytest.raises(KeyError, match="refused"):
        site.truth(next(iter(refused)))
    with pytest.raises(KeyError, match="not an FAQ page"):
        site.faq_truth(site.question_ids()[0])


# --- discovery ----------------------------------------------------------------------------------------


def _sitemap_entries(site: QAPageSite) -> dict[str, str]:
    index = site.render("/sitemap.xml", base_url=BASE)[2].decode()
    entries = {}
    for location in re.findall(r"<loc>([^<]+)</loc>", index):
        status, headers, body = site.render(urlsplit(location).path, base_url=BASE)
        assert status == 200 and headers["Content-Type"].startswith("application/xml")
        entries |= dict(re.findall(r"<url><loc>([^<]+)</loc><lastmod>([^<]+)</lastmod></url>", body.decode()))
    return entries


def test_sitemaps_list_every_article_url_with_a_lastmod_in_seconds_or_days():
    seconds, days = QAPageSite(pages=450, seed=5), QAPageSite(pages=450, seed=5, lastmod="date")
    entries = _sitemap_entries(seconds)
    assert list(entries) == [BASE + seconds.linked_path(i) for i in seconds.article_ids()]
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", lastmod) for lastmod in entries.values())
    assert {location: lastmod[:10] for location, lastmod in entries.items()} == _sitemap_entries(days)
    for article_id in seconds.question_ids():
        truth, lastmod = seconds.truth(article_id), entries[BASE + seconds.linked_path(article_id)]
        last = max([truth["ask_date"], *(answer["date"] for answer in truth["answers"])])
        assert abs((datetime.fromisoformat(lastmod).date() - last).days) <= 1, article_id  # UTC vs the page's date
    robots = seconds.render("/robots.txt", base_url=BASE)[2].decode()
    assert f"Sitemap: {BASE}/sitemap.xml" in robots and "Disallow: /u/" in robots


def test_listing_pages_anchors_and_item_list_agree_and_cover_questions_and_faq_pages(site):
    seen, page, pages = [], "/questions", 0
    while page:
        html = _html(site, *page.split("?page=")[:1], **({"page": page.split("=")[1]} if "=" in page else {}))
        selector = Selector(text=html)
        anchors = selector.css("a.question-link")
        [item_list] = [node for node in _good_json(html) if "ItemList" in _types(node)]
        elements = item_list["itemListElement"]
        assert [a.attrib["href"] for a in anchors] == [urlsplit(e["url"]).path for e in elements]
        assert [a.css("::text").get() for a in anchors] == [e["name"] for e in elements]
        assert [e["position"] for e in elements] == list(range(len(seen) + 1, len(seen) + len(elements) + 1))
        assert 1 <= len(elements) <= LISTING_PAGE_SIZE
        seen += [a.attrib["href"] for a in anchors]
        page, pages = selector.css("a[rel=next]::attr(href)").get(), pages + 1
    listed = [i for i in reversed(site.article_ids()) if site.refused().get(i) != NOT_QA_REASON]
    assert seen == [site.linked_path(i) for i in listed] and pages > 1
    assert site.render("/questions", {"page": [str(pages + 1)]}, base_url=BASE)[0] == 404
    assert site.render("/questions", {"page": ["x"]}, base_url=BASE)[0] == 404


def test_the_site_files_patterns_and_css_rule_fit_the_mirror(site):
    declared = tomllib.loads(SITE_FILE.read_text("utf-8"))
    assert SANDBOX_SITE_FILES["qapage"] == SITE_FILE and declared["id"] == "healthanswers"
    assert declared["sandbox"] == f"{QAPageSite.__module__}:{QAPageSite.__name__}"
    article, listing = re.compile(declared["article"]), re.compile(declared["listing_pattern"])
    for article_id in site.article_ids()[:40]:
        for path in (site.linked_path(article_id), site.article_path(article_id)):
            assert article.search(path)[1] == str(article_id)
        assert declared["article_template"].format(id=article_id) == site.article_path(article_id)
    assert all(listing.search(path) for path in ("/questions", "/questions?page=7"))
    assert not listing.search(site.linked_path(site.article_ids()[0]))
    rule = declared["fields"]["department"]["css"]
    for article_id in site.question_ids():
        shown = Selector(text=_html(site, site.article_path(article_id))).css(rule).css("::text").getall()
        wanted = [site.truth(article_id)["department"]] if site.style(article_id) in ("q2a", "discourse") else []
        assert shown == wanted, article_id


def test_the_site_file_loads_as_a_site_once_the_loader_is_there():
    site_file = pytest.importorskip("qacrawler.page.sites.site_file")
    declared = site_file.load_site_file(SITE_FILE)
    assert declared.id == "healthanswers" and declared.sandbox_class() is QAPageSite


# --- revisions ----------------------------------------------------------------------------------------


def test_a_revision_changes_exactly_the_revised_articles_and_their_lastmod():
    site = QAPageSite(pages=120, seed=9)
    before = {i: site.render(site.linked_path(i), base_url=BASE)[2] for i in site.article_ids()}
    truths = {i: site.truth(i) for i in site.question_ids()}
    lastmods = _sitemap_entries(site)
    unanswered = next(i for i in site.question_ids() if not truths[i]["answers"])
    at = datetime(2025, 7, 20, 12, 30, tzinfo=timezone(timedelta(hours=2)))
    revision = site.revise(added=4, edited=[unanswered, *site.question_ids()[:7]], at=at)
    assert unanswered in revision.answered_ids and 0 < len(revision.answered_ids) < len(revision.edited_ids)
    after = _sitemap_entries(site)
    for article_id, body in before.items():
        changed = site.render(site.linked_path(article_id), base_url=BASE)[2] != body
        location = BASE + site.linked_path(article_id)
        assert changed == (article_id in revision.edited_ids), article_id
        assert after[location] == (at.astimezone(UTC).isoformat(timespec="seconds") if changed
                                   else lastmods[location]), article_id
    for article_id in revision.edited_ids:
        old, new = truths[article_id], site.truth(article_id)
        if article_id in revision.answered_ids:
            assert new["answers"][:-1] == old["answers"] and new["question"] == old["question"]
            assert new["answers"][-1]["accepted"] is False and new["answers"][-1]["upvotes"] in (0, None)
        else:
            assert new["answers"] == old["answers"] and new["question"].startswith(old["question"] + "\n")
    assert new_ids_are_newest_and_listed(site, revision.added_ids, at)
    with pytest.raises(ValueError, match="later than the previous revision"):
        site.revise(added=1, edited=0, at=at)


def new_ids_are_newest_and_listed(site: QAPageSite, added: list[int], at: datetime) -> bool:
    assert added and min(added) > max(set(site.article_ids()) - set(added))
    for article_id in added:
        truth = site.truth(article_id)
        assert truth["ask_date"] <= (truth["reply_date"] or truth["ask_date"]) <= at.date() + timedelta(days=1)
    first_page = Selector(text=_html(site, "/questions")).css("a.question-link::attr(href)").getall()
    return first_page[: len(added)] == [site.linked_path(i) for i in reversed(added)]


# --- the command line -----------------------------------------------------------------------------------


def _line(process: subprocess.Popen, stream, seconds: float) -> str:
    """One line of a child's output, or fail after `seconds` instead of hanging the suite."""
    with selectors.DefaultSelector() as selector:
        selector.register(stream, selectors.EVENT_READ)
        if not selector.select(timeout=seconds):
            process.kill()
            pytest.fail("the sandbox printed nothing")
    return stream.readline().strip()


def test_qacrawler_sandbox_serves_the_qapage_mirror_and_prints_the_crawl_command():
    command = [sys.executable, "-m", "qacrawler.cli", "sandbox", "--site", "qapage", "--pages", "40", "--seed", "3"]
    mirror = QAPageSite(pages=40, seed=3)
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as process:
        try:
            base_url = _line(process, process.stdout, 60)
            assert re.fullmatch(r"http://127\.0\.0\.1:\d+", base_url)
            assert _line(process, process.stderr, 10) == (
                f"crawl it: qacrawler crawl {SANDBOX_SITE_FILES['qapage']} --base-url {base_url}")
            path = mirror.linked_path(mirror.question_ids()[0])
            with urllib.request.urlopen(base_url + path, timeout=10) as response:
                assert response.read() == mirror.render(path, base_url=base_url)[2]
            with pytest.raises(urllib.error.HTTPError, match="404"):
                urllib.request.urlopen(base_url + "/nothing", timeout=10)
        finally:
            process.send_signal(signal.SIGINT)
            assert process.wait(timeout=10) == 0
    assert SANDBOX_SITE_FILES["qapage"].is_file()


@pytest.mark.parametrize(("option", "line"), [
    (["--renamed-labels"], "--renamed-labels is not available for the qapage mirror"),
    (["--faults", "malformed=0.1"], "--faults malformed is not available for the qapage mirror"),
])
def test_qacrawler_sandbox_refuses_options_the_qapage_mirror_lacks_in_one_line(option, line):
    result = subprocess.run([sys.executable, "-m", "qacrawler.cli", "sandbox", "--site", "qapage", *option],
                            capture_output=True, text=True, timeout=60)
    assert (result.returncode, result.stderr) == (2, f"qacrawler sandbox: error: {line}\n")
