"""Properties of every site's parser on mutated fixture pages (hypothesis, derandomised), over the article
fixtures of every site in tests/fixtures/ (found as the fixture runner finds them: a new site gets these
tests with its fixtures; the QAPage parser's folders too, whose pages are structured data).

1. Whatever happens to a page (elements deleted or duplicated, text and tags inserted anywhere, the
   document cut short, tag names in other cases, random bytes), the parser returns a valid QARecord
   or raises NotAnArticle / pydantic.ValidationError — nothing else escapes — and the fast text pass
   still equals the reference tree walk.
2. Changes of markup only, which keep the visible text (text wrapped or split into extra spans,
   extra attributes and generated class names, extra source whitespace between blocks), do not
   change the record. They are made on the page's text (the tree is serialised as text, so a Big5 page
   is not re-encoded under its old charset declaration).
"""

from __future__ import annotations

import copy
import functools
import re
from typing import Any

import lxml.html
import pydantic
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from qacrawler.page.records import QARecord
from qacrawler.page.sites import page_text
from qacrawler.page.sites.encoding import UndecodablePage
from qacrawler.page.sites.errors import NotAnArticle
from tests.fixture_cases import Case, all_cases, dumps, site_of

ARTICLES = [case for case in all_cases() if case.is_article]
# The codecs tried, strictly, for a page's text: the sites' pages are UTF-8 or Big5 (CP950, HKSCS).
TEXT_CODECS = ("utf-8", "cp950", "big5hkscs")
PROPERTY_SETTINGS = settings(
    derandomize=True,
    max_examples=400,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# Elements whose text must not move: raw text, table and list structure (the HTML parser would move
# text out of them), void elements.
FIXED = frozenset(
    "html head title script style template noscript textarea select option table thead tbody tfoot tr colgroup "
    "ul ol dl br hr img input meta link col wbr".split()
)


def parse(document: str | bytes, case: Case) -> list[QARecord]:
    """The page's records: one, or one per pair of an FAQ page whose pairs are kept."""
    return site_of(case.site).records(document, case.url, crawled_at=case.crawled_at, content_type=case.content_type)


@functools.cache
def expected(case: Case) -> list[dict[str, Any]]:
    return dumps(parse(case.page, case))


@functools.cache
def text_of(case: Case) -> str | None:
    """The page as text, in the first codec that decodes it and reads as the bytes do; None if none does."""
    for codec in TEXT_CODECS:
        try:
            text = case.page.decode(codec)
        except UnicodeDecodeError:
            continue
        if dumps(parse(text, case)) == expected(case):
            return text
    return None


TEXT_ARTICLES = [case for case in ARTICLES if text_of(case) is not None]


def tree_of(document: str | bytes) -> etree._Element | None:
    try:
        return lxml.html.document_fromstring(document)
    except (etree.ParserError, ValueError):
        return None


def html_of(root: etree._Element) -> bytes:
    return lxml.html.tostring(root, encoding="utf-8", doctype="<!DOCTYPE html>")


def text_html_of(root: etree._Element) -> str:
    return lxml.html.tostring(root, encoding="unicode", doctype="<!DOCTYPE html>")


def test_every_site_with_articles_has_pages_for_the_markup_properties():
    assert ARTICLES
    assert {case.site for case in TEXT_ARTICLES} == {case.site for case in ARTICLES}


# --- 1. anything goes in, only records or refusals come out -------------------------------------

INSERTIONS = [
    "Ask Date:", "Ask Date: 2018/02/30", "Reply Date: 2018/03/09", "Reply Date:", "Dr. X reply Y", "Dr.",
    "More Info", "Similar Q&A", "Related FAQ", "[Read More]", "Share to:", "(Neurology)", "Zed, 9~3 year old male.",
    "Ann, 20~29 year old female. Ask Date: 2020/01/01", "\u00a0", "\n", "\ufeff", "&", "&amp;", "&#0;", "&#xF0000;",
    "\U000f0001", "<", ">", "<!--", "-->", "<![CDATA[x]]>", "<?xml version='1.0'?>", "<br>", "<BR>", "<p>", "</p>",
    "<div>", "</div>", "<span hidden>", "</span>", "<a href='/en/article/7'>", "<a href='http://[::1'>", "</a>",
    "<script>", "</script>", "<nav>", "<table><tr><td>", "</td></tr></table>", "<h1>", "<pre>", "<aside>",
    "<template>", "<style>", "</html>", "<html>", "<body>", '<meta charset="big5">', '<meta charset="nope">',
    "發問者：", "答復者：", "提問：", "回覆：", "／", "不存在", "瀏覽次數：12", "相關分類：", "詢問日期:2020/01/02",
    "醫師回覆-內科", "回覆日期:", "彙整補充說明", "分享到:", "30~39歲男性", "60歲以上",
    '<script type="application/ld+json">{"@type":"QAPage","mainEntity":{"@id":"#q"}}</script>', '"@graph":[',
    '{"@id":"#q"}', ",]", '"', "{", "}", "\\u0000", '<div itemscope itemtype="https://schema.org/Question">',
    'itemprop="text"', 'itemprop="acceptedAnswer"', 'typeof="Answer"', 'property="text"', '"upvoteCount":-3',
    '"dateCreated":"2024-02-30T25:00:00Z"', '"@type":"FAQPage"',
]


def _mutate_tree(document: bytes, draw: Any, kind: str) -> bytes:
    root = tree_of(document)
    if root is None:
        return document
    elements = [element for element in root.iter() if element is not root]
    if not elements:
        return document
    element = elements[draw(st.integers(0, len(elements) - 1))]
    parent = element.getparent()
    if parent is None:
        return document
    if kind == "delete":
        if isinstance(element, lxml.html.HtmlElement):
            element.drop_tree()
        else:
            parent.remove(element)
    else:
        parent.insert(parent.index(element) + 1, copy.deepcopy(element))
    return html_of(root)


def _mutate(document: bytes, draw: Any) -> bytes:
    kind = draw(st.sampled_from(["delete", "duplicate", "insert", "insert", "truncate", "swap_case", "bytes"]))
    if kind in ("delete", "duplicate"):
        return _mutate_tree(document, draw, kind)
    at = draw(st.integers(0, len(document)))
    if kind == "insert":
        text = draw(st.one_of(st.sampled_from(INSERTIONS), st.text(max_size=12)))
        return document[:at] + text.encode("utf-8", errors="surrogatepass") + document[at:]
    if kind == "truncate":
        return document[:at]
    if kind == "swap_case":
        return re.sub(rb"</?[A-Za-z][A-Za-z0-9]*", lambda match: match.group(0).swapcase(), document)
    junk = draw(st.binary(min_size=1, max_size=16))
    if draw(st.booleans()):
        return document[:at] + junk + document[at + len(junk) :]
    return document[:at] + junk + document[at:]


@st.composite
def mutated_pages(draw: Any) -> tuple[Case, bytes]:
    case = draw(st.sampled_from(ARTICLES))
    document = case.page
    for _ in range(draw(st.integers(1, 3))):
        document = _mutate(document, draw)
    return case, document


@PROPERTY_SETTINGS
@given(mutated_pages(), st.booleans())
def test_mutated_pages_give_a_record_or_a_refusal(mutated, as_text):
    case, document = mutated
    source: str | bytes = document.decode("utf-8", errors="replace") if as_text else document
    try:
        result = parse(source, case)
    except (NotAnArticle, pydantic.ValidationError):
        return
    for record in result:
        assert isinstance(record, QARecord)
        assert record.record_id == f"{case.site}:{record.source_id}" and record.title and record.question
        QARecord.model_validate(record.model_dump())  # the record survives its own validation again


@PROPERTY_SETTINGS
@given(mutated_pages())
def test_the_fast_text_pass_equals_the_tree_walk_on_mutated_pages(mutated):
    _, document = mutated
    try:
        root = page_text.parse_html(document)
    except UndecodablePage:  # random bytes: both paths refuse, neither guesses
        with pytest.raises(UndecodablePage):
            page_text.page_lines(document)
        return
    assert page_text.page_lines(document) == (page_text._walk_lines(root) if root is not None else [])


# --- 2. markup-only changes keep the record ------------------------------------------------------


def _visible_elements(root: etree._Element) -> list[etree._Element]:
    """Elements of the body outside chrome, whose text can be re-wrapped without moving."""
    out = []
    walker = etree.iterwalk(root, events=("start",))
    for _, element in walker:
        tag = element.tag
        if not isinstance(tag, str):
            continue
        if tag in page_text.CHROME_TAGS or page_text._is_hidden(element):
            walker.skip_subtree()
            continue
        if tag not in FIXED:
            out.append(element)
    return out


def _wrap(element: etree._Element, draw: Any) -> None:
    """Split the element's text (or tail) at a point and wrap the rest in a new span."""
    parent = element.getparent()
    use_tail = bool(element.tail) and parent is not None and parent.tag not in FIXED and draw(st.booleans())
    text = element.tail if use_tail else element.text
    if not text:
        return
    cut = draw(st.integers(0, len(text)))
    span = etree.Element("span", {"class": f"w-{draw(st.integers(0, 9999)):04x}"})
    span.text = text[cut:]
    if use_tail:
        element.tail = text[:cut]
        span.tail = None
        parent.insert(parent.index(element) + 1, span)
    else:
        element.text = text[:cut]
        element.insert(0, span)


def _add_attributes(element: etree._Element, draw: Any) -> None:
    suffix = f"{draw(st.integers(0, 2**20)):05x}"
    element.set("class", f"{element.get('class') or ''} css-{suffix}".strip())
    element.set(draw(st.sampled_from(["data-v", "id", "title", "lang", "aria-label", "dir"])), f"x{suffix}")


def _add_whitespace(element: etree._Element, draw: Any) -> None:
    """Whitespace where a line starts or ends anyway: around the content of a block element."""
    if element.tag not in page_text.BLOCK_TAGS:
        return
    space = draw(st.sampled_from(["\n", "  ", "\n\t\t", " \r\n    ", "\u00a0"]))
    where = draw(st.sampled_from(["text", "tail", "end"]))
    if where == "text":
        element.text = space + (element.text or "")
    elif where == "tail" and element.getparent() is not None and element.getparent().tag not in FIXED:
        element.tail = space + (element.tail or "")
    elif where == "end":
        if len(element):
            element[-1].tail = (element[-1].tail or "") + space
        else:
            element.text = (element.text or "") + space


@PROPERTY_SETTINGS
@given(st.sampled_from(TEXT_ARTICLES), st.data())
def test_markup_only_changes_keep_the_record(case, data):
    root = tree_of(text_of(case))
    assert root is not None
    for _ in range(data.draw(st.integers(1, 8))):
        elements = _visible_elements(root)
        element = elements[data.draw(st.integers(0, len(elements) - 1))]
        change = data.draw(st.sampled_from([_wrap, _add_attributes, _add_whitespace]))
        change(element, data.draw)
    assert dumps(parse(text_html_of(root), case)) == expected(case)


@pytest.mark.parametrize("case", TEXT_ARTICLES, ids=[case.id for case in TEXT_ARTICLES])
def test_reserialising_a_fixture_keeps_its_record(case):
    root = tree_of(text_of(case))
    assert root is not None
    assert dumps(parse(text_html_of(root), case)) == expected(case)
