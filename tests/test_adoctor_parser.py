"""The adoctor.tw parser (the template parser's Traditional Chinese table) on hand-written fixture pages,
one assertion per (case, field), and its Chinese asker-line grammar on small targeted lines.

Fixtures: tests/fixtures/adoctor/<case>/page.html, url.txt, expected.json (see tests/fixture_cases.py).
"""

from __future__ import annotations

import functools
from typing import Any

import pytest

from qacrawler.page.sites import adoctor, doctorqna
from qacrawler.page.sites.errors import NotAnArticle, PageMissing
from tests.fixture_cases import CRAWLED_AT, FixtureSet

FIXTURE_SET = FixtureSet("adoctor")
ARTICLES, NOT_ARTICLES = FIXTURE_SET.articles, FIXTURE_SET.not_articles
REFUSED_BY_URL = ["other_host_url"]  # an article page, refused for its URL alone


@functools.cache
def _parsed(case: str) -> dict[str, Any]:
    return adoctor.parse(FIXTURE_SET.page(case), FIXTURE_SET.url(case), crawled_at=CRAWLED_AT).model_dump(mode="json")


def test_the_fixture_set_has_the_required_cases():
    assert {"typical", "comma_in_name", "open_ended_age", "signed_by_another_doctor",
            "no_share_no_heading"} <= set(ARTICLES)
    assert {"not_found", "other_host_url"} <= set(NOT_ARTICLES)


@pytest.mark.parametrize("case", ARTICLES)
def test_text_and_bytes_give_the_same_record(case):
    as_text = adoctor.parse(FIXTURE_SET.page(case).decode("utf-8"), FIXTURE_SET.url(case), crawled_at=CRAWLED_AT)
    assert as_text.model_dump(mode="json") == _parsed(case)


def test_module_constants():
    assert (adoctor.SITE, adoctor.PARSER_VERSION, adoctor.LANGUAGE) == ("adoctor", "1.0", "zh-Hant")


@pytest.mark.parametrize("case", [case for case in NOT_ARTICLES if case not in REFUSED_BY_URL])
def test_not_an_article_by_content_alone(case):
    """Even served at an article URL, the page itself is refused."""
    with pytest.raises(NotAnArticle) as raised:
        adoctor.parse(FIXTURE_SET.page(case), "https://adoctor.tw/article/4321")
    assert "URL" not in raised.value.reason


def test_a_chinese_not_found_page_is_a_missing_page():
    with pytest.raises(PageMissing):
        adoctor.parse(FIXTURE_SET.page("not_found"), FIXTURE_SET.url("not_found"))


@pytest.mark.parametrize("case", REFUSED_BY_URL)
def test_the_page_refused_for_its_url_parses_at_its_own_url(case):
    own_url = "https://adoctor.tw" + FIXTURE_SET.url(case).split("doctorqna.com", 1)[1]
    assert adoctor.parse(FIXTURE_SET.page(case), own_url).source_id == own_url.rsplit("/", 1)[1]


@pytest.mark.parametrize(
    ("url", "source_id"),
    [
        ("https://adoctor.tw/article/133763", "133763"),
        ("https://www.adoctor.tw/article/133763?ref=similar#top", "133763"),
        ("http://127.0.0.1:8080/article/1189", "1189"),
        ("/article/42/", "42"),
        ("https://adoctor.tw/article/12abc", None),
        ("https://adoctor.tw/en/article/133763", None),  # doctorqna's path shape, on any host
        ("https://doctorqna.com/article/133763", None),  # adoctor's path shape on doctorqna's host
        ("https://adoctor.tw/faq/pediatrics", None),
        ("", None),
    ],
)
def test_source_id_from_url(url, source_id):
    assert adoctor.source_id_from_url(url) == source_id


def test_doctorqna_refuses_an_article_url_on_adoctors_host():
    """Two sites must not share a record id: doctorqna's path shape on adoctor.tw is not doctorqna's."""
    assert doctorqna.source_id_from_url("https://adoctor.tw/en/article/5") is None
    with pytest.raises(NotAnArticle, match="is not on doctorqna's hosts"):
        doctorqna.parse(FIXTURE_SET.page("typical"), "https://adoctor.tw/en/article/5")


def _asker_of(line: str) -> dict[str, Any]:
    page = (
        "<html><body><h2>標題</h2><p>問題內容。</p>"
        f"<p>{line}</p><p>林醫師 醫師回覆-內科</p><p>回答。</p><p>回覆日期:2020/01/02</p></body></html>"
    )
    record = adoctor.parse(page, "https://adoctor.tw/article/1")
    return {**record.asker.model_dump(), "ask_date": record.ask_date.isoformat() if record.ask_date else None}


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("王小美,20~29歲女性,詢問日期:2020/01/01", ("王小美", "female", 20, 29)),
        ("王小美，20～29歲女性，詢問日期：2020/01/01", ("王小美", "female", 20, 29)),  # full-width separators
        ("王,小美,20~29歲男性,詢問日期:2020/01/01", ("王,小美", "male", 20, 29)),  # split on the last comma
        ("李先生，60歲以上男性，詢問日期:2020/01/01", ("李先生", "male", 60, None)),
        ("李先生,60~歲男性,詢問日期:2020/01/01", ("李先生", "male", 60, None)),
        ("李先生,35歲女性,詢問日期:2020/01/01", ("李先生", "female", 35, 35)),
        ("小花,30~39歲,詢問日期:2020/01/01", ("小花", None, 30, 39)),  # no gender given
    ],
)
def test_asker_line_grammar(line, expected):
    asker = _asker_of(line)
    assert (asker["name"], asker["gender"], asker["age_min"], asker["age_max"]) == expected
    assert asker["ask_date"] == "2020-01-01"


def test_asker_name_spans_stop_at_the_sentence_mark_before_the_name():
    text = "請問要吃藥嗎？謝謝醫師！王,小美,20~29歲女性,詢問日期:2020/01/01 林醫師 醫師回覆-內科"
    assert [text[start:end] for start, end in adoctor.asker_name_spans(text)] == ["王,小美"]


def test_both_sites_are_one_parser_with_two_tables():
    """No copied parser code: the two modules' entry points are methods of the same class."""
    assert type(adoctor.parse.__self__) is type(doctorqna.parse.__self__)
    assert adoctor.LABELS != doctorqna.LABELS


def test_a_section_title_may_end_with_a_full_width_colon():
    page = (
        "<html><body><h2>標題</h2><p>問題內容。</p><p>小花,30~39歲女性,詢問日期：2020/01/01</p>"
        "<p>林醫師 醫師回覆-內科</p><p>回答。</p><p>回覆日期：2020/01/02</p>"
        "<h3>彙整補充說明：</h3><p>補充。</p></body></html>"
    )
    record = adoctor.parse(page, "https://adoctor.tw/article/1")
    assert (record.answer, record.more_info) == ("回答。", "補充。")
