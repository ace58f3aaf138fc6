"""The Taiwan e-Hospital sandbox: deterministic, CP950, as docs/sites/tw_ehospital.md says, crawlable by listings."""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
from collections import Counter
from datetime import date
from typing import Any
from urllib.parse import parse_qs, urlsplit

import lxml.html
import pytest

from qacrawler.sandbox.tw_ehospital import (
    ARTICLE_PATH,
    CHARSET_STYLES,
    DEPARTMENT_PATH,
    FIRST_DAY,
    GENERATIONS,
    HISTORY_PATH,
    HOME_PATH,
    LAST_DAY,
    TwEHospitalSite,
)
from qacrawler.sandbox.tw_ehospital_text import DEPARTMENTS
from tests.planted_pii import LOOKALIKE_KINDS, assert_masking_matches_planting

REAL_SITE_DEPARTMENTS = (
    "神經內科 神經外科 胸腔內科 整型外科 肝膽腸胃科 潛水醫學科 核子醫學科 心臟血管專科 乳房甲狀腺科 "
    "產後憂鬱諮詢 內科 牙科 外科 兒科 骨科 "
    "眼科 漢生病 中醫科 皮膚科 泌尿科 家醫科 高年科 婦產科 麻醉科 復健科 腫瘤科 精神科 體適能 營養教室 "
    "戒菸諮詢 藥物諮詢 流感諮詢 耳鼻喉科 "
    "罕見疾病 放射線科"
).split()
UNENCODABLE = set("堃喆峯凃𠮷")  # the only characters the mirror writes as numeric entities
TRAP_DATE = "1999/01/01"


@pytest.fixture(scope="module")
def site() -> TwEHospitalSite:
    return TwEHospitalSite(pages=600, seed=7)


@pytest.fixture(scope="module")
def good_ids(site: TwEHospitalSite) -> list[int]:
    return [q_no for q_no in site.article_ids() if q_no not in site.broken()]


@pytest.fixture(scope="module")
def bodies(site: TwEHospitalSite) -> dict[int, bytes]:
    return {q_no: article(site, q_no)[2] for q_no in site.article_ids()}


def article(site: TwEHospitalSite, q_no: int | str) -> tuple[int, dict[str, str], bytes]:
    return site.render(ARTICLE_PATH, {"q_no": [str(q_no)]})


def document(body: bytes) -> lxml.html.HtmlElement:
    return lxml.html.document_fromstring(body.decode("cp950"))


def visible_text(body: bytes) -> str:
    root = document(body)
    for hidden in root.xpath("//script | //style | //head"):
        hidden.drop_tree()
    return root.text_content()


# --- a reader of the contract, to hold the pages against the ground truth ------------------------


def paragraphs(element: lxml.html.HtmlElement) -> list[str]:
    """<br> breaks lines; whitespace, U+3000 included, collapses; empty lines are dropped."""
    for br in element.iter("br"):
        br.tail = "\n" + (br.tail or "")
    return [" ".join(line.split()) for line in element.text_content().split("\n") if line.strip()]


def contract_date(text: str) -> date:
    text = text.strip()
    if match := re.fullmatch(r"(?:民國)?([0-9]{2,3})年([0-9]{1,2})月([0-9]{1,2})日", text):
        return date(int(match[1]) + 1911, int(match[2]), int(match[3]))
    match = re.fullmatch(r"([0-9]{2,4})([/-])([0-9]{1,2})\2([0-9]{1,2})", text)
    assert match, text
    year = int(match[1])
    return date(year + 1911 if year < 1911 else year, int(match[3]), int(match[4]))


def contract_ages(text: str) -> tuple[int | None, int | None]:
    if match := re.fullmatch(r"([0-9]+)~([0-9]+)歲", text):
        return int(match[1]), int(match[2])
    if match := re.fullmatch(r"([0-9]+)歲", text):
        return int(match[1]), int(match[1])
    if match := re.fullmatch(r"([0-9]+)歲以上", text):
        return int(match[1]), None
    if match := re.fullmatch(r"([0-9]+)歲以下", text):
        return None, int(match[1])
    assert text in ("保密", ""), text
    return None, None


def read_article(body: bytes, generation: str) -> dict[str, Any]:
    """The fields the contract says a parser reads from an article, in either generation."""
    root = document(body)
    if generation == "older":
        subject = re.fullmatch(r"#([0-9]+) (.+)", root.xpath('//li[@class="subject"]')[0].text_content())
        assert subject
        q_no, title = subject[1], subject[2]
        counts = [li.text_content() for li in root.xpath('//li[@class="count"]')]
        views, categories = counts[0].removeprefix("瀏覽數："), counts[1:] and counts[1].removeprefix("相關分類 ：")
        asker = root.xpath('//li[@class="asker"]')[0].text_content().removeprefix("發問者：")
        doctor = [li.text_content().removeprefix("答復者：") for li in root.xpath('//li[@class="doctor"]')]
        texts = [paragraphs(li) for li in root.xpath('//li[@class="ask"] | //li[@class="ans"]')]
    else:
        headings = [h2.text_content() for h2 in root.xpath("//h2")]
        q_no, title = headings[0].removeprefix("#"), headings[1]
        small = [div.text_content() for div in root.xpath('//div[contains(@class, "w3-small")]')]
        views, categories = small[0].removeprefix("瀏覽數："), small[1:] and small[1].removeprefix("相關分類：")
        bars = [div.text_content() for div in root.xpath('//div[@class="w3-bar-item"]')]
        assert bars[0].endswith(" 提問：") and all(bar.endswith(" 回覆：") for bar in bars[1:])
        asker, doctor = bars[0].removesuffix(" 提問："), [bar.removesuffix(" 回覆：") for bar in bars[1:]]
        texts = [paragraphs(div) for div in root.xpath('//div[@class="msg"]')]
    asker_part, asked = asker.rsplit(",", 1)
    name, gender, age = asker_part.split("／")
    age_min, age_max = contract_ages(age)
    record: dict[str, Any] = {
        "source_id": q_no,
        "title": title.strip(),
        "question": "\n".join(texts[0]),
        "asker": {"name": name or None, "gender": {"男": "male", "女": "female"}.get(gender),
                  "age_min": age_min, "age_max": age_max},
        "ask_date": contract_date(asked),
        "view_count": int(views),
        "categories": categories.split("、") if categories else [],
        "answer": None, "reply_date": None, "department": None, "doctor": {"name": None, "hospital": None},
    }
    assert len(doctor) == len(texts) - 1 <= 1
    if doctor:
        doctor_part, replied = doctor[0].rsplit(",", 1)
        parts = doctor_part.split("／")
        assert len(parts) in (2, 3)
        record |= {
            "answer": "\n".join(texts[1]),
            "reply_date": contract_date(replied),
            "department": parts[-2],
            "doctor": {"name": parts[-1], "hospital": parts[0] if len(parts) == 3 else None},
        }
    return record


# --- determinism and shape ---------------------------------------------------------------------


def _sample_requests(site: TwEHospitalSite) -> list[tuple[str, dict[str, list[str]]]]:
    q_nos = site.article_ids()[::9] + site.missing_ids()[:3]
    return [(ARTICLE_PATH, {"q_no": [str(q_no)]}) for q_no in q_nos] + [
        (HOME_PATH, {}), ("/robots.txt", {}), (DEPARTMENT_PATH, {"d_class": ["內科"]}),
        (HISTORY_PATH, {"UrlClass": ["婦產科"], "SortBy": ["q_no"], "PageNo": ["2"]}),
    ]


def test_same_seed_gives_same_bytes_whatever_the_rendering_order():
    first, second = TwEHospitalSite(pages=300, seed=7), TwEHospitalSite(pages=300, seed=7)
    requests = _sample_requests(first)
    backwards = [second.render(path, query) for path, query in reversed(requests)]
    assert [first.render(path, query) for path, query in requests] == backwards[::-1]


def test_another_seed_gives_another_site():
    first, other = TwEHospitalSite(pages=300, seed=7), TwEHospitalSite(pages=300, seed=8)
    assert first.missing_ids() != other.missing_ids()
    assert article(first, 5) != article(other, 5)


def test_output_does_not_depend_on_the_interpreter_hash_seed():
    script = (
        "import hashlib; from qacrawler.sandbox.tw_ehospital import TwEHospitalSite, ARTICLE_PATH\n"
        "site = TwEHospitalSite(pages=120, seed=3)\n"
        "print(hashlib.sha256(b''.join(site.render(ARTICLE_PATH, {'q_no': [str(i)]})[2] for i in range(130)))"
        ".hexdigest())"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    child = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)
    site = TwEHospitalSite(pages=120, seed=3)
    here = hashlib.sha256(b"".join(article(site, i)[2] for i in range(130))).hexdigest()
    assert child.stdout.strip() == here


@pytest.mark.parametrize("pages", [0, 10**6])
def test_site_size_is_bounded(pages):
    with pytest.raises(ValueError):
        TwEHospitalSite(pages=pages)


@pytest.mark.parametrize("pages", [1, 37, 600, 20000])
def test_numbers_run_from_one_with_about_five_percent_missing_inside_the_range(pages):
    site = TwEHospitalSite(pages=pages)
    ids, missing = site.article_ids(), site.missing_ids()
    assert len(ids) == pages and ids == sorted(set(ids)) and ids[0] == 1
    assert sorted(ids + missing) == list(range(1, ids[-1] + 1))
    assert abs(len(missing) - 0.05 * ids[-1]) <= 1


def test_departments_are_the_35_of_the_real_site():
    assert [department.name for department in DEPARTMENTS] == REAL_SITE_DEPARTMENTS


def test_ask_dates_rise_with_the_number_and_replies_follow_within_five_days(site, good_ids):
    truths = [site.truth(q_no) for q_no in good_ids]
    ask_dates = [truth["ask_date"] for truth in truths]
    assert ask_dates == sorted(ask_dates) and ask_dates[0] >= FIRST_DAY and ask_dates[-1] <= LAST_DAY
    assert ask_dates[0].year == 2003 and ask_dates[-1].year == 2024
    delays = Counter((truth["reply_date"] - truth["ask_date"]).days for truth in truths if truth["answer"])
    assert set(delays) == set(range(6))


# --- article pages against the ground truth ------------------------------------------------------


def test_every_good_article_reads_as_its_truth_under_the_contract(site, good_ids, bodies):
    for q_no in good_ids:
        truth = site.truth(q_no)
        expected = {key: truth[key] for key in read_article(bodies[q_no], site.generation(q_no))}
        assert read_article(bodies[q_no], site.generation(q_no)) == expected, q_no
        assert truth["path"] == f"{ARTICLE_PATH}?q_no={q_no}" and truth["language"] == "zh-Hant"
        assert (truth["more_info"], truth["similar_questions"], truth["related_faqs"]) == (None, [], [])


def test_articles_show_their_text_outside_the_chrome(site, good_ids, bodies):
    for q_no in good_ids[:150]:
        truth, text = site.truth(q_no), " ".join(visible_text(bodies[q_no]).split())
        for line in [truth["title"], *truth["question"].split("\n"), *(truth["answer"] or "").split("\n")]:
            assert line in text, (q_no, line)
        assert TRAP_DATE not in text


def test_headers_and_meta_declare_big5_as_the_charset_style_says(site, bodies):
    styles = Counter()
    for q_no, body in bodies.items():
        style = site.charset_style(q_no)
        styles[style] += 1
        content_type = article(site, q_no)[1]["Content-Type"]
        assert content_type == ("text/html; charset=big5" if "header" in style else "text/html")
        assert bool(re.search(rb"<meta [^>]*charset=\"?big5", body[:1024])) == ("meta" in style)
    assert set(styles) == set(CHARSET_STYLES) and min(styles.values()) > 0.15 * len(bodies)


def test_both_markup_generations_are_common(site, good_ids, bodies):
    generations = Counter(site.generation(q_no) for q_no in good_ids)
    assert set(generations) == set(GENERATIONS) and min(generations.values()) > 0.4 * len(good_ids)
    for q_no in good_ids[:40]:
        newer = site.generation(q_no) == "newer"
        assert (b"w3.css" in bodies[q_no]) == newer and (b'<li class="subject">' in bodies[q_no]) != newer


def test_pages_are_cp950_with_entities_only_for_characters_it_lacks(site, good_ids, bodies):
    entities = Counter()
    for q_no in good_ids:
        text = bodies[q_no].decode("cp950")
        for number in re.findall(r"&#([0-9]+);", text):
            entities[chr(int(number))] += 1
        assert "∕" not in text and "\ufffd" not in text
        assert b"\xa1\xfe" in bodies[q_no]  # the full-width slash
    assert set(entities) <= UNENCODABLE and len(entities) >= 3
    names = [site.truth(q_no)["asker"]["name"] or "" for q_no in good_ids]
    assert sum(bool(UNENCODABLE & set(name)) for name in names) >= 5


def test_truth_covers_every_form_the_contract_allows(site, good_ids, bodies):
    truths = [site.truth(q_no) for q_no in good_ids]
    answered = [truth for truth in truths if truth["answer"]]
    unanswered = [truth for truth in truths if not truth["answer"]]
    assert 0.04 < len(unanswered) / len(truths) < 0.13
    assert all(truth["doctor"] == {"name": None, "hospital": None} and truth["department"] is None
               and truth["reply_date"] is None for truth in unanswered)
    without_hospital = sum(truth["doctor"]["hospital"] is None for truth in answered)
    assert 0.2 < without_hospital / len(answered) < 0.4
    assert {truth["department"] for truth in answered} <= set(REAL_SITE_DEPARTMENTS)
    assert Counter(truth["asker"]["gender"] for truth in truths).keys() == {"male", "female", None}
    assert any(truth["asker"]["name"] is None for truth in truths)
    ages = {(truth["asker"]["age_min"] is None, truth["asker"]["age_max"] is None,
             truth["asker"]["age_min"] == truth["asker"]["age_max"]) for truth in truths}
    assert ages == {(False, False, False), (False, False, True), (False, True, False), (True, False, False),
                    (True, True, True)}
    categories = Counter(len(truth["categories"]) for truth in truths)
    assert set(categories) == {0, 1, 2, 3} and 0.4 < categories[0] / len(truths) < 0.6
    assert all(isinstance(truth["view_count"], int) and truth["view_count"] > 0 for truth in truths)
    for truth in truths:
        for line in [truth["title"], *truth["question"].split("\n"), *(truth["answer"] or "x").split("\n")]:
            assert line and line == " ".join(line.split()), line
    text = b"".join(bodies[q_no] for q_no in good_ids).decode("cp950")
    for shown in (r"\d0~\d9歲,", r", 20\d\d/\d\d/\d\d<", r", 20\d\d-\d\d-\d\d<", r", \d{2,3}/\d\d/\d\d<",
                  r", 民國\d{2,3}年\d{1,2}月\d{1,2}日<", r", \d{2,3}年\d{1,2}月\d{1,2}日<", r"／保密,", r"／／",
                  r"歲以上,", r"歲以下,", r"　　", r"<br><br>", r"<br />\n", r"<BR>", r"民國\d+年\d+月\d+日開始",
                  r"每天兩次 500mg", r'<a href="https://www.hpa.gov.tw/" target="_blank">'):
        assert re.search(shown, text), shown
    assert "內　科" not in text


def test_scripts_hold_the_labels_as_a_trap_and_newer_menus_reuse_the_bar_item_class(site, good_ids, bodies):
    for q_no in good_ids[:40]:
        root = document(bodies[q_no])
        script = " ".join(root.xpath("//script/text()"))
        assert "答復者" in script and "發問者" in script and TRAP_DATE in script
        if site.generation(q_no) == "newer":
            assert len(root.xpath('//a[contains(@class, "w3-bar-item")]')) == 3


def test_undecodable_articles_fail_every_big5_decoder_and_have_no_truth(site, bodies):
    assert list(site.broken().values()) == ["undecodable", "undecodable"]
    for q_no in site.broken():
        for encoding in ("cp950", "big5", "big5hkscs", "utf-8"):
            with pytest.raises(UnicodeDecodeError):
                bodies[q_no].decode(encoding)
        with pytest.raises(KeyError):
            site.truth(q_no)
    assert [len(TwEHospitalSite(pages=pages).broken()) for pages in (10, 20, 100)] == [0, 1, 2]


def test_missing_numbers_answer_200_with_the_does_not_exist_page(site):
    beyond = site.article_ids()[-1] + 1
    for value in [*site.missing_ids(), 0, beyond, "abc", "", "-3"]:
        status, headers, body = article(site, value)
        root = document(body)
        assert status == 200 and headers["Content-Type"].startswith("text/html")
        assert [h1.text_content() for h1 in root.xpath("//h1")] == ["問題不存在"]
        assert not root.xpath('//li[@class="subject"] | //div[@class="msg"]')
    for q_no in (site.missing_ids()[0], 0, beyond):
        with pytest.raises(KeyError):
            site.truth(q_no)
    styles = {site.charset_style(q_no) for q_no in site.missing_ids()}
    assert len(styles) > 1


# --- planted contact details (pii=True) -----------------------------------------------------------

@pytest.fixture(scope="module")
def pii_site() -> TwEHospitalSite:
    return TwEHospitalSite(pages=600, seed=7, pii=True)


def test_pii_is_off_by_default_and_then_changes_no_page():
    default, off = TwEHospitalSite(pages=300, seed=7), TwEHospitalSite(pages=300, seed=7, pii=False)
    requests = _sample_requests(default)
    assert [default.render(path, query) for path, query in requests] == [off.render(path, query)
                                                                         for path, query in requests]
    assert not default.pii and default.pii_articles() == []
    assert all(default.planted_pii(q_no) == default.planted_lookalikes(q_no) == [] for q_no in default.article_ids())


def test_pii_plants_about_a_tenth_of_the_good_articles_and_changes_no_other_page(site, pii_site, good_ids, bodies):
    planted = pii_site.pii_articles()
    assert len(planted) == round(0.1 * len(good_ids)) and set(planted) <= set(good_ids)
    assert [q_no for q_no in pii_site.article_ids() if pii_site.planted_pii(q_no)] == planted
    assert (pii_site.article_ids(), pii_site.missing_ids(), pii_site.broken()) == (
        site.article_ids(), site.missing_ids(), site.broken())
    for q_no in site.article_ids():
        assert (article(pii_site, q_no)[2] == bodies[q_no]) == (q_no not in planted), q_no
    requests = [request for request in _sample_requests(site) if request[0] != ARTICLE_PATH]
    assert [pii_site.render(*request) for request in requests] == [site.render(*request) for request in requests]
    again = TwEHospitalSite(pages=600, seed=7, pii=True)
    assert [again.planted_pii(q_no) for q_no in planted] == [pii_site.planted_pii(q_no) for q_no in planted]
    with pytest.raises(KeyError):
        pii_site.planted_pii(site.missing_ids()[0])


def test_planted_identifiers_are_published_in_every_realistic_form(pii_site):
    spans: list[tuple[str, str]] = []
    lookalikes: list[tuple[str, str]] = []
    in_answers = 0
    for q_no in pii_site.pii_articles():
        truth = pii_site.truth(q_no)
        text = truth["question"] + "\n" + (truth["answer"] or "")
        planted = pii_site.planted_pii(q_no)
        assert 2 <= len(planted) <= 3
        for _, span in planted:
            assert span in text and span not in truth["title"], (q_no, span)
            in_answers += span in (truth["answer"] or "")
        for _, shown in pii_site.planted_lookalikes(q_no):
            assert shown in text, (q_no, shown)
        spans += planted
        lookalikes += pii_site.planted_lookalikes(q_no)
    assert {kind for kind, _ in spans} == {"EMAIL", "PHONE", "ID", "CONTACT"}
    assert {kind for kind, _ in lookalikes} == LOOKALIKE_KINDS
    assert in_answers >= 3
    texts = [span for _, span in spans]
    for form in (r"[\w.-]+@[\w.-]+\.[a-z.]+", r"[\w.-]+＠[\w.-]+\.[a-z.]+", r"[\w.-]+ ＠ [\w.-]+\.[a-z.]+",
                 r"09\d\d-\d{3}-\d{3}", r"09\d{8}", r"０９[０-９]{8}", r"０９[０-９]{2} [０-９]{3} [０-９]{3}",
                 r"\(0\d{1,2}\)\d{3,4}-\d{4}", r"（0\d{1,2}）\d{3,4}-\d{4}", r"0\d{1,2}-\d{3,4}-\d{4} 分機\d+",
                 r"0\d{1,2}-\d{3,4}-\d{4}轉\d+", r"\+886 9\d\d \d{3} \d{3}", r"\+1 \(\d{3}\) 555-01\d\d",
                 r"[A-Z][12]\d{8}", r"LINE ID: [\w.-]+", r"line：[\w.-]+", r"LINE：[\w.-]+"):
        assert any(re.fullmatch(form, text) for text in texts), form
    questions = "\n".join(pii_site.truth(q_no)["question"] for q_no in pii_site.pii_articles())
    assert re.search(r"加我line：[\w.-]+", questions)
    assert len(set(texts)) == len(texts)
    shown = [text for _, text in lookalikes]
    for form in (r"\d{4}/\d\d/\d\d", r"民國\d+年\d+月\d+日", r"\d{7}", r"\d+歲", r"\d+~\d+歲", r"\d{2,3}/\d{2,3}",
                 r"(每天兩次|一天三次|每天一次|早晚各一次) [\d.]+ ?mg(/kg)?", r"ICD-[\w-]+ \S+"):
        assert any(re.fullmatch(form, text) for text in shown), form


def test_pages_with_planted_identifiers_read_as_their_truth_in_cp950(pii_site):
    for q_no in pii_site.pii_articles():
        body, truth = article(pii_site, q_no)[2], pii_site.truth(q_no)
        assert read_article(body, pii_site.generation(q_no)) == {
            key: truth[key] for key in read_article(body, pii_site.generation(q_no))}, q_no
        entities = {chr(int(number)) for number in re.findall(r"&#([0-9]+);", body.decode("cp950"))}
        assert entities <= UNENCODABLE


def test_masking_replaces_exactly_the_planted_spans_and_keeps_the_look_alikes(pii_site):
    assert_masking_matches_planting(pii_site)


# --- discovery: home, department pages, history listings ------------------------------------------


def hrefs(body: bytes) -> list[str]:
    return document(body).xpath("//a/@href")


def query_of(href: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(href).query, keep_blank_values=True, encoding=TwEHospitalSite.query_encoding)


def test_home_links_every_department_in_big5_and_the_newest_questions(site):
    status, _, body = site.render(HOME_PATH)
    assert status == 200
    links = document(body).xpath(f'//ul[@class="dept"]//a[starts-with(@href, "{DEPARTMENT_PATH}?d_class=")]')
    labels = ["內　科" if name == "內科" else name for name in REAL_SITE_DEPARTMENTS]
    assert [link.text_content() for link in links] == labels
    assert links[0].get("href") == f"{DEPARTMENT_PATH}?d_class=%AF%AB%B8g%A4%BA%AC%EC"
    assert [query_of(link.get("href"))["d_class"] for link in links] == [[name] for name in REAL_SITE_DEPARTMENTS]
    assert f"{HISTORY_PATH}?UrlClass=%A8x%C1x%B8z%ADG%AC%EC&SortBy=q_no&PageNo=1" in hrefs(body)
    newest = [href for href in hrefs(body) if href.startswith(ARTICLE_PATH)]
    assert newest == [f"{ARTICLE_PATH}?q_no={q_no}" for q_no in site.article_ids()[::-1][:10]]


def listing_rows(body: bytes) -> list[int]:
    links = document(body).xpath('//table[@class="table1"]//a/@href')
    assert all(re.fullmatch(r"ShowDetail\.php\?q_no=[0-9]+", link) for link in links)
    return [int(link.rsplit("=", 1)[1]) for link in links]


def test_history_listings_page_through_the_select_and_cover_every_article_once(site):
    listed: list[int] = []
    for name in REAL_SITE_DEPARTMENTS:
        status, _, page = site.render(DEPARTMENT_PATH, {"d_class": [name]})
        history = [href for href in hrefs(page) if href.startswith("history.php?")]
        assert status == 200 and len(history) == 1 and "%" in history[0]
        first = query_of(history[0])
        assert first == {"UrlClass": [name], "SortBy": ["q_no"], "PageNo": ["1"]}

        status, _, body = site.render(HISTORY_PATH, first)
        options = document(body).xpath('//select[@id="PageNo"][@name="PageNo"]/option/@value')
        assert status == 200 and options == [str(k) for k in range(1, len(options) + 1)]
        in_department: list[int] = []
        for option in options:
            body = site.render(HISTORY_PATH, {**first, "PageNo": [option]})[2]
            rows = listing_rows(body)
            assert 0 < len(rows) <= 20 and (len(rows) == 20 or option == options[-1])
            in_department += rows
        assert in_department == sorted(in_department, reverse=True)
        for beyond in (str(len(options) + 1), "0", "x"):
            status, _, body = site.render(HISTORY_PATH, {**first, "PageNo": [beyond]})
            assert status == 200 and listing_rows(body) == []
        listed += in_department
    assert sorted(listed) == site.article_ids()


def test_listing_links_carry_big5_query_values_that_only_a_cp950_decoding_resolves(site):
    body = site.render(HISTORY_PATH, {"UrlClass": ["肝膽腸胃科"], "PageNo": ["1"]})[2]
    encoded = [href for href in hrefs(body) if "%" in href]
    assert f"{DEPARTMENT_PATH}?d_class=%A8x%C1x%B8z%ADG%AC%EC" in encoded
    assert all(re.fullmatch(r"[!-~]+", href) for href in encoded)
    wrongly_decoded = parse_qs("UrlClass=%A8x%C1x%B8z%ADG%AC%EC&PageNo=1")  # UTF-8, as parse_qs defaults
    assert site.render(HISTORY_PATH, wrongly_decoded)[0] == 404
    assert site.render(DEPARTMENT_PATH, {"d_class": ["不存在科"]})[0] == 404


def test_robots_and_unknown_paths():
    site = TwEHospitalSite(pages=40)
    status, headers, body = site.render("/robots.txt")
    assert status == 200 and headers["Content-Type"] == "text/plain"
    assert body == b"User-agent: *\nDisallow: /doctor/admin/\n"
    for path in ("/", "/doctor/", "/doctor/All/ShowDetail.php/1", "/sitemap.xml"):
        status, headers, body = site.render(path)
        assert status == 404 and int(headers["Content-Length"]) == len(body)

