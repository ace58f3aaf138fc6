"""Crawl both sandboxes serving hostile content (sandbox/hostile_pages.py): odd charset labels, malformed
links placed before the article links, parser bombs, an id of 4,400 digits. No exception anywhere, every
trick page becomes exactly what the ground truth says, and every article after the hostile links is read."""

from __future__ import annotations

import json
from html import escape

import pytest
from scrapy.http import HtmlResponse, Request
from scrapy.utils.test import get_crawler

from qacrawler.crawl.charset_labels import CharsetLabelMiddleware
from qacrawler.crawl.spiders.base import spider_for
from qacrawler.page.sites import doctorqna
from qacrawler.page.sites.doctorqna import DECLARATION as DOCTORQNA
from qacrawler.page.sites.errors import NotAnArticle
from qacrawler.page.sites.page_text import page_lines
from qacrawler.sandbox import DoctorQnaSite, SandboxServer, TwEHospitalSite
from qacrawler.sandbox.doctorqna_text import DEPARTMENTS
from qacrawler.sandbox.hostile_pages import CHARSET_TRICKS, LONG_ID, MALFORMED_HREFS, HostilePages
from tests.conftest import run_cli
from tests.test_end_to_end import assert_equal_to_ground_truth, read_records, read_rejects

DoctorQnaSpider = spider_for(DOCTORQNA)

SITES = {"doctorqna": lambda: DoctorQnaSite(pages=200, seed=5, hostile=True),
         "tw_ehospital": lambda: TwEHospitalSite(pages=200, seed=5, hostile=True)}


@pytest.fixture(scope="module", params=sorted(SITES))
def hostile_crawl(request, tmp_path_factory):
    site_id = request.param
    site = SITES[site_id]()
    out = tmp_path_factory.mktemp(f"hostile-{site_id}") / "dataset"
    with SandboxServer(site) as server:
        result = run_cli("crawl", site_id, "--base-url", server.base_url, "--out", str(out), "--keep-asker-names")
        hits = dict(server.hits)
    (manifest_path,) = (out / "runs").glob("*.json")
    manifest = json.loads(manifest_path.read_text())
    log = manifest_path.with_suffix(".log").read_text(encoding="utf-8")
    return site_id, site, server.base_url, out, result, manifest, log, hits


def test_the_crawl_logs_no_error_and_passes_its_gates(hostile_crawl):
    _, _, _, _, result, manifest, log, _ = hostile_crawl
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    assert manifest["stats"].get("log_count/ERROR", 0) == 0
    assert "Traceback" not in log and "Traceback" not in result.stderr


def test_every_good_article_is_its_record_disguised_charsets_included(hostile_crawl):
    """The listings put their hostile links first: losing the rest of a page would lose articles here."""
    site_id, site, base_url, out, *_ = hostile_crawl
    assert_equal_to_ground_truth(site_id, site, base_url, out)
    disguised = [expected for expected in site.hostile.expectations() if expected.outcome == "record"]
    assert len(disguised) == len(CHARSET_TRICKS)
    stored = {row["url"] for row in read_records(out)}
    assert all(base_url + expected.path in stored for expected in disguised)


def test_trick_articles_are_rejects_that_say_why(hostile_crawl):
    _, site, base_url, out, *_ = hostile_crawl
    rejects = {row["url"]: row for row in read_rejects(out)}
    tricks = [expected for expected in site.hostile.expectations() if expected.outcome == "reject"]
    assert len(tricks) == 3
    for expected in tricks:
        row = rejects[base_url + expected.path]
        assert row["stage"] == "parse" and expected.reason in " ".join(row["reasons"]), (expected.what, row)
    undecodable = rejects[base_url + tricks[-1].path]  # declared charset=idna: its excerpt is read, not crashed on
    assert undecodable["excerpt"] and "Nothing to see here." in undecodable["excerpt"]


def test_hostile_links_are_skipped_and_counted_never_requested(hostile_crawl):
    site_id, site, base_url, out, _, manifest, _, hits = hostile_crawl
    stats = manifest["stats"]
    assert stats["links/skipped_malformed"] >= 1  # http://[::1/… and http://[fe80::1%25eth0]/…, on every listing
    assert stats["links/skipped_no_article_id"] >= 1  # the id of 4,400 digits
    assert stats["charset/unusable_label"] >= 5  # hex, base64, rot13, undefined, idna; unknown labels are harmless
    assert stats["links/page_too_complex"] == 1  # the 10^5-attribute article is not read for links either
    seen = [row["url"] for row in read_records(out)] + [row["url"] for row in read_rejects(out)]
    assert not [url for url in seen if LONG_ID in url or any(href in url for href in MALFORMED_HREFS[:4])]
    if site_id == "doctorqna":  # its article ids are paths, so the server's hit counts show the long id too
        assert hits.get(site.hostile.path(LONG_ID), 0) == 0
    assert sum(hits.values()) < 5 * len(site.article_ids())  # bounded: no runaway link following


def test_sites_serve_hostile_content_only_when_asked():
    plain, hostile = DoctorQnaSite(pages=40, seed=2), DoctorQnaSite(pages=40, seed=2, hostile=True)
    assert plain.hostile is None
    (first, *_) = [expected for expected in hostile.hostile.expectations() if expected.outcome == "record"]
    plain_page, disguised_page = plain.render(first.path), hostile.render(first.path)
    assert plain_page[1]["Content-Type"] == "text/html; charset=utf-8"
    assert disguised_page[1]["Content-Type"] == "text/html; charset=hex"
    assert page_lines(disguised_page[2], encoding="utf-8") == page_lines(plain_page[2], encoding="utf-8")
    listing = f"/en/department/{DEPARTMENTS[0].slug}"
    assert b'class="hostile"' not in plain.render(listing)[2]
    hostile_listing = hostile.render(listing)[2]
    assert hostile_listing.index(b'class="hostile"') < hostile_listing.index(b'class="articles"')
    with pytest.raises(ValueError, match="good listed articles"):
        HostilePages("/en/article/{id}", "utf-8", [1, 2], (3, 4, 5))


def test_trick_pages_need_no_server_to_check():
    """The expectations hold for the parsers alone too (the crawl adds the spider and middleware)."""
    site = DoctorQnaSite(pages=40, seed=2, hostile=True)
    for expected in site.hostile.expectations():
        status, headers, body = site.render(expected.path)
        url = "http://127.0.0.1" + expected.path
        if expected.outcome == "record":
            record = doctorqna.parse(body, url, content_type=headers["Content-Type"])
            assert record.title == site.truth(expected.article_id)["title"]
        elif expected.outcome == "reject":
            with pytest.raises(NotAnArticle, match=expected.reason):
                doctorqna.parse(body, url, content_type=headers["Content-Type"])
        else:
            assert status == 404 and doctorqna.source_id_from_url(url) is None


def test_a_malformed_href_costs_no_other_link():
    crawler = get_crawler(DoctorQnaSpider, {"QA_INCREMENTAL": False})
    spider = DoctorQnaSpider.from_crawler(crawler, base_url="http://127.0.0.1:8080")
    hrefs = [*MALFORMED_HREFS, "/en/article/" + LONG_ID, "/en/article/11", "/en/article/12#similar", "/en/article/13"]
    body = "<html><body>" + "".join(f'<a href="{escape(href)}">x</a>' for href in hrefs) + "</body></html>"
    response = HtmlResponse("http://127.0.0.1:8080/en/department/x", body=body.encode("utf-8"))
    followed = list(spider.unqueued_links(spider.article_urls(spider.absolute_links(response))))
    assert followed == [f"http://127.0.0.1:8080/en/article/{number}" for number in (11, 12, 13)]
    assert crawler.stats.get_value("links/skipped_malformed") == 2  # the unclosed IPv6 bracket, "//[::1"
    assert crawler.stats.get_value("links/skipped_no_article_id") == 1


@pytest.mark.parametrize("label", ["hex", "rot13", "undefined", "idna"])
def test_charset_labels_of_no_text_encoding_are_replaced_before_scrapy_reads_the_text(label):
    crawler = get_crawler(DoctorQnaSpider)
    middleware = CharsetLabelMiddleware.from_crawler(crawler)
    body = '<html><head><meta charset="big5"></head><body><p>內科</p></body></html>'.encode("cp950")
    response = HtmlResponse("http://127.0.0.1/", body=body, headers={"Content-Type": f"text/html; charset={label}"})
    with pytest.raises((LookupError, UnicodeError)):
        _ = response.text  # what Scrapy's meta refresh, selectors and excerpts would meet
    read = middleware.process_response(Request(response.url), response)
    assert "內科" in read.text and read.body == body
    assert crawler.stats.get_value("charset/unusable_label") == 1
    plain = response.replace(headers={"Content-Type": "text/html; charset=big5"})
    assert middleware.process_response(Request(plain.url), plain) is plain
