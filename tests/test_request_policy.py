"""Where requests may go, article redirects, Retry-After, and the article ledger's bookkeeping."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from scrapy import Request
from scrapy.http import HtmlResponse
from scrapy.utils.test import get_crawler
from twisted.internet.error import DNSLookupError

from qacrawler.crawl import settings as project_settings
from qacrawler.crawl.gates import evaluate, parse_override
from qacrawler.crawl.ledger import ArticleLedger, article_settled
from qacrawler.crawl.request_policy import (
    LOOPBACK_ORIGIN_HOSTS,
    GuardedResolver,
    HostPolicy,
    RefusedRequest,
    RequestPolicyMiddleware,
    address_refusal,
)
from qacrawler.crawl.retry_after import PostponedRequest, RetryAfterMiddleware, parse_retry_after
from qacrawler.crawl.spiders.base import host_twins, spider_for
from qacrawler.crawl.spiders.tw_ehospital import TwEHospitalSpider
from qacrawler.page.records import Reject
from qacrawler.page.sites.doctorqna import DECLARATION as DOCTORQNA

DoctorQnaSpider = spider_for(DOCTORQNA)

SITE = HostPolicy("https://doctorqna.com", host_twins("doctorqna.com"))
SANDBOX = HostPolicy("http://127.0.0.1:8080", {"127.0.0.1"})


@pytest.mark.parametrize(("url", "reason"), [
    ("https://doctorqna.com/en/article/5", None),
    ("http://doctorqna.com/en/article/5", None),
    ("https://www.doctorqna.com/en/article/5/", None),
    ("https://DoctorQnA.com./en/", None),
    ("https://doctorqna.com:8443/en/", "port"),
    ("https://evil.example/en/article/5", "off-site host"),
    ("https://doctorqna.com.evil.example/", "off-site host"),
    ("https://93.184.216.34/", "off-site host"),
    ("ftp://doctorqna.com/x", "not an http(s) URL"),
    ("http://169.254.169.254/latest/meta-data/", "link-local"),
    ("http://10.0.0.5/", "private"),
    ("http://192.168.1.1:8080/", "private"),
    ("http://127.0.0.1:8080/", "loopback"),
    ("http://localhost/", "loopback"),
    ("http://admin.localhost/", "loopback"),
    ("http://0.0.0.0/", "unspecified"),
    ("http://224.0.0.1/", "multicast"),
    ("http://240.0.0.1/", "reserved"),
    ("http://100.64.0.1/", "not public"),
    ("http://[::1]/", "loopback"),
    ("http://[fe80::1]/", "link-local"),
    ("http://[fc00::1]/", "private"),
    ("http://[ff02::1]/", "multicast"),
    ("http://[::]/", "unspecified"),
    ("http://[::ffff:10.0.0.1]/", "private"),
    ("http://[::ffff:127.0.0.1]/", "loopback"),
    ("http://[::ffff:169.254.169.254]/", "link-local"),
])
def test_a_real_site_reaches_only_its_own_public_hosts(url, reason):
    assert SITE.refusal(url) == reason


@pytest.mark.parametrize(("url", "reason"), [
    ("http://127.0.0.1:8080/en/article/5", None),
    ("http://127.0.0.1:8081/en/article/5", "loopback"),
    ("http://127.0.0.2:8080/", "loopback"),
    ("http://localhost:8080/", "loopback"),
    ("http://[::1]:8080/", "loopback"),
    ("http://169.254.169.254/latest/meta-data/", "link-local"),
    ("https://doctorqna.com/", "not the loopback base URL"),
])
def test_a_loopback_base_url_allows_only_its_exact_host_and_port(url, reason):
    assert SANDBOX.refusal(url) == reason


def test_resolved_addresses_are_checked_except_the_loopback_base_host():
    assert GuardedResolver._checked("93.184.216.34", "doctorqna.com") == "93.184.216.34"
    assert GuardedResolver._checked("127.0.0.1", "127.0.0.1") == "127.0.0.1"  # a literal: judged by the middleware
    with pytest.raises(DNSLookupError, match="doctorqna.com resolves to 10.1.2.3, a private address"):
        GuardedResolver._checked("10.1.2.3", "doctorqna.com")
    with pytest.raises(DNSLookupError, match="link-local"):
        GuardedResolver._checked("169.254.169.254", "metadata.example")
    LOOPBACK_ORIGIN_HOSTS.add("sandbox.localhost")
    try:
        assert GuardedResolver._checked("127.0.0.1", "sandbox.localhost") == "127.0.0.1"
        with pytest.raises(DNSLookupError, match="loopback"):
            GuardedResolver._checked("127.0.0.1", "other.localhost")
    finally:
        LOOPBACK_ORIGIN_HOSTS.discard("sandbox.localhost")


def test_address_refusal_needs_an_ip():
    assert address_refusal("doctorqna.com") == "not an IP address"
    assert address_refusal("8.8.8.8") is None


def open_spider(spider_class, base_url: str, **settings):
    crawler = get_crawler(spider_class, {"QA_RETRY_AFTER_MAX": 60, "AUTOTHROTTLE_ENABLED": False, **settings})
    crawler.spider = spider_class.from_crawler(crawler, base_url=base_url)
    return crawler


def policy_for(spider_class, base_url: str):
    crawler = open_spider(spider_class, base_url)
    middleware = RequestPolicyMiddleware.from_crawler(crawler)
    middleware.spider_opened(crawler.spider)
    return crawler, middleware


def redirected(original: str, target: str) -> Request:
    return Request(target, meta={"article": True, "redirect_urls": [original]}, dont_filter=True)


@pytest.mark.parametrize("target", [
    "http://doctorqna.com/en/article/5",
    "https://doctorqna.com/en/article/5/",
    "https://doctorqna.com/en/article/5?utm=1",
    "https://www.doctorqna.com/en/article/5",
])
def test_an_article_redirected_to_itself_under_another_url_is_followed(target):
    crawler, middleware = policy_for(DoctorQnaSpider, "https://doctorqna.com")
    assert middleware.process_request(redirected("https://doctorqna.com/en/article/5", target)) is None
    assert crawler.stats.get_value("policy/redirect/same_article") == 1


@pytest.mark.parametrize(("target", "reason"), [
    ("https://doctorqna.com/en/article/6", "redirect to another page"),
    ("https://doctorqna.com/en/", "redirect to another page"),
    ("https://evil.example/en/article/5", "off-site host"),
    ("http://169.254.169.254/latest/meta-data/", "link-local"),
])
def test_an_article_redirected_elsewhere_is_refused_with_the_target(target, reason):
    crawler, middleware = policy_for(DoctorQnaSpider, "https://doctorqna.com")
    with pytest.raises(RefusedRequest) as refused:
        middleware.process_request(redirected("https://doctorqna.com/en/article/5", target))
    assert (refused.value.url, refused.value.reason, refused.value.redirect) == (target, reason, True)
    assert crawler.stats.get_value(f"policy/refused/{reason}") == 1


def test_tw_ehospital_redirects_keep_the_article_by_q_no():
    _, middleware = policy_for(TwEHospitalSpider, "https://sp1.hso.mohw.gov.tw")
    original = "https://sp1.hso.mohw.gov.tw/doctor/All/ShowDetail.php?q_no=123"
    assert middleware.process_request(redirected(original, original + "&utm=1")) is None
    with pytest.raises(RefusedRequest):
        middleware.process_request(redirected(original, "https://sp1.hso.mohw.gov.tw/doctor/All/ShowDetail.php?q_no=124"))


def test_listings_robots_and_sitemaps_pass_the_same_policy():
    _, middleware = policy_for(DoctorQnaSpider, "http://127.0.0.1:8080")
    for url in ("http://127.0.0.1:8080/robots.txt", "http://127.0.0.1:8080/sitemap.xml", "http://127.0.0.1:8080/en/"):
        assert middleware.process_request(Request(url)) is None
    for url in ("http://127.0.0.1:9090/robots.txt", "http://10.0.0.1/sitemap.xml"):
        with pytest.raises(RefusedRequest):
            middleware.process_request(Request(url))
    assert {"127.0.0.1"} <= LOOPBACK_ORIGIN_HOSTS


@pytest.mark.parametrize(("value", "seconds"), [
    ("120", 120.0), (b"3600", 3600.0), (" 0 ", 0.0),
    ("Mon, 30 Nov 2026 12:01:00 GMT", 60.0),
    ("Mon, 30 Nov 2026 11:00:00 GMT", 0.0),  # in the past: no wait
    ("-5", None), ("soon", None), ("", None), (None, None), ("1e9", None), ("٣", None),
])
def test_retry_after_is_seconds_or_an_http_date(value, seconds):
    assert parse_retry_after(value, now=datetime(2026, 11, 30, 12, 0, tzinfo=UTC)) == seconds


def response(status: int, **headers: str) -> HtmlResponse:
    return HtmlResponse("https://doctorqna.com/en/article/5", status=status, headers=headers, body=b"<html></html>")


def test_retry_after_over_the_cap_defers_and_under_it_waits():
    crawler = open_spider(DoctorQnaSpider, "https://doctorqna.com", QA_RETRY_AFTER_MAX=60)
    middleware = RetryAfterMiddleware.from_crawler(crawler)
    request = Request("https://doctorqna.com/en/article/5")
    with pytest.raises(PostponedRequest, match="Retry-After 3600 s is over the 60 s cap") as postponed:
        asyncio.run(middleware.process_response(request, response(429, **{"Retry-After": "3600"})))
    assert postponed.value.category == "Retry-After over the cap"
    crawler.crawling = True
    waited = asyncio.run(middleware.process_response(request, response(503, **{"Retry-After": "0"})))
    assert waited.status == 503  # handed on to RetryMiddleware
    plain = response(200, **{"Retry-After": "3600"})
    assert asyncio.run(middleware.process_response(request, plain)) is plain  # only 429 and 503
    assert crawler.stats.get_value("retry_after/deferred") == 1
    assert crawler.stats.get_value("retry_after/waited") == 1


def ledger_for(base_url: str = "http://127.0.0.1:8080"):
    crawler = open_spider(DoctorQnaSpider, base_url)
    return crawler, ArticleLedger.from_crawler(crawler)


def article(number: int, **meta) -> Request:
    return Request(f"http://127.0.0.1:8080/en/article/{number}", meta={"article": True, **meta}, dont_filter=True)


def reject(number: int) -> Reject:
    return Reject(url=f"http://127.0.0.1:8080/en/article/{number}", site="doctorqna", stage="fetch",
                  reasons=["HTTP 500"],
                  crawled_at=datetime.now(UTC))


def test_the_ledger_counts_each_article_once_and_names_the_unaccounted():
    crawler, ledger = ledger_for()
    spider = crawler.spider
    for number in (1, 2, 3, 4, 5):
        ledger.request_scheduled(article(number), spider)
    ledger.request_scheduled(article(1, retry_times=1), spider)  # a retry
    ledger.request_scheduled(Request("http://127.0.0.1:8080/en/article/1?utm=1",
                                     meta={"article": True, "redirect_urls": [article(1).url]}), spider)
    ledger.request_scheduled(Request("http://127.0.0.1:8080/en/"), spider)  # a listing: not an article
    ledger.item_scraped(reject(2))
    crawler.signals.send_catch_log(article_settled, url=article(3).url, outcome="skipped", reason="unchanged")
    crawler.signals.send_catch_log(article_settled, url=article(4).url, outcome="deferred",
                                   reason="Retry-After over the cap")
    ledger.spider_closed(spider, "finished")
    stats = crawler.stats.get_stats()
    assert {key: value for key, value in stats.items() if key.startswith("ledger/")} == {
        "ledger/scheduled": 5, "ledger/recorded": 0, "ledger/rejected": 1, "ledger/skipped": 1, "ledger/deferred": 1,
        "ledger/deferred/Retry-After over the cap": 1, "ledger/unaccounted": 2,
        "ledger/unaccounted_urls": [article(1).url, article(5).url],
    }
    gate = {result.name: result for result in evaluate(stats, {"ledger_unaccounted": 0})}["ledger_unaccounted"]
    assert (gate.passed, gate.figure) == (False, 2)


def test_a_record_or_reject_is_final_and_a_stopped_run_defers_what_is_pending():
    crawler, ledger = ledger_for()
    spider = crawler.spider
    for number in (1, 2, 3):
        ledger.request_scheduled(article(number), spider)
    crawler.signals.send_catch_log(article_settled, url=article(1).url, outcome="skipped", reason="unchanged")
    ledger.item_scraped(reject(1))  # a later sitemap entry fetched it after all: the reject wins
    ledger.item_scraped(reject(2))
    crawler.signals.send_catch_log(article_settled, url=article(2).url, outcome="deferred", reason="late")
    ledger.spider_closed(spider, "shutdown")
    stats = crawler.stats.get_stats()
    assert (stats["ledger/rejected"], stats["ledger/deferred"], stats["ledger/unaccounted"]) == (2, 1, 0)
    assert stats["ledger/deferred/run stopped (shutdown)"] == 1
    assert "ledger/deferred/late" not in stats


def test_the_ledger_gate_is_on_by_default_and_overridable():
    assert project_settings.QA_GATES["ledger_unaccounted"] == 0
    assert parse_override("ledger_unaccounted=3") == ("ledger_unaccounted", 3)


def test_a_graceful_stop_cuts_a_retry_after_wait_short_and_defers_the_url():
    crawler = open_spider(DoctorQnaSpider, "https://doctorqna.com", QA_RETRY_AFTER_MAX=60)
    middleware = RetryAfterMiddleware.from_crawler(crawler)
    crawler.crawling = False  # what Crawler.stop() does first on Ctrl-C or SIGTERM
    with pytest.raises(PostponedRequest, match="stopped during its Retry-After wait") as postponed:
        asyncio.run(middleware.process_response(Request("https://doctorqna.com/en/article/5"),
                                                response(429, **{"Retry-After": "50"})))
    assert postponed.value.category == "run stopped"
