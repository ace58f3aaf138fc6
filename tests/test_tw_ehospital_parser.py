"""The tw_ehospital (台灣e院) parser beyond its fixture records (tests/test_fixtures.py compares those field by
field): which cases the fixture set must hold, Big5/CP950 decoding of the fixture pages, its date and age
helpers, and the rules of the parser on small targeted pages.
"""

from __future__ import annotations

import functools
from datetime import UTC, date, datetime
from typing import Any

import pytest

from qacrawler.page.records import QARecord
from qacrawler.page.sites import fields, tw_ehospital
from qacrawler.page.sites.encoding import UndecodablePage
from qacrawler.page.sites.errors import NotAnArticle
from tests.fixture_cases import CRAWLED_AT, FixtureSet

FIXTURE_SET = FixtureSet("tw_ehospital")
ARTICLES, NOT_ARTICLES = FIXTURE_SET.articles, FIXTURE_SET.not_articles
_url, _page, _content_type = FIXTURE_SET.url, FIXTURE_SET.page, FIXTURE_SET.content_type


@functools.cache
def _parsed(case: str) -> dict[str, Any]:
    record = tw_ehospital.parse(_page(case), _url(case), crawled_at=CRAWLED_AT, content_type=_content_type(case))
    return record.model_dump(mode="json")


def _decodes(data: bytes, encoding: str) -> bool:
    try:
        data.decode(encoding)
    except UnicodeDecodeError:
        return False
    return True


def test_the_fixture_set_has_the_required_cases():
    required = {"older_li_declared", "newer_w3css", "undeclared_big5", "numeric_entity_name", "no_hospital",
                "unanswered", "roc_dates", "open_ended_age", "categories_and_views", "redesigned_markup"}
    assert required <= set(ARTICLES)
    assert {"not_exist", "history_listing", "index_page", "undecodable"} <= set(NOT_ARTICLES)


BIG5_DECODABLE = [case for case in ARTICLES if _decodes(_page(case), "big5") and _decodes(_page(case), "cp950")]


def test_the_big5_equivalence_check_covers_the_big5_cases():
    assert {"undeclared_big5", "big5_punctuation", "older_li_declared", "newer_w3css"} <= set(BIG5_DECODABLE)


@pytest.mark.parametrize("case", BIG5_DECODABLE)
def test_big5_and_cp950_decodings_give_the_same_record(case):
    """Pre-decoded text from either Big5 codec parses like the bytes (the punctuation they disagree on
    is normalised: the undeclared_big5 separators are A241, which cp950 reads as U+2215)."""
    data, url = _page(case), _url(case)
    as_big5 = tw_ehospital.parse(data.decode("big5"), url, crawled_at=CRAWLED_AT).model_dump(mode="json")
    as_cp950 = tw_ehospital.parse(data.decode("cp950"), url, crawled_at=CRAWLED_AT).model_dump(mode="json")
    assert as_big5 == as_cp950 == _parsed(case)


def test_the_big5_and_cp950_decodings_really_differ_on_the_punctuation_case():
    data = _page("big5_punctuation")
    assert data.decode("big5") != data.decode("cp950")
    assert "\u2215" in _page("undeclared_big5").decode("cp950")


@pytest.mark.parametrize("case", ARTICLES)
def test_without_the_http_header_the_meta_or_the_cp950_default_decodes_alike(case):
    record = tw_ehospital.parse(_page(case), _url(case), crawled_at=CRAWLED_AT)
    assert record.model_dump(mode="json") == _parsed(case)


def test_crawled_at_is_passed_through_or_now_in_utc():
    assert _parsed("older_li_declared")["source_id"] == "123456"
    before = datetime.now(UTC)
    record = tw_ehospital.parse(_page("older_li_declared"), _url("older_li_declared"))
    assert before <= record.crawled_at <= datetime.now(UTC)


def test_module_constants():
    assert (tw_ehospital.SITE, tw_ehospital.PARSER_VERSION, tw_ehospital.LANGUAGE) == ("tw_ehospital", "1.0", "zh-Hant")


@pytest.mark.parametrize("case", ["not_exist", "history_listing", "index_page", "empty_document", "undecodable"])
def test_not_an_article_by_content_alone(case):
    """Even served at an article URL, the page itself is refused."""
    with pytest.raises(NotAnArticle) as raised:
        tw_ehospital.parse(_page(case), "https://sp1.hso.mohw.gov.tw/doctor/All/ShowDetail.php?q_no=4321")
    assert "URL" not in raised.value.reason


def test_undecodable_bytes_are_refused_with_their_offset():
    with pytest.raises(UndecodablePage) as raised:
        tw_ehospital.parse(_page("undecodable"), _url("undecodable"), content_type=_content_type("undecodable"))
    assert raised.value.offset == _page("undecodable").index(b"\xff\xfe\x80") == 918
    assert raised.value.encoding == "cp950" and "decode" in raised.value.reason


def test_undecodable_bytes_in_a_declared_big5_page_are_refused_too():
    data = _page("undecodable")
    with pytest.raises(UndecodablePage, match="offset 918 do not decode as cp950"):
        tw_ehospital.parse(data, _url("undecodable"), content_type="text/html; charset=big5")


@pytest.mark.parametrize(
    ("url", "source_id"),
    [
        ("https://sp1.hso.mohw.gov.tw/doctor/All/ShowDetail.php?q_no=123456", "123456"),
        ("http://127.0.0.1:8080/doctor/All/ShowDetail.php?q_no=1", "1"),
        ("https://sp1.hso.mohw.gov.tw/doctor/All/ShowDetail.php?SortBy=q_no&q_no=00042#top", "42"),
        ("https://sp1.hso.mohw.gov.tw/doctor/All/ShowDetail.php?q_no=12abc", None),
        ("https://sp1.hso.mohw.gov.tw/doctor/All/ShowDetail.php?q_no=", None),
        ("https://sp1.hso.mohw.gov.tw/doctor/All/ShowDetail.php", None),
        ("", None),
    ],
)
def test_source_id_from_url(url, source_id):
    assert tw_ehospital.source_id_from_url(url) == source_id


def test_canonical_url_keeps_only_q_no():
    url = "https://sp1.hso.mohw.gov.tw/doctor/All/ShowDetail.php?q_no=190000&SortBy=q_no#top"
    assert tw_ehospital.canonical_url(url, "190000") == "https://sp1.hso.mohw.gov.tw/doctor/All/ShowDetail.php?q_no=190000"


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("https://sp1.hso.mohw.gov.tw/doctor/All/history.php?UrlClass=%A8x%C1x%B8z%ADG%AC%EC&PageNo=1", "listing"),
        ("https://sp1.hso.mohw.gov.tw/doctor/Index1.php", "home"),
        ("https://sp1.hso.mohw.gov.tw/doctor/All/index.php?d_class=%A4%BA%AC%EC", "index"),
        ("https://sp1.hso.mohw.gov.tw/doctor/All/ShowDetail.php", "q_no"),
    ],
)
def test_urls_that_are_not_articles(url, reason):
    with pytest.raises(NotAnArticle, match=reason):
        tw_ehospital.parse(_page("older_li_declared"), url)


# --- parser rules on small pages -----------------------------------------------------------------

URL = "https://sp1.hso.mohw.gov.tw/doctor/All/ShowDetail.php?q_no=5000"
SUBJECT = '<li class="subject">#5000 標題</li>'
ASKER = '<li class="asker">發問者：小王／男／30~39歲, 2020/01/02</li>'
ASK = '<li class="ask">問題內容</li>'
DOCTOR = '<li class="doctor">答復者：某醫院／內科／陳醫師, 2020/01/03</li>'
ANS = '<li class="ans">回答內容</li>'


def page(*blocks: str) -> str:
    return "<html><head><title>台灣e院</title></head><body>" + "\n".join(blocks) + "</body></html>"


def parse(*blocks: str) -> QARecord:
    return tw_ehospital.parse(page(*blocks), URL, crawled_at=CRAWLED_AT)


def test_the_smallest_article():
    record = parse("<ul>", SUBJECT, ASKER, ASK, DOCTOR, ANS, "</ul>")
    assert (record.title, record.question, record.answer) == ("標題", "問題內容", "回答內容")
    asker = record.asker
    assert (asker.name, asker.gender, asker.age_min, asker.age_max) == ("小王", "male", 30, 39)
    assert (record.doctor.name, record.doctor.hospital, record.department) == ("陳醫師", "某醫院", "內科")
    assert record.specialty == "internal_medicine"
    assert (record.ask_date, record.reply_date) == (date(2020, 1, 2), date(2020, 1, 3))
    assert (record.view_count, record.categories) == (None, [])


def test_labels_in_script_nav_and_comments_are_not_read():
    record = parse(
        "<script>var a = '發問者：假／女／20歲, 1999/01/01';</script>",
        "<nav>答復者：假醫院／外科／假醫師, 1999/01/02 瀏覽數：9</nav><!-- 相關分類：假 -->",
        "<ul>", SUBJECT, ASKER, ASK, DOCTOR, ANS, "</ul>",
    )
    assert record.asker.name == "小王" and record.doctor.name == "陳醫師"
    assert (record.view_count, record.categories) == (None, [])


def test_suffix_labels_in_their_own_blocks():
    record = parse(
        "<h2>#5000</h2><h2>標題</h2>",
        "<div><span>小王／女／25歲,2020/01/02</span></div><div>提問：</div>",
        "<p>第一段</p><p>第二段</p>",
        "<div>內科／陳醫師, 2020/01/03</div><div>回覆：</div>",
        "<p>回答</p>",
    )
    assert (record.asker.name, record.asker.gender, record.asker.age_min) == ("小王", "female", 25)
    assert record.question == "第一段\n第二段" and record.answer == "回答"
    assert (record.doctor.hospital, record.department, record.doctor.name) == (None, "內科", "陳醫師")


def test_a_question_line_ending_in_a_reply_label_is_not_a_doctor_line():
    record = parse("<h2>#5000 標題</h2>", "<p>發問者：小王／男／30歲, 2020/01/02</p>", "<p>請醫師回覆：</p>",
                   "<p>謝謝</p>")
    assert record.question == "請醫師回覆：\n謝謝" and record.answer is None and record.doctor.name is None


def test_views_and_categories_on_one_line_and_labels_with_values_in_the_next_block():
    record = parse("<ul>", SUBJECT, "<li>瀏覽數：1,024　相關分類：甲、乙﹑丙</li>", ASKER, ASK, DOCTOR, ANS, "</ul>")
    assert (record.view_count, record.categories) == (1024, ["甲", "乙", "丙"])
    record = parse("<ul>", SUBJECT, "<dl><dt>瀏覽數</dt><dd>7</dd><dt>相關分類：</dt><dd>甲</dd></dl>", ASKER, ASK,
                   DOCTOR, ANS, "</ul>")
    assert (record.view_count, record.categories, record.question) == (7, ["甲"], "問題內容")


def test_an_unlabelled_count_item_is_the_view_count():
    record = parse("<ul>", SUBJECT, '<li class="count">88</li>', ASKER, ASK, DOCTOR, ANS, "</ul>")
    assert record.view_count == 88


def test_the_question_above_the_asker_line():
    record = parse("<h1>#5000 標題</h1>", "<p>問題一</p><p>問題二</p>", "<p>發問者：小王／男／30歲, 2020/01/02</p>",
                   "<p>答復者：內科／陳醫師, 2020/01/03</p>", "<p>回答</p>")
    assert record.question == "問題一\n問題二" and record.answer == "回答"


def test_the_answer_ends_at_a_menu_or_a_meta_line():
    record = parse("<h1>#5000 標題</h1>", "<p>發問者：小王／男／30歲, 2020/01/02</p>", "<p>問題</p>",
                   "<p>答復者：內科／陳醫師, 2020/01/03</p>", "<p>回答</p>", "<p>瀏覽數：3</p>", "<p>頁尾文字</p>",
                   '<p><a href="/doctor/Index1.php">回首頁</a> | <a href="/x">常見問題</a></p>')
    assert record.answer == "回答" and record.view_count == 3


def test_asker_parts():
    def asker(part: str) -> tuple[Any, ...]:
        record = parse("<h1>#5000 標題</h1>", f"<p>發問者：{part}</p>", "<p>問題</p>")
        return record.asker.name, record.asker.gender, record.asker.age_min, record.asker.age_max, record.ask_date

    assert asker("小王／男性／30歲, 2020/01/02") == ("小王", "male", 30, 30, date(2020, 1, 2))
    assert asker("A／B／女／20~29歲,2020-01-02") == ("A／B", "female", 20, 29, date(2020, 1, 2))
    assert asker("王,小明／女／保密, 2020/01/02") == ("王,小明", "female", None, None, date(2020, 1, 2))
    assert asker("小王／女, 2020/01/02") == ("小王", "female", None, None, date(2020, 1, 2))
    assert asker("小王／40歲以上, 2020/01/02") == ("小王", None, 40, None, date(2020, 1, 2))
    assert asker("／男／30歲, 2020/02/30") == (None, "male", 30, 30, None)  # empty name, impossible date
    assert asker("小王／男／30歲, 民國109年1月2日") == ("小王", "male", 30, 30, date(2020, 1, 2))
    assert asker("小王∕男∕30歲, 2020/01/02")[:2] == ("小王", "male")  # U+2215 also separates


def test_doctor_parts():
    def doctor(part: str) -> tuple[Any, ...]:
        record = parse("<h1>#5000 標題</h1>", "<p>發問者：小王／男／30歲, 2020/01/02</p>", "<p>問題</p>",
                       f"<p>答復者：{part}</p>", "<p>回答</p>")
        return record.doctor.hospital, record.department, record.doctor.name, record.reply_date

    assert doctor("衛生福利部／桃園醫院／家醫科／王醫師, 108/1/2") == (
        "衛生福利部／桃園醫院", "家醫科", "王醫師", date(2019, 1, 2))
    assert doctor("家醫科／王醫師, 2019/01/02") == (None, "家醫科", "王醫師", date(2019, 1, 2))
    assert doctor("王醫師, 2019/01/02") == (None, None, "王醫師", date(2019, 1, 2))


def test_a_title_mentioning_does_not_exist_is_still_an_article():
    record = parse("<h1>#5000 檢查說腫瘤不存在了嗎</h1>", "<p>發問者：小王／男／30歲, 2020/01/02</p>", "<p>問題</p>")
    assert record.title == "檢查說腫瘤不存在了嗎"


def test_another_q_no_on_the_page_is_read_when_the_urls_one_is_absent():
    record = parse("<h1>#4999 標題</h1>", "<p>發問者：小王／男／30歲, 2020/01/02</p>", "<p>問題</p>")
    assert (record.source_id, record.title) == ("5000", "標題")


@pytest.mark.parametrize(
    ("blocks", "reason"),
    [
        (("<p>只有文字</p>",), "no question subject"),
        (("<h1>#5000</h1>", "<p>發問者：小王／男／30歲, 2020/01/02</p>", "<p>問題</p>"), "no question title"),
        (("<h1>#5000 標題</h1>", "<p>發問者：小王／男／30歲, 2020/01/02</p>"), "no question text"),
        (("<h1>問題不存在</h1>",), "不存在"),
    ],
)
def test_pages_without_the_parts_of_an_article(blocks, reason):
    with pytest.raises(NotAnArticle, match=reason):
        parse(*blocks)


# --- date and age helpers (qacrawler.page.sites.fields) -----------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2018/03/08", date(2018, 3, 8)),
        ("2018-03-08", date(2018, 3, 8)),
        ("2018.3.8", date(2018, 3, 8)),
        ("2018年3月8日", date(2018, 3, 8)),
        ("107/03/08", date(2018, 3, 8)),
        ("107-3-8", date(2018, 3, 8)),
        ("99/12/31", date(2010, 12, 31)),
        ("民國107年3月8日", date(2018, 3, 8)),
        ("民國 107 年 3 月 8 日", date(2018, 3, 8)),
        ("107年3月8日", date(2018, 3, 8)),
        ("107年3月8", date(2018, 3, 8)),
        ("１０７年３月８日", date(2018, 3, 8)),
        (" 2018/03/08 ", date(2018, 3, 8)),
        ("2018/02/29", None),
        ("107/02/29", None),
        ("2020/02/29", date(2020, 2, 29)),
        ("109/02/29", date(2020, 2, 29)),
        ("2018/13/01", None),
        ("民國0年1月1日", None),
        ("0000/01/01", None),
        ("2018/03-08", None),
        ("1070308", None),
        ("2018/03/08 提問", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_date(text, expected):
    assert fields.parse_date(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("陳小姐／女／30~39歲, 2018/03/08", date(2018, 3, 8)),
        ("黃先生／男／45歲, 民國107年3月8日", date(2018, 3, 8)),
        ("內科／陳醫師, 107/03/09 回覆：", date(2018, 3, 9)),
        ("30~39歲", None),
        ("版本 2.10.3", None),
        ("v12018/03/08", None),
        ("107/02/30", None),
    ],
)
def test_find_date(text, expected):
    assert fields.find_date(text) == expected


def test_the_existing_ymd_helpers_still_refuse_roc_dates():
    assert fields.parse_ymd_date("107/03/08") is None and fields.find_ymd_date("107/03/08") is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30~39歲", (30, 39)),
        ("30～39歲", (30, 39)),
        ("30-39", (30, 39)),
        ("30至39歲", (30, 39)),
        ("30歲", (30, 30)),
        ("60歲以上", (60, None)),
        ("60以上", (60, None)),
        ("10歲以下", (None, 10)),
        ("(60歲以上)", (60, None)),
        ("（20~29歲）", (20, 29)),
        ("保密", (None, None)),
        ("", (None, None)),
        (None, (None, None)),
        ("39~30歲", (None, None)),
        ("200歲", (None, None)),
        ("30~39歲以上", (None, None)),
        ("三十歲", (None, None)),
    ],
)
def test_parse_zh_age_range(text, expected):
    assert fields.parse_zh_age_range(text) == expected
