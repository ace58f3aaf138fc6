"""Sandbox faults over real HTTP (transient, bounded, counted) and the renamed-labels redesign."""

from __future__ import annotations

import contextlib
import http.client
import re
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import pytest

from qacrawler.sandbox import DoctorQnaSite, SandboxServer
from qacrawler.sandbox.faults import FAULT_KINDS, TRANSIENT_KINDS, FaultPlan
from tests.test_sandbox import article_id_of, content_lines, expected_lines, visible_lines


@pytest.fixture(scope="module")
def site() -> DoctorQnaSite:
    return DoctorQnaSite(pages=400, seed=7)


def article_paths(site: DoctorQnaSite) -> list[str]:
    return [f"/en/article/{article_id}" for article_id in site.article_ids()]


@dataclass
class Outcome:
    fault: str | None  # what the client saw, named as the server names the fault
    status: int | None = None
    headers: dict[str, str] | None = None
    body: bytes = b""
    seconds: float = 0.0


def get(server: SandboxServer, site: DoctorQnaSite, path: str, slow_seconds: float, timeout: float = 5) -> Outcome:
    """One GET on a fresh connection, classified by what a crawler's downloader would notice."""
    host, port = urlsplit(server.base_url).netloc.split(":")
    target = urlsplit(path)
    expected = site.render(target.path, parse_qs(target.query), base_url=server.base_url)[2]
    started = time.perf_counter()
    with contextlib.closing(http.client.HTTPConnection(host, int(port), timeout=timeout)) as connection:
        connection.request("GET", path)
        try:
            response = connection.getresponse()
        except ConnectionError:  # http.client.RemoteDisconnected: closed without a status line
            return Outcome("drop")
        headers = dict(response.getheaders())
        try:
            body = response.read()
        except http.client.IncompleteRead as error:  # fewer bytes than Content-Length, then EOF
            return Outcome("truncate", response.status, headers, error.partial)
    seconds = time.perf_counter() - started
    outcome = Outcome(None, response.status, headers, body, seconds)
    if response.status in (500, 503):
        outcome.fault = "server_error"
    elif response.status == 429:
        outcome.fault = "too_many_requests"
    elif body != expected:
        outcome.fault = "malformed"
    elif seconds >= slow_seconds:
        outcome.fault = "slow"
    return outcome


# --- the plan ------------------------------------------------------------------------------------


def test_each_kind_strikes_a_first_attempt_at_its_rate():
    rates = {"server_error": 0.05, "too_many_requests": 0.1, "slow": 0.02, "drop": 0.15, "truncate": 0.08}
    plan = FaultPlan(seed=3, malformed=0.04, **rates)
    urls = [f"/en/article/{n}" for n in range(20_000)]
    seen = Counter(plan.transient(url, 1) for url in urls)
    for kind, rate in rates.items():
        assert abs(seen[kind] / len(urls) - rate) < 0.15 * rate, kind
    assert abs(sum(map(plan.is_malformed, urls)) / len(urls) - 0.04) < 0.006
    first_attempts = [plan.transient(url, 1) for url in urls[:500]]
    assert [plan.transient(url, 2) for url in urls[:500]] != first_attempts
    assert [FaultPlan(seed=4, **rates).transient(url, 1) for url in urls[:500]] != first_attempts
    assert [FaultPlan(seed=3, **rates).transient(url, 1) for url in urls[:500]] == first_attempts


def test_parse_reads_a_command_line_fault_string():
    plan = FaultPlan.parse("server_error=0.05,too_many_requests=0.05,slow=0.01,drop=0.02,truncate=0.02,malformed=0.01")
    assert plan == FaultPlan(
        server_error=0.05, too_many_requests=0.05, slow=0.01, drop=0.02, truncate=0.02, malformed=0.01
    )
    plan = FaultPlan.parse(" drop = 0.5 , seed=9,slow_seconds=0.25,max_faults_per_url=1")
    assert (plan.drop, plan.seed, plan.slow_seconds, plan.max_faults_per_url) == (0.5, 9, 0.25, 1)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "bad fault setting ''"),
        ("drop", "bad fault setting 'drop'"),
        ("explode=0.1", "bad fault setting 'explode=0.1'"),
        ("drop=0.1,,slow=0.1", "bad fault setting ''"),
        ("drop=lots", "drop must be a number"),
        ("seed=1.5", "seed must be an integer"),
        ("drop=0.1,drop=0.2", "drop is given twice"),
        ("drop=1.5", "drop must be between 0 and 1"),
        ("malformed=-0.1", "malformed must be between 0 and 1"),
        ("slow=nan", "slow must be between 0 and 1"),
        ("server_error=0.6,drop=0.6", "add up to more than 1"),
        ("slow_seconds=inf", "slow_seconds must be a finite number"),
        ("max_faults_per_url=-1", "max_faults_per_url must be >= 0"),
    ],
)
def test_parse_rejects_bad_input_with_a_one_line_message(text, message):
    with pytest.raises(ValueError, match=re.escape(message)) as error:
        FaultPlan.parse(text)
    assert "\n" not in str(error.value)


# --- faults over HTTP ------------------------------------------------------------------------------


def test_the_client_sees_each_kind_at_about_its_rate_and_the_server_counts_them(site):
    plan = FaultPlan(
        seed=1, server_error=0.06, too_many_requests=0.06, slow=0.06, drop=0.06, truncate=0.06, malformed=0.05,
        slow_seconds=0.3,
    )
    paths = article_paths(site)
    with SandboxServer(site, faults=plan) as server, ThreadPoolExecutor(max_workers=16) as pool:
        outcomes = dict(zip(paths, pool.map(lambda path: get(server, site, path, plan.slow_seconds), paths),
                            strict=True))
    seen = Counter(outcome.fault for outcome in outcomes.values() if outcome.fault)
    assert seen == server.faults_injected
    assert set(seen) == set(FAULT_KINDS)
    for kind in TRANSIENT_KINDS:
        assert 0.5 * 0.06 * len(paths) <= seen[kind] <= 1.6 * 0.06 * len(paths), (kind, seen)
    assert {path for path, outcome in outcomes.items() if outcome.fault == "malformed"} <= set(server.malformed_paths())
    assert 0.5 * 0.05 * len(paths) <= len(server.malformed_paths()) <= 1.6 * 0.05 * len(paths)

    assert {outcome.status for outcome in outcomes.values() if outcome.fault == "server_error"} == {500, 503}
    assert all(outcome.headers["Retry-After"] == "1" for outcome in outcomes.values()
               if outcome.fault == "too_many_requests")
    for path, outcome in outcomes.items():
        if outcome.fault == "truncate":
            full = site.render(path)[2]
            assert outcome.status == 200 and int(outcome.headers["Content-Length"]) == len(full)
            assert 0 < len(outcome.body) < len(full) and full.startswith(outcome.body)
        if outcome.fault == "slow":
            assert outcome.status == 200 and outcome.seconds >= 0.3


@pytest.mark.parametrize("max_faults", [0, 1, 2])
def test_every_url_succeeds_within_max_faults_plus_one_attempts(site, max_faults):
    plan = FaultPlan(seed=5, server_error=0.3, too_many_requests=0.2, drop=0.2, truncate=0.2,
                     max_faults_per_url=max_faults)
    paths = article_paths(site)[:40] + [
        "/sitemap.xml", "/sitemaps/articles-1.xml", "/en/", "/en/department/neurology",
        "/en/department/neurology?page=2", "/en/faq/neurology", "/en/article/1", "/",
    ]
    with SandboxServer(site, faults=plan) as server, ThreadPoolExecutor(max_workers=16) as pool:
        histories = list(pool.map(lambda path: [get(server, site, path, 5).fault for _ in range(max_faults + 3)],
                                  paths))
    first_success = Counter(history.index(None) + 1 for history in histories)
    assert max(first_success) == max_faults + 1  # the bound is reached, never passed
    assert all(sum(fault is not None for fault in history) <= max_faults for history in histories)
    assert sum(server.faults_injected.values()) == sum(fault is not None for history in histories for fault in history)


def test_robots_txt_is_never_faulted_and_a_sitemap_recovers_after_its_budget(site):
    with SandboxServer(site, faults=FaultPlan(server_error=1.0)) as server:
        robots = [get(server, site, "/robots.txt", 5) for _ in range(5)]
        assert [outcome.fault for outcome in robots] == [None] * 5 and not server.faults_injected
        sitemap = [get(server, site, "/sitemap.xml", 5) for _ in range(4)]
    assert [outcome.fault for outcome in sitemap] == ["server_error", "server_error", None, None]
    assert server.faults_injected == Counter({"server_error": 2})


def test_a_slow_page_arrives_after_slow_seconds_and_a_shorter_client_timeout_retries(site):
    path = article_paths(site)[0]
    with SandboxServer(site, faults=FaultPlan(slow=1.0, slow_seconds=0.3, max_faults_per_url=1)) as server:
        slow = get(server, site, path, 0.3)
        assert slow.fault == "slow" and slow.status == 200
        assert get(server, site, path, 0.3).fault is None

        other = article_paths(site)[1]
        with pytest.raises(TimeoutError):
            get(server, site, other, 0.3, timeout=0.1)
        assert get(server, site, other, 0.3, timeout=0.1).fault is None
        head = http.client.HTTPConnection(*urlsplit(server.base_url).netloc.split(":"), timeout=5)
        with contextlib.closing(head):
            started = time.perf_counter()
            head.request("HEAD", article_paths(site)[2])
            response = head.getresponse()
            assert response.status == 200 and response.read() == b""
            assert time.perf_counter() - started < 0.3  # HEAD is not faulted
    assert server.faults_injected == Counter({"slow": 2})


def test_malformed_articles_are_permanent_garbage_and_only_articles_are_malformed(site):
    plan = FaultPlan(seed=2, malformed=0.05)
    with SandboxServer(site, faults=plan) as server:
        malformed = server.malformed_paths()
        assert malformed == sorted(malformed) and set(malformed) < set(site.malformable_paths())
        assert malformed == SandboxServer(site, faults=plan).malformed_paths()
        assert malformed != SandboxServer(site, faults=FaultPlan(seed=3, malformed=0.05)).malformed_paths()
        for path in malformed[:5]:
            bodies = {get(server, site, path, 5).body for _ in range(3)}
            assert len(bodies) == 1 and b"Ask Date" not in bodies.pop()
        clean = next(path for path in article_paths(site) if path not in malformed)
        assert get(server, site, clean, 5).fault is None
    assert server.faults_injected == Counter({"malformed": 15})

    everything = FaultPlan(malformed=1.0)
    with SandboxServer(site, faults=everything) as server:
        malformed = server.malformed_paths()
        assert malformed == sorted(site.malformable_paths()) and len(malformed) > 0.95 * len(article_paths(site))
        intact = {article_id_of(path) for path in set(article_paths(site)) - set(malformed)} - set(site.broken())
        linked = {article_id_of(entry["url"]) for i in intact for entry in site.truth(i)["similar_questions"]}
        assert set(site.orphans()) <= linked  # garbling never hides a page
        for path in ("/robots.txt", "/sitemap.xml", "/sitemaps/articles-1.xml", "/en/", "/en/department/urology",
                     "/en/faq/urology", "/en/article/1"):
            assert get(server, site, path, 5).fault is None, path
        outcome = get(server, site, article_paths(site)[0], 5)
        assert outcome.fault == "malformed" and outcome.status == 200
        assert outcome.headers["Content-Type"] == "text/html; charset=utf-8"
        assert int(outcome.headers["Content-Length"]) == len(outcome.body)


def test_the_server_stays_generic_and_refuses_malformed_without_malformable_paths():
    class Plain:
        def render(self, path, query, *, base_url):
            return 200, {"Content-Type": "text/plain", "Content-Length": "2"}, b"ok"

    with pytest.raises(ValueError, match="malformable_paths"):
        SandboxServer(Plain(), faults=FaultPlan(malformed=0.1))
    with SandboxServer(Plain(), faults=FaultPlan(too_many_requests=1.0, max_faults_per_url=1)) as server:
        host, port = urlsplit(server.base_url).netloc.split(":")
        statuses = []
        for _ in range(2):
            with contextlib.closing(http.client.HTTPConnection(host, int(port), timeout=5)) as connection:
                connection.request("GET", "/anything?x=1")
                response = connection.getresponse()
                statuses.append((response.status, response.read()[-2:]))
    assert statuses[0][0] == 429 and statuses[1] == (200, b"ok")


def test_no_plan_means_no_faults(site):
    with SandboxServer(site) as server:
        assert get(server, site, article_paths(site)[0], 5).fault is None
    assert server.malformed_paths() == [] and server.faults_injected == Counter()


# --- renamed labels ----------------------------------------------------------------------------------

_OLD_LABELS = ("Ask Date", "Reply Date", "More Info", "Similar Q&", "Related FAQ", "[Read More]", "Share to:")
_BACK_TO_STANDARD = (
    (r"Asked on:", "Ask Date:"),
    (r"^Answered on:", "Reply Date:"),
    (r"^Answer by Dr\. (.+) \(([^()]+)\)$", r"Dr. \1 reply \2"),
    (r"^Further reading$", "More Info"),
    (r"^Related questions$", "Similar Q&A"),
    (r"^Frequently asked topics$", "Related FAQ"),
    (r"\[Continue reading\]", "[Read More]"),
)


def test_renamed_labels_reword_every_label_of_article_pages_and_nothing_else():
    renamed, standard = DoctorQnaSite(pages=150, seed=4, labels="renamed"), DoctorQnaSite(pages=150, seed=4)
    for article_id in renamed.article_ids():
        body = renamed.render(f"/en/article/{article_id}")[2]
        assert not [label for label in _OLD_LABELS if label.encode() in body], article_id
        assert not re.search(rb"Dr\. [^<>\n]{1,40} reply ", body), article_id
        assert b"Asked on:" in body and b"Answer by Dr. Fake (Surgery)" in body  # the traps speak the new wording
        if article_id in renamed.broken():
            continue
        truth = renamed.truth(article_id)
        assert truth == standard.truth(article_id)
        lines = visible_lines(body)
        for pattern, standard_text in _BACK_TO_STANDARD:
            lines = [re.sub(pattern, standard_text, line) for line in lines]
        assert content_lines(lines[lines.index(truth["title"]) :]) == expected_lines(truth), article_id
    for path in ("/sitemap.xml", "/sitemaps/articles-1.xml", "/robots.txt", "/en/", "/en/department/urology",
                 "/en/faq/urology", "/en/article/1"):
        assert renamed.render(path) == standard.render(path), path


def test_labels_must_be_known():
    with pytest.raises(ValueError, match="labels must be one of standard, renamed"):
        DoctorQnaSite(pages=10, labels="redesigned")
