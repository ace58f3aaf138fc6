"""Fuzz suite: no page, charset label, href or number crashes the parsers, the charset detection, the
link extraction or the id helpers (hypothesis, derandomised: the same cases on every run).

The property everywhere: a valid QARecord, or NotAnArticle (PageMissing, UndecodablePage and
MarkupTooComplex are kinds of it), or a pydantic ValidationError (which the spider's parse_article
turns into a reject) — never another exception. Inputs: random bytes, truncations of the fixture
pages of both sites, bytes spliced into them, odd charset labels (header and meta), huge nesting,
huge attributes, hostile URLs. The run's figures (cases, slowest case) are printed at the end of the
module; crashes are test failures.
"""

from __future__ import annotations

import codecs
import functools
import re
import time
from collections.abc import Callable, Iterator
from html import escape
from types import ModuleType
from typing import Any

import pydantic
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scrapy.http import HtmlResponse, Request
from scrapy.utils.test import get_crawler

from qacrawler.crawl.charset_labels import CharsetLabelMiddleware
from qacrawler.crawl.spiders.base import spider_for
from qacrawler.crawl.spiders.tw_ehospital import TwEHospitalSpider
from qacrawler.page.records import QARecord
from qacrawler.page.sites import doctorqna, tw_ehospital
from qacrawler.page.sites.doctorqna import DECLARATION as DOCTORQNA
from qacrawler.page.sites.encoding import (
    UndecodablePage,
    charset_from_content_type,
    charset_from_meta,
    decode_html,
    text_codec,
)
from qacrawler.page.sites.errors import NotAnArticle
from qacrawler.page.sites.fields import MAX_INT_DIGITS, absolute_url, parse_int
from qacrawler.page.sites.page_text import MAX_TAG_ATTRIBUTES, MarkupTooComplex
from qacrawler.sandbox.hostile_pages import LONG_ID, MALFORMED_HREFS
from tests.fixture_cases import CRAWLED_AT, FixtureSet

DoctorQnaSpider = spider_for(DOCTORQNA)

FUZZ = settings(
    derandomize=True,
    database=None,
    deadline=None,  # never a wall-clock assertion: the slowest case is reported instead
    max_examples=150,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
)
FEW = settings(FUZZ, max_examples=25)  # cases of 10^5 attributes or elements: a few are enough

SITES: dict[str, ModuleType] = {"doctorqna": doctorqna, "tw_ehospital": tw_ehospital}
BASE_URL = "http://127.0.0.1:8080"
ODD_LABELS = (
    "hex", "base64", "zlib", "rot13", "bz2", "uu", "quopri", "undefined", "x-user-defined", "", "idna", "punycode",
    "unicode_escape", "raw_unicode_escape", "utf-7", "utf-16", "utf-32", "x" * 10_000, "ünïcödé", "a\x00b", "big5",
    "cp950", "utf-8", "latin-1", "charmap", "mbcs", "utf-8-sig", "big5-hkscs", " utf-8 ", "UTF8;", "'\"",
)
HOSTILE_URLS = (
    *MALFORMED_HREFS,
    "/en/article/" + LONG_ID,
    "/doctor/All/ShowDetail.php?q_no=" + LONG_ID,
    "/doctor/All/ShowDetail.php?q_no=" + "0" * 30 + "7",
    "/doctor/All/ShowDetail.php?q_no=1%00&q_no=2",
    "/en/article/" + "1" * (MAX_INT_DIGITS + 1),
    "HTTP://127.0.0.1:8080/en/article/1",
    "http://127.0.0.1:8080/en/article/1#x",
    "http://127.0.0.1:8080" + "/" * 10_000,
    "/" + "a" * 100_000,
    "", " ", "#", "?", "\x00", "\ud800", "\\\\server\\share",
)

FIGURES: dict[str, Any] = {"cases": 0, "slowest_ms": 0.0, "slowest": ""}


@pytest.fixture(scope="module", autouse=True)
def report_figures(request: pytest.FixtureRequest) -> Iterator[None]:
    """Print cases run and the slowest case once the module is done (crashes would have failed a test)."""
    yield
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if reporter is not None and capture is not None:
        with capture.global_and_fixture_disabled():  # shown without -s
            reporter.write_line(
                f"\nfuzz figures: {FIGURES['cases']} cases, crashes 0 unless a test failed, "
                f"slowest case {FIGURES['slowest_ms']:.1f} ms ({FIGURES['slowest']})"
            )


def timed(name: str, call: Callable[[], Any]) -> Any:
    """Run one case, counting it and keeping the slowest (never asserted: the machine is noisy)."""
    start = time.perf_counter()
    try:
        return call()
    finally:
        elapsed = (time.perf_counter() - start) * 1000
        FIGURES["cases"] += 1
        if elapsed > FIGURES["slowest_ms"]:
            FIGURES["slowest_ms"], FIGURES["slowest"] = elapsed, name


def parse_or_refuse(site: ModuleType, document: str | bytes, url: str, content_type: str | None, name: str) -> Any:
    """The property: a valid record, NotAnArticle or a ValidationError; any other exception fails the test."""
    def run() -> Any:
        try:
            record = site.parse(document, url, crawled_at=CRAWLED_AT, content_type=content_type)
        except NotAnArticle as refusal:
            assert refusal.reason, "a refusal names its reason"
            return refusal
        except pydantic.ValidationError as invalid:
            return invalid
        assert isinstance(record, QARecord)
        QARecord.model_validate(record.model_dump())
        return record

    return timed(name, run)


@functools.cache
def fixtures(site_id: str) -> FixtureSet:
    return FixtureSet(site_id)


def fixture_pages(*, articles_only: bool = False) -> st.SearchStrategy[tuple[str, str]]:
    return st.sampled_from([(site_id, case) for site_id in SITES
                            for case in (fixtures(site_id).articles if articles_only else fixtures(site_id).cases)])


labels = st.sampled_from(ODD_LABELS) | st.text(max_size=40)
content_types = st.none() | labels.map(lambda label: f"text/html; charset={label}") | st.text(max_size=60)
meta_forms = st.sampled_from(('<meta charset="{}">', "<meta charset={}>",
                              '<meta http-equiv="Content-Type" content="text/html; charset={}">',
                              '<?xml version="1.0" encoding="{}"?>'))


# --- the parsers ----------------------------------------------------------------------------------


@FUZZ
@given(site_id=st.sampled_from(sorted(SITES)), data=st.binary(max_size=3000), content_type=content_types)
def test_random_bytes(site_id, data, content_type):
    url = fixtures(site_id).url(fixtures(site_id).articles[0])
    parse_or_refuse(SITES[site_id], data, url, content_type, "random bytes")


@FUZZ
@given(page=fixture_pages(), cut=st.floats(0, 1), as_text=st.booleans())
def test_truncated_fixture_pages(page, cut, as_text):
    site_id, case = page
    body = fixtures(site_id).page(case)
    body = body[: int(len(body) * cut)]
    document = body.decode("utf-8", "replace") if as_text else body
    parse_or_refuse(SITES[site_id], document, fixtures(site_id).url(case), fixtures(site_id).content_type(case),
                    "truncated page")


@FUZZ
@given(page=fixture_pages(), at=st.floats(0, 1), spliced=st.binary(min_size=1, max_size=64))
def test_bytes_spliced_into_fixture_pages(page, at, spliced):
    site_id, case = page
    body = fixtures(site_id).page(case)
    position = int(len(body) * at)
    parse_or_refuse(SITES[site_id], body[:position] + spliced + body[position:], fixtures(site_id).url(case),
                    fixtures(site_id).content_type(case), "spliced bytes")


@FUZZ
@given(page=fixture_pages(), header=st.none() | labels, meta=st.none() | st.tuples(meta_forms, labels))
def test_odd_charset_labels_in_header_and_meta(page, header, meta):
    """Labels of no text charset are ignored: an article whose declared charset was its real one stays
    its record whenever the bytes still decode the same way."""
    site_id, case = page
    body = fixtures(site_id).page(case)
    if meta is not None:
        form, label = meta
        body = form.format(label).encode("utf-8") + body
    content_type = None if header is None else f"text/html; charset={header}"
    parse_or_refuse(SITES[site_id], body, fixtures(site_id).url(case), content_type, "charset label")


def _with_markup(body: bytes, markup: str) -> bytes:
    """``markup`` right after the opening body tag (else at the start)."""
    opening = re.search(rb"<body\b[^>]*>", body, re.IGNORECASE)
    at = opening.end() if opening else 0
    return body[:at] + markup.encode("ascii") + body[at:]


@FEW
@given(page=fixture_pages(articles_only=True),
       tag=st.sampled_from(["div", "span", "table", "a", "p", "li", "b", "font"]),
       depth=st.sampled_from([200, 255, 256, 257, 1000, 100_000]), closed=st.booleans())
def test_huge_nesting(page, tag, depth, closed):
    site_id, case = page
    body = _with_markup(fixtures(site_id).page(case), f"<{tag}>" * depth + (f"</{tag}>" * depth if closed else ""))
    result = parse_or_refuse(SITES[site_id], body, fixtures(site_id).url(case), fixtures(site_id).content_type(case),
                             f"{depth} nested <{tag}>")
    if depth > 300 and tag in ("div", "span", "b", "font"):  # the others close themselves: no depth
        assert isinstance(result, MarkupTooComplex)


@FEW
@given(page=fixture_pages(articles_only=True),
       count=st.sampled_from([10, MAX_TAG_ATTRIBUTES, MAX_TAG_ATTRIBUTES + 1, 20_000, 100_000]),
       distinct=st.booleans(), value=st.sampled_from(["", "=1", '="a b"', "='>'", '="<"', "='<p>x</p>'"]),
       separator=st.sampled_from([" ", "\n", ""]))
def test_huge_attributes(page, count, distinct, value, separator):
    """Up to the limit an empty element's attributes change nothing; over it the page is refused quickly,
    however the attributes are written (quoted "<" or ">" in values, no space after a quoted value)."""
    site_id, case = page
    if not value.endswith(("'", '"')):
        separator = separator or " "  # a=1a=1 is one attribute
    attributes = separator.join(f"a{k if distinct else ''}{value}" for k in range(count))
    body = _with_markup(fixtures(site_id).page(case), f"<span {attributes}></span>")
    content_type = fixtures(site_id).content_type(case)
    result = parse_or_refuse(SITES[site_id], body, fixtures(site_id).url(case), content_type, f"{count} attributes")
    if count > MAX_TAG_ATTRIBUTES:
        assert isinstance(result, MarkupTooComplex)
    else:
        original = parse_or_refuse(SITES[site_id], fixtures(site_id).page(case), fixtures(site_id).url(case),
                                   content_type, "fixture page")
        assert type(result) is type(original)
        if isinstance(original, QARecord):
            assert result == original


@FUZZ
@given(page=fixture_pages(), url=st.sampled_from(HOSTILE_URLS) | st.text(max_size=200), relative=st.booleans())
def test_hostile_page_urls(page, url, relative):
    site_id, case = page
    parse_or_refuse(SITES[site_id], fixtures(site_id).page(case), (BASE_URL + url) if relative else url,
                    fixtures(site_id).content_type(case), "hostile page URL")


# --- charset detection ------------------------------------------------------------------------------


@FUZZ
@given(data=st.binary(max_size=2000), content_type=content_types | st.binary(max_size=60),
       default=labels, fallbacks=st.lists(labels, max_size=3))
def test_charset_detection_decodes_or_refuses(data, content_type, default, fallbacks):
    def run() -> None:
        try:
            text = decode_html(data, content_type, default=default, fallbacks=tuple(fallbacks))
        except UndecodablePage as refusal:
            assert refusal.reason
        else:
            assert isinstance(text, str)
        charset_from_content_type(content_type)
        charset_from_meta(data)

    timed("charset detection", run)


@FUZZ
@given(label=labels | st.text())
def test_only_text_codecs_are_used(label):
    codec = timed("text_codec", lambda: text_codec(label))
    if codec is not None:
        assert codecs.lookup(codec)._is_text_encoding
        b"<html>".decode(codec, "replace")  # a usable decoder: never LookupError, TypeError or UnicodeError


# --- link extraction ------------------------------------------------------------------------------


SPIDERS = {"doctorqna": (DoctorQnaSpider, "/en/article/{}"),
           "tw_ehospital": (TwEHospitalSpider, "/doctor/All/ShowDetail.php?q_no={}")}


@functools.cache
def spider(site_id: str) -> Any:
    spider_class = SPIDERS[site_id][0]
    crawler = get_crawler(spider_class, {"QA_INCREMENTAL": False})
    return spider_class.from_crawler(crawler, base_url=BASE_URL), CharsetLabelMiddleware.from_crawler(crawler)


@FUZZ
@given(site_id=st.sampled_from(sorted(SPIDERS)),
       hrefs=st.lists(st.sampled_from(HOSTILE_URLS) | st.text(max_size=80), min_size=1, max_size=8),
       article_ids=st.lists(st.integers(1, 10**12), min_size=1, max_size=4, unique=True),
       content_type=content_types.filter(
           lambda header: text_codec(charset_from_content_type(header)) in (None, "utf-8")))
def test_hostile_links_never_cost_the_links_after_them(site_id, hrefs, article_ids, content_type):
    """Hostile hrefs first, then valid article links: every valid one is followed, and every followed
    URL is on the site and has an article id. The page is UTF-8, declared so, undeclared or declared
    with a label of no text charset (a page declared in a charset it is not written in loses its text)."""
    the_spider, middleware = spider(site_id)
    template = SPIDERS[site_id][1]
    anchors = [*hrefs, *(template.format(number) for number in article_ids)]
    body = "<html><body>" + "".join(f'<a href="{escape(href)}">link</a>' for href in anchors) + "</body></html>"
    headers = {} if content_type is None else {"Content-Type": content_type.encode("utf-8", "replace")}
    response = HtmlResponse(BASE_URL + "/listing", body=body.encode("utf-8", "surrogatepass"), headers=headers)

    def run() -> list[str]:
        read = middleware.process_response(Request(response.url), response)
        return list(the_spider.unqueued_links(the_spider.article_urls(the_spider.absolute_links(read))))

    followed = set(timed("link extraction", run))
    assert {BASE_URL + template.format(number) for number in article_ids} <= followed
    assert all(the_spider.on_site(url) and the_spider.site.source_id_from_url(url) for url in followed)
    the_spider.linked_articles.clear()  # the next case starts a fresh run


# --- ids and numbers ----------------------------------------------------------------------------------


@FUZZ
@given(digits=st.integers(0, 6000).map(lambda length: "7" * length), prefix=st.sampled_from(["", "0", "000"]),
       other=st.text(max_size=100))
def test_ids_and_numbers_of_any_length(digits, prefix, other):
    def run() -> None:
        number = prefix + digits
        for site in SITES.values():
            urls = (f"{BASE_URL}/en/article/{number}", f"{BASE_URL}/doctor/All/ShowDetail.php?q_no={number}", other)
            for url in urls:
                source_id = site.source_id_from_url(url)
                assert source_id is None or (source_id.isdigit() and len(source_id.lstrip("0")) <= MAX_INT_DIGITS)
        value = parse_int(number)
        assert value is None if len(digits) > MAX_INT_DIGITS or not number else value == int(number)
        absolute_url(BASE_URL + "/", other)
        tw_id = tw_ehospital.source_id_from_url(f"{BASE_URL}/doctor/All/ShowDetail.php?q_no={number}&x={other}")
        if tw_id is not None:
            assert tw_ehospital.canonical_url(f"{BASE_URL}/doctor/All/ShowDetail.php?q_no={number}", tw_id)

    timed("ids", run)
