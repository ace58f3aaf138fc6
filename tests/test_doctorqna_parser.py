"""The doctorqna parser beyond its fixture records (tests/test_fixtures.py compares those field by field):
which cases the fixture set must hold, the shared page-text reader and field helpers, and the rules of the
parser on small targeted pages.
"""

from __future__ import annotations

import functools
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urljoin

import parsel
import pydantic
import pytest
from lxml import etree

from qacrawler.page.records import QARecord
from qacrawler.page.sites import doctorqna, fields, page_text
from qacrawler.page.sites.encoding import UndecodablePage
from qacrawler.page.sites.errors import NotAnArticle
from tests.fixture_cases import CRAWLED_AT, FixtureSet

FIXTURE_SET = FixtureSet("doctorqna")
CASES, ARTICLES, NOT_ARTICLES = FIXTURE_SET.cases, FIXTURE_SET.articles, FIXTURE_SET.not_articles
_url, _page = FIXTURE_SET.url, FIXTURE_SET.page


@functools.cache
def _parsed(case: str) -> dict[str, Any]:
    return doctorqna.parse(_page(case), _url(case), crawled_at=CRAWLED_AT).model_dump(mode="json")


def test_the_fixture_set_has_the_required_cases():
    required = {"seed_semantic", "legacy_table", "generated_classes", "no_share_no_heading", "signoff_line_break",
                "comma_in_name", "no_similar_no_faq", "reply_missing"}
    assert required <= set(ARTICLES)
    assert {"not_found", "listing_page", "faq_topic_page", "home_page"} <= set(NOT_ARTICLES)


@pytest.mark.parametrize("case", ARTICLES)
def test_text_and_bytes_give_the_same_record(case):
    as_text = doctorqna.parse(_page(case).decode("utf-8"), _url(case), crawled_at=CRAWLED_AT)
    assert as_text.model_dump(mode="json") == _parsed(case)


def test_crawled_at_is_passed_through_or_now_in_utc():
    record = doctorqna.parse(_page("seed_semantic"), _url("seed_semantic"), crawled_at=CRAWLED_AT)
    assert record.crawled_at == CRAWLED_AT
    before = datetime.now(UTC)
    record = doctorqna.parse(_page("seed_semantic"), _url("seed_semantic"))
    assert before <= record.crawled_at <= datetime.now(UTC)


def test_module_constants():
    assert (doctorqna.SITE, doctorqna.PARSER_VERSION, doctorqna.LANGUAGE) == ("doctorqna", "1.0", "en")


@pytest.mark.parametrize("case", NOT_ARTICLES)
def test_not_an_article_by_content_alone(case):
    """Even served at an article URL, the page itself is refused."""
    with pytest.raises(NotAnArticle) as raised:
        doctorqna.parse(_page(case), "https://doctorqna.com/en/article/4321")
    assert "URL" not in raised.value.reason


@pytest.mark.parametrize(
    ("url", "source_id"),
    [
        ("https://doctorqna.com/en/article/133763", "133763"),
        ("http://127.0.0.1:8080/en/article/1189", "1189"),
        ("https://doctorqna.com/en/article/208862?ref=similar#top", "208862"),
        ("https://doctorqna.com/en/article/42/", "42"),
        ("https://doctorqna.com/en/article/12abc", None),
        ("https://doctorqna.com/en/faq/neurology", None),
        ("https://doctorqna.com/article/133763", None),
        ("", None),
    ],
)
def test_source_id_from_url(url, source_id):
    assert doctorqna.source_id_from_url(url) == source_id


# --- parser rules on small pages -----------------------------------------------------------------

URL = "https://doctorqna.com/en/article/5000"
ASKER = "<p>Ann, 20~29 year old female. Ask Date: 2020/01/02</p>"
HEADER = "<p>Dr. Chen Jiali reply Neurology</p>"


def page(*blocks: str) -> str:
    return "<!DOCTYPE html><html><head><title>t</title></head><body>" + "\n".join(blocks) + "</body></html>"


def parse(*blocks: str) -> QARecord:
    return doctorqna.parse(page(*blocks), URL, crawled_at=CRAWLED_AT)


def test_the_smallest_article():
    record = parse("<h2>Title?</h2>", "<p>Question.</p>", ASKER, HEADER, "<p>Answer.</p>",
                   "<p>Reply Date: 2020/01-03</p>")
    assert (record.title, record.question, record.answer) == ("Title?", "Question.", "Answer.")
    assert record.reply_date is None  # mixed separators are not a date
    assert record.doctor.name == "Chen Jiali" and record.specialty == "neurology"


def test_a_title_linking_to_the_article_itself_is_the_title_not_chrome():
    record = parse('<h2><a href="/en/article/5000">Linked title</a></h2>', "<p>Question.</p>", ASKER, HEADER,
                   "<p>Answer.</p>")
    assert (record.title, record.question) == ("Linked title", "Question.")


def test_a_question_paragraph_that_is_a_linked_url_stays_in_the_question():
    record = parse("<h2>Title</h2>", "<p>Is this true?</p>",
                   '<p><a href="https://forum.example.tw/t/1">https://forum.example.tw/t/1</a></p>', ASKER, HEADER,
                   "<p>Answer.</p>")
    assert record.title == "Title"
    assert record.question == "Is this true?\nhttps://forum.example.tw/t/1"


def test_menus_before_the_title_are_chrome_even_with_separators():
    record = parse('<div><a href="/en/">Home</a> &gt; <a href="/en/department/neurology">Neurology</a></div>',
                   "<h2>Title</h2>", "<p>Question.</p>", ASKER, HEADER, "<p>Answer.</p>")
    assert record.title == "Title"


def test_the_page_heading_is_skipped_only_when_a_title_and_a_question_follow():
    heading = "<h1>Headaches Explained - Neurology</h1>"
    with_heading = parse(heading, "<h2>Title</h2>", "<p>Question.</p>", ASKER, HEADER, "<p>Answer.</p>")
    assert (with_heading.title, with_heading.question) == ("Title", "Question.")
    title_like_heading = parse("<h2>Sore head - Neurology</h2>", "<p>Question.</p>", ASKER, HEADER, "<p>Answer.</p>")
    assert (title_like_heading.title, title_like_heading.question) == ("Sore head - Neurology", "Question.")
    other_department = parse("<h2>Sore head - Urology</h2>", "<p>Q1.</p>", "<p>Q2.</p>", ASKER, HEADER, "<p>A.</p>")
    assert other_department.title == "Sore head - Urology"


def test_without_a_reply_the_heading_is_recognised_by_any_known_department():
    record = parse("<h1>Headaches Explained - Neurology</h1>", "<h2>Title</h2>", "<p>Question.</p>", ASKER)
    assert (record.title, record.answer, record.department) == ("Title", None, None)


def test_label_and_value_in_separate_blocks():
    record = parse("<h2>Title</h2>", "<p>Question.</p>", "<div>Ann, 20~29 year old female.</div>",
                   "<div>Ask Date:</div><div>2020/01/02</div>", HEADER, "<p>Answer.</p>",
                   "<div>Reply Date:</div><div>2020/01/04</div>", "<h3>More Info</h3>", "<p>Info.</p>")
    assert (record.ask_date, record.reply_date) == (date(2020, 1, 2), date(2020, 1, 4))
    assert (record.answer, record.more_info, record.asker.name) == ("Answer.", "Info.", "Ann")


def test_a_reply_date_right_under_the_header_comes_before_the_answer():
    record = parse("<h2>Title</h2>", "<p>Question.</p>", ASKER, HEADER, "<p>Reply Date: 2020/01/05</p>",
                   "<p>Answer one.</p>", "<p>Answer two.</p>", "<h3>More Info</h3>", "<p>Info.</p>")
    assert (record.answer, record.reply_date) == ("Answer one.\nAnswer two.", date(2020, 1, 5))
    assert record.more_info == "Info."


def test_answer_text_without_a_reply_header_is_not_an_answer():
    record = parse("<h2>Title</h2>", "<p>Question.</p>", ASKER, "<p>Hello: some text.</p>",
                   "<p>Dr. Chen Jiali reply Neurology</p>", "<p>Reply Date: 2020/01/05</p>")
    assert (record.answer, record.doctor.name, record.department, record.reply_date) == (None, None, None, None)


def test_section_labels_count_only_after_the_reply_header_and_only_as_whole_non_link_lines():
    record = parse("<h2>Title</h2>", "<p>More Info</p>", "<p>Question.</p>", ASKER, HEADER,
                   "<p>More Info is below.</p>", '<p><a href="#x">Similar Q&amp;A</a></p>',
                   "<p>Reply Date: 2020/01/02</p>",
                   "<h3>More Info:</h3>", "<p>Info.</p>", "<h3>More Info</h3>", "<p>Again.</p>")
    assert record.question == "More Info\nQuestion."
    assert record.answer == "More Info is below.\nSimilar Q&A"
    assert record.more_info == "Info.\nMore Info\nAgain."  # a label seen twice is content


def test_several_asker_lines_are_a_listing():
    with pytest.raises(NotAnArticle, match="listing"):
        parse("<h2>One</h2>", "<p>Question.</p>", ASKER, "<h2>Two</h2>", "<p>Question.</p>",
              "<p>Bo, 30~39 year old male. Ask Date: 2020/02/02</p>")


@pytest.mark.parametrize(
    ("blocks", "reason"),
    [
        ((ASKER, HEADER, "<p>Answer.</p>"), "no question title"),
        (("<h2>Title only</h2>", ASKER, HEADER), "no question body"),
        (('<nav><a href="/">x</a></nav>', "<p>Nothing to see.</p>"), "no asker line with 'Ask Date:'"),
        (("<h1>Page not found</h1>",), "page says 'Page not found'"),
    ],
)
def test_refusals_say_what_is_missing(blocks, reason):
    with pytest.raises(NotAnArticle) as raised:
        parse(*blocks)
    assert reason in raised.value.reason


@pytest.mark.parametrize("document", ["", "   \n\t", b"", b"\xef\xbb\xbf", "<html></html>", "<!-- only a comment -->"])
def test_empty_documents(document):
    with pytest.raises(NotAnArticle, match="empty document"):
        doctorqna.parse(document, URL)


def test_xml_documents():
    xml = ('<?xml version="1.0" encoding="UTF-8"?>'
           "<urlset><url><loc>https://doctorqna.com/en/article/1</loc></url></urlset>")
    for document in (xml, xml.encode()):
        with pytest.raises(NotAnArticle, match="XML"):
            doctorqna.parse(document, URL)


def test_ages_that_break_the_model_raise_a_validation_error():
    with pytest.raises(pydantic.ValidationError):
        parse("<h2>Title</h2>", "<p>Question.</p>", "<p>Ann, 39~30 year old female. Ask Date: 2020/01/02</p>")


def test_asker_variants():
    def asker_of(line: str) -> dict[str, Any]:
        return parse("<h2>Title</h2>", "<p>Question.</p>", f"<p>{line}</p>").asker.model_dump()

    assert asker_of("Lin, Xiao-Mei, 10~19 year old male. Ask Date: 2020/01/02") == {
        "name": "Lin, Xiao-Mei", "gender": "male", "age_min": 10, "age_max": 19}
    assert asker_of("lily, 40~49 year old Female.Ask Date:2020/01/02")["gender"] == "female"
    assert asker_of("Ms. Lǚ, 30~39 year old female. Ask Date: 2020/02/30")["name"] == "Ms. Lǚ"
    assert asker_of("Anonymous. Ask Date: 2020/01/02") == {"name": "Anonymous", "gender": None, "age_min": None,
                                                            "age_max": None}


def test_impossible_ask_date_is_null_not_an_error():
    record = parse("<h2>Title</h2>", "<p>Question.</p>", "<p>Ann, 20~29 year old female. Ask Date: 2018/02/30</p>")
    assert record.ask_date is None


def test_similar_entries_without_read_more_or_header_keep_what_is_shown():
    record = parse("<h2>Title</h2>", "<p>Question.</p>", ASKER, HEADER, "<p>Answer.</p>", "<h3>Similar Q&amp;A</h3>",
                   '<p><a href="/en/article/7">First</a></p>', "<p>Excerpt one...</p>",
                   '<p><a href="/en/department/x">Not an entry</a></p>',
                   '<p><a href="/en/article/8">Second</a></p>', "<p>Dr. Wu Chengen reply Urology</p>",
                   '<p><a href="/en/article/8">[Read More]</a> Second</p>')
    assert [entry.model_dump() for entry in record.similar_questions] == [
        {"url": "https://doctorqna.com/en/article/7", "title": "First", "doctor_name": None, "department": None,
         "question_excerpt": "Excerpt one...", "answer_excerpt": None},
        {"url": "https://doctorqna.com/en/article/8", "title": "Second", "doctor_name": "Wu Chengen",
         "department": "Urology", "question_excerpt": None, "answer_excerpt": None},
    ]


def test_faq_links_in_one_line_and_topics_with_brackets():
    record = parse("<h2>Title</h2>", "<p>Question.</p>", ASKER, HEADER, "<p>Answer.</p>", "<h3>Related FAQ</h3>",
                   '<div><a href="/en/faq/n">(Neurology)</a><a href="/en/faq/n/b">Bell\'s Palsy (Face)(Neurology)</a>'
                   '<a href="/en/about">About us</a></div>')
    assert [faq.model_dump() for faq in record.related_faqs] == [
        {"topic": None, "department": "Neurology", "url": "https://doctorqna.com/en/faq/n"},
        {"topic": "Bell's Palsy (Face)", "department": "Neurology", "url": "https://doctorqna.com/en/faq/n/b"},
    ]


def test_a_parsel_selector_gives_the_same_record():
    selector = parsel.Selector(text=_page("seed_semantic").decode("utf-8"))
    record = doctorqna.parse(selector, _url("seed_semantic"), crawled_at=CRAWLED_AT)  # type: ignore[arg-type]
    assert record.model_dump(mode="json") == _parsed("seed_semantic")


# --- page_text ---------------------------------------------------------------------------------


def texts(document: Any) -> list[str]:
    return [line.text for line in page_text.page_lines(document)]


@pytest.mark.parametrize("case", CASES)
def test_the_fast_pass_equals_the_tree_walk(case):
    root = page_text.parse_html(_page(case))
    walked = page_text._walk_lines(root) if root is not None else []
    assert page_text.page_lines(_page(case)) == walked


def test_inline_elements_concatenate_and_blocks_break():
    assert texts("<p>Fascic<span>ulation</span> <b>here</b></p><div>Ask Date:<span>2018</span></div>"
                 "<ul><li>one</li><li>two<br>three</li></ul>") == [
        "Fasciculation here", "Ask Date:2018", "one", "two", "three"]


def test_whitespace_and_nbsp_collapse_and_empty_lines_drop():
    assert texts("<p>  a&nbsp;&nbsp;b\n\t c  </p><p> </p><div>\u3000</div><br><br><p>d</p>") == ["a b c", "d"]


def test_chrome_is_dropped_but_tails_and_aside_are_kept():
    html = ("<head><title>T</title><style>p{}</style></head><body><script>s</script>A<!-- c -->B"
            "<nav>n</nav><header>h</header><footer>f</footer><noscript>x</noscript><template>t</template>"
            "<div hidden>hid</div><div role='Navigation'>r</div><span style='DISPLAY: none'>s</span>"
            "<span style='visibility:hidden'>v</span><span style='color:red'>C</span>"
            "<select><option>o</option></select><aside>side</aside><iframe>i</iframe></body>")
    assert texts(html) == ["ABC", "side"]


def test_links_and_link_only_lines():
    lines = page_text.page_lines(
        '<p><a href="/a">Home</a> | <a href="/b">FAQ</a></p><p>See <a href="/c">this</a></p>'
        '<p><a name="top">Anchor</a></p><a href="/d"><div>block</div>in link</a>')
    assert [(line.text, line.links, line.link_only) for line in lines] == [
        ("Home | FAQ", (("Home", "/a"), ("FAQ", "/b")), True),
        ("See this", (("this", "/c"),), False),
        ("Anchor", (), False),
        ("block", (("block", "/d"),), True),
        ("in link", (("in link", "/d"),), True),
    ]


def test_bytes_encodings():
    big5 = '<html><head><meta charset="big5"></head><body><p>發問者 ／ 內科</p></body></html>'.encode("big5")
    assert texts(big5) == ["發問者 ／ 內科"]
    with pytest.raises(UndecodablePage, match="do not decode as utf-8"):  # undeclared: UTF-8, strictly
        texts("<p>內科</p>".encode("cp950"))
    assert page_text.page_lines("<p>內科</p>".encode("cp950"), encoding="cp950")[0].text == "內科"
    assert texts(b"\xef\xbb\xbf<p>caf\xc3\xa9</p>") == ["café"]
    assert texts("<p>café ✓</p>".encode("utf-16")) == ["café ✓"]
    assert texts(b"<meta charset='no-such-charset'><p>ok</p>") == ["ok"]  # unknown label: UTF-8
    with pytest.raises(UndecodablePage):  # never replacement characters
        texts(b"<meta charset='no-such-charset'><p>ok \xff</p>")
    assert texts('<?xml version="1.0" encoding="utf-8"?><html><body><p>x</p></body></html>') == ["x"]


def test_marker_characters_in_the_page_fall_back_to_the_tree_walk():
    html = "<p>a\U000f0000b</p><p>&#xF0001;c&#983043;</p><p><a href='&#xf0002;'>d</a></p>"
    assert page_text.page_lines(html) == page_text._walk_lines(page_text.parse_html(html))
    assert texts(html)[0] == "a\U000f0000b"


def test_trees_are_read_without_being_changed():
    root = page_text.parse_html('<body><div hidden>x</div><p>y</p></body>')
    before = etree.tostring(root)
    assert texts(root) == ["y"] == texts(etree.ElementTree(root)) == texts(parsel.Selector(text="<p>y</p>"))
    assert etree.tostring(root) == before
    with pytest.raises(TypeError):
        page_text.page_lines(42)


def test_deep_trees_do_not_recurse():
    deep = "<div>" * 200 + "deep" + "<span>" * 5 + "er" + "</span>" * 5 + "</div>" * 200
    assert texts(deep) == ["deeper"] == texts(page_text.parse_html(deep))
    with pytest.raises(page_text.MarkupTooComplex, match="Excessive depth"):  # lxml would stop reading at 256
        texts("<div>" * 5000 + "x")
    root = node = etree.Element("div")
    for _ in range(20000):  # a tree built by hand has no depth limit
        node = etree.SubElement(node, "div")
    node.text = "deepest"
    assert texts(root) == ["deepest"]


def test_content_after_the_end_of_the_document_is_read_by_both_passes():
    html = b"<html><body><p>x</p></body></html>after <b>the end</b><div hidden>h</div>"
    walked = [line.text for line in page_text._walk_lines(page_text.parse_html(html))]
    assert texts(html) == ["x", "after the end"] == walked
    assert texts('<html hidden><body><p>x</p></body></html><p>y</p>') == ["y"]


def test_parse_html_of_nothing_is_none():
    assert page_text.parse_html("") is None
    assert page_text.parse_html(b"  ") is None
    assert page_text.page_lines("") == []


# --- fields ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2018/03/08", date(2018, 3, 8)),
        (" 2018-3-8 ", date(2018, 3, 8)),
        ("2024/02/29", date(2024, 2, 29)),
        ("2018/02/30", None),
        ("2023/02/29", None),
        ("2018/13/01", None),
        ("0000/01/01", None),
        ("2018/03-08", None),
        ("2018/03/08 extra", None),
        ("１２３４/01/01", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_ymd_date(text, expected):
    assert fields.parse_ymd_date(text) == expected


def test_find_ymd_date():
    assert fields.find_ymd_date("Reply Date:2018/03/08") == date(2018, 3, 8)
    assert fields.find_ymd_date("on 12018/03/08") is None
    assert fields.find_ymd_date("2018/02/30 then 2018/03/01") is None  # the first date is the date
    assert fields.find_ymd_date(None) is None


def test_text_helpers():
    assert fields.clean_text("  a \u00a0 b\n") == "a b"
    assert fields.clean_text(" \n ") is None and fields.clean_text(None) is None
    assert fields.join_paragraphs([" one ", "", None, "two  three"]) == "one\ntwo three"
    assert fields.join_paragraphs([]) is None
    assert fields.text_after_label("Ask Date:2018/03/08", "Ask Date:") == "2018/03/08"
    assert fields.text_after_label("no label", "Ask Date:") is None
    assert [fields.parse_int(value) for value in ("42", " 1,234 ", "-1", "٤٢", "x", None)] == [42, 1234, None, None,
                                                                                           None, None]


@pytest.mark.parametrize(
    "href",
    ["/en/faq/x", "/en/faq/x?y=1#z", "../faq/q", "/en/./a", "//cdn.example.com/y", "https://e.com/q", "q", " /a ",
     "/a b", "/x?a=/.."],
)
@pytest.mark.parametrize("base", ["https://doctorqna.com/en/article/1", "http://127.0.0.1:8080/en/article/2?x=1#f"])
def test_absolute_url_matches_urljoin(base, href):
    assert fields.absolute_url(base, href) == urljoin(base, href.strip())


@pytest.mark.parametrize("href", [None, "", "  ", "#top", "javascript:void(0)", "mailto:a@b.c", "http://[::1"])
def test_absolute_url_refuses_non_links(href):
    assert fields.absolute_url("https://doctorqna.com/en/article/1", href) is None
