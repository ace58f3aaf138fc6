"""Fetch failures grouped by cause from Scrapy's downloader stats, and the one line the command line prints."""

from __future__ import annotations

import pytest

from qacrawler.crawl.fetch_failures import failure_line, fetch_failures

E = "downloader/exception_type_count/"


@pytest.mark.parametrize(
    ("stats", "line"),
    [
        ({E + "scrapy.exceptions.DownloadConnectionRefusedError": 12, "retry/max_reached": 4},
         "site unreachable: 12 attempts refused the connection (127.0.0.1:1); 4 requests given up after retries; "
         "Try: check --base-url and that the site is up"),
        ({E + "scrapy.exceptions.CannotResolveHostError": 3, "retry/max_reached": 1},
         "site unreachable: 3 attempts failed the DNS lookup (127.0.0.1:1); 1 request given up after retries; "
         "Try: check the host name in --base-url and this machine's DNS"),
        ({E + "scrapy.exceptions.DownloadTimeoutError": 1},
         "site unreachable: 1 attempt timed out (127.0.0.1:1); Try: check the network, or raise -s DOWNLOAD_TIMEOUT="),
        ({E + "OpenSSL.SSL.Error": 2},
         "site unreachable: 2 attempts failed the TLS handshake (127.0.0.1:1); "
         "Try: check the site's certificate and the URL's scheme"),
        ({E + "twisted.internet.error.ConnectionRefusedError": 1, E + "twisted.internet.error.TimeoutError": 2},
         "site unreachable: 1 attempt refused the connection, 2 timed out (127.0.0.1:1)"),  # two causes: no one hint
    ],
    ids=["refused", "dns", "timeout", "tls", "two causes"],
)
def test_a_site_without_any_response_is_unreachable_with_its_cause(stats, line):
    assert failure_line(fetch_failures(stats), 0, "http://127.0.0.1:1/en") == line


def test_http_error_statuses_are_counted_by_code_beside_other_causes():
    stats = {"downloader/response_status_count/200": 90, "downloader/response_status_count/404": 3,
             "downloader/response_status_count/503": 5, "downloader/response_status_count/301": 2,
             E + "scrapy.exceptions.DownloadFailedError": 1, E + "builtins.ValueError": 1}
    failures = fetch_failures(stats)
    assert failures == {"causes": {"connection_lost": 1, "other": 1}, "http_status": {"404": 3, "503": 5}, "gave_up": 0,
                        "exceptions": {"builtins.ValueError": 1, "scrapy.exceptions.DownloadFailedError": 1}}
    assert failure_line(failures, 100, "https://doctorqna.com") == (
        "fetch failures: 1 attempt lost the connection, 1 failed otherwise, 3 got HTTP 404, 5 got HTTP 503 "
        "(doctorqna.com)")


def test_a_run_without_failures_prints_no_line():
    assert failure_line(fetch_failures({"downloader/response_status_count/200": 5}), 5, "http://127.0.0.1:8080") is None


def test_requests_our_middlewares_decline_are_decisions_not_failures():
    stats = {"downloader/response_status_count/200": 5, E + "qacrawler.crawl.incremental.UnchangedPage": 105,
             E + "qacrawler.crawl.request_policy.RefusedRequest": 2}
    assert fetch_failures(stats)["causes"] == {} and fetch_failures(stats)["exceptions"] == {}
    assert failure_line(fetch_failures(stats), 5, "http://127.0.0.1:8080") is None
