"""A crawl of the hostile sandbox: no request leaves the site, every article is accounted for, the exit
status and gates tell the truth, and 200 MB bodies and a 2 GiB gzip bomb leave the crawl's memory flat."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter

import pyarrow.parquet as pq
import pytest

from qacrawler.sandbox import DoctorQnaSite, SandboxServer
from qacrawler.sandbox.faults import FaultPlan
from qacrawler.sandbox.hostile import METADATA_URL, HostilePlan, HostileSite, OtherHost, gzip_bomb
from tests.conftest import ROOT, run_cli
from tests.test_end_to_end import read_records

# Runs a command and prints the peak RSS (KiB on Linux) of its process tree's largest process: measured
# in a process of its own, so no other child of the test run counts.
PEAK_RSS = """
import resource, subprocess, sys
status = subprocess.run(sys.argv[1:]).returncode
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
sys.exit(status)
"""
RSS_LIMIT_MIB = 400


@pytest.fixture(scope="module")
def hostile_crawl(tmp_path_factory):
    site = DoctorQnaSite(pages=60, seed=5)
    out = tmp_path_factory.mktemp("hostile") / "dataset"
    with OtherHost() as other:
        hostile = HostileSite(site, HostilePlan.parse("all=2,seed=1"), other.url)
        with SandboxServer(hostile) as server:
            command = [sys.executable, "-c", PEAK_RSS, sys.executable, "-m", "qacrawler.cli", "crawl", "doctorqna",
                       "--base-url", server.base_url, "--out", str(out), "-s", "QA_RETRY_AFTER_MAX=10",
                       # AutoThrottle on (the sandbox turns it off) to see it slow down, with small delays
                       "-s", "AUTOTHROTTLE_ENABLED=True", "-s", "AUTOTHROTTLE_START_DELAY=0", "-s", "DOWNLOAD_DELAY=0",
                       "-s", "AUTOTHROTTLE_MAX_DELAY=0.5"]
            result = subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=ROOT)
        connections = other.connections
    manifest = json.loads(next((out / "runs").glob("*.json")).read_text("utf-8"))
    rejects = [row for path in (out / "rejects").glob("*.parquet") for row in pq.read_table(path).to_pylist()]
    return hostile, server.base_url, other.url, out, result, connections, manifest, rejects


def test_no_request_reaches_another_host_or_address(hostile_crawl):
    hostile, base_url, other_url, out, result, connections, manifest, rejects = hostile_crawl
    assert connections == 0
    stats = manifest["stats"]
    assert stats["policy/refused/loopback"] == len(hostile.articles_playing("other_host"))
    assert stats["policy/refused/link-local"] == len(hostile.articles_playing("metadata"))
    assert stats["policy/refused/redirect to another page"] == len(hostile.articles_playing("other_article"))
    assert not [row for row in read_records(out) if not row["url"].startswith(base_url + "/en/article/")]


def test_every_article_is_accounted_for_as_the_sandbox_says(hostile_crawl):
    hostile, base_url, other_url, out, result, connections, manifest, rejects = hostile_crawl
    expected = Counter(hostile.expected_outcomes().values())
    ledger = manifest["ledger"]
    assert ledger["scheduled"] == len(hostile.article_ids())
    assert {name: ledger[name] for name in ("recorded", "rejected", "skipped", "deferred", "unaccounted")} == {
        "recorded": expected["recorded"], "rejected": expected["rejected"], "skipped": 0,
        "deferred": expected["deferred"], "unaccounted": 0}
    assert ledger["deferred_reasons"] == {"Retry-After over the cap": len(hostile.articles_playing("retry_after_long"))}
    assert manifest["counts"]["records"] == expected["recorded"]
    assert len(rejects) == expected["rejected"]


def test_same_article_redirects_and_short_retry_afters_keep_the_article_under_its_url(hostile_crawl):
    hostile, base_url, other_url, out, result, connections, manifest, rejects = hostile_crawl
    urls = {row["url"] for row in read_records(out)}
    for trick in ("same_article", "retry_after", "retry_after_date"):
        for article_id in hostile.articles_playing(trick):
            assert f"{base_url}/en/article/{article_id}" in urls, (trick, article_id)
    assert manifest["stats"]["policy/redirect/same_article"] == len(hostile.articles_playing("same_article"))
    assert manifest["stats"]["retry_after/waited"] == 4
    assert manifest["stats"]["retry_after/slowed_down"] >= 1  # AutoThrottle's slot delay grew (up to its maximum)


def test_each_refusal_is_a_reject_whose_reasons_say_why(hostile_crawl):
    hostile, base_url, other_url, out, result, connections, manifest, rejects = hostile_crawl
    by_url = {row["url"]: row for row in rejects}

    def reasons(trick: str) -> list[tuple[str, str]]:
        return [(by_url[f"{base_url}/en/article/{article_id}"]["stage"],
                 " ".join(by_url[f"{base_url}/en/article/{article_id}"]["reasons"]))
                for article_id in hostile.articles_playing(trick)]

    assert all(stage == "redirect" and f"redirected to {other_url}/en/article/" in text
               for stage, text in reasons("other_host"))
    assert all(stage == "redirect" and METADATA_URL in text for stage, text in reasons("metadata"))
    assert all(stage == "redirect" and f"redirected to {base_url}{hostile.untricked}" in text
               for stage, text in reasons("other_article"))
    for trick in ("huge", "huge_unsized"):
        assert reasons(trick) == [("fetch", "response larger than 8 MiB (DOWNLOAD_MAXSIZE)")] * 2
    assert reasons("bomb") == [("fetch", "decompressed body over 8 MiB (DOWNLOAD_MAXSIZE)")] * 2
    assert all(other_url not in (row["excerpt"] or "") for row in rejects)


def test_exit_status_and_gates_tell_the_truth(hostile_crawl):
    hostile, base_url, other_url, out, result, connections, manifest, rejects = hostile_crawl
    expected = Counter(hostile.expected_outcomes().values())
    gates = {gate["name"]: gate for gate in manifest["gates"]}
    ratio = round(expected["rejected"] / (expected["recorded"] + expected["rejected"]), 4)
    assert gates["max_reject_ratio"]["figure"] == ratio > 0.05
    assert [name for name, gate in gates.items() if not gate["passed"]] == ["max_reject_ratio"]
    assert gates["ledger_unaccounted"]["figure"] == 0 and gates["max_errors"]["figure"] == 0
    assert manifest["finish_reason"] == "finished"
    assert result.returncode == 2, result.stderr[-2000:]
    assert "gate max_reject_ratio FAILED" in result.stdout


def test_peak_memory_stays_flat_while_huge_bodies_and_a_bomb_are_served(hostile_crawl):
    hostile, base_url, other_url, out, result, connections, manifest, rejects = hostile_crawl
    assert hostile.plan.huge_bytes >= 200_000_000 and hostile.plan.bomb_mib == 2048
    peak_mib = int(result.stdout.strip().splitlines()[-1]) / 1024
    assert peak_mib < RSS_LIMIT_MIB, f"peak RSS {peak_mib:.0f} MiB"


def test_the_bomb_is_a_valid_gzip_stream_of_zeros():
    import zlib

    bomb = gzip_bomb(4)
    decompressor, total, rest = zlib.decompressobj(16 + zlib.MAX_WBITS), 0, bomb
    while rest:
        chunk = decompressor.decompress(rest)
        assert not chunk.strip(b"\0")
        total += len(chunk)
        rest = decompressor.unused_data
        decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS) if rest else decompressor
    assert total == 4 << 20 and len(bomb) < 8 << 10


def test_the_hostile_plan_reads_like_the_fault_plan():
    plan = HostilePlan.parse("all=1,bomb=3,seed=2")
    assert (plan.same_article, plan.bomb, plan.seed, plan.tricked()) == (1, 3, 2, 12)
    for bad, message in (("bogus=1", "bad hostile setting"), ("huge=x", "whole number"), ("huge=-1", ">= 0")):
        with pytest.raises(ValueError, match=message):
            HostilePlan.parse(bad)
    with pytest.raises(ValueError, match="to spare"):
        HostileSite(DoctorQnaSite(pages=20, seed=1), HostilePlan.parse("all=5"), "http://127.0.0.1:1")


def test_the_sandbox_command_serves_the_hostile_mirror():
    command = [sys.executable, "-m", "qacrawler.cli", "sandbox", "--hostile", "all=1", "--pages", "40"]
    with subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as process:
        try:
            base_url = process.stdout.readline().strip()
        finally:
            process.terminate()
            _, stderr = process.communicate(timeout=30)
    assert base_url.startswith("http://127.0.0.1:")
    assert "other host (counts connections): http://127.0.0.1:" in stderr
    wrong = subprocess.run([sys.executable, "-m", "qacrawler.cli", "sandbox", "--site", "tw_ehospital",
                            "--hostile", "all=1"],
                           capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert wrong.returncode == 2 and wrong.stderr.count("\n") == 1 and "doctorqna mirror only" in wrong.stderr


def test_a_site_name_that_resolves_to_a_private_address_is_never_connected_to(tmp_path):
    """The machine's own host name resolves to one of its addresses (loopback or private): as a base URL
    it passes the URL check, and only the resolver can stop the connection."""
    import socket

    from qacrawler.crawl.request_policy import address_refusal

    name = socket.gethostname()
    try:
        address = socket.gethostbyname(name)
    except OSError:
        pytest.skip(f"{name} does not resolve here")
    if address_refusal(address) is None or name == "localhost":
        pytest.skip(f"{name} resolves to the public address {address}")
    with OtherHost(host=address) as listener:
        port = listener.url.rsplit(":", 1)[1]
        result = subprocess.run([sys.executable, "-m", "qacrawler.cli", "crawl", "doctorqna", "--base-url",
                                 f"http://{name}:{port}", "--out", str(tmp_path / "dataset"), "-s", "RETRY_TIMES=0",
                                 "--min-id", "5", "--max-id", "6"],
                                capture_output=True, text=True, timeout=120, cwd=ROOT)
        connections = listener.connections
    assert connections == 0
    assert result.returncode == 2, result.stderr[-2000:]
    log = next((tmp_path / "dataset" / "runs").glob("*.log")).read_text("utf-8")
    assert f"request policy refused {name} resolves to {address}, a {address_refusal(address)} address" in log
    rejects = [row for path in (tmp_path / "dataset" / "rejects").glob("*.parquet")
               for row in pq.read_table(path).to_pylist()]
    assert sorted(row["url"].rsplit("=", 1)[-1].rsplit("/", 1)[-1] for row in rejects) == ["5", "6"]
    assert {tuple(row["reasons"]) for row in rejects} == {
        (f"request refused: {name} resolves to {address}, a {address_refusal(address)} address",)}


def test_articles_still_rate_limited_after_the_retries_are_deferred_not_rejected(tmp_path):
    """A site answering 429 to every attempt (Retry-After: 1, under the cap): each article ends deferred with
    its reason, none is a reject, and the run fails its min_records gate rather than its reject ratio."""
    site = DoctorQnaSite(pages=30, seed=6)
    first = site.article_ids()[0]
    plan = FaultPlan(seed=2, too_many_requests=1.0, max_faults_per_url=100)
    out = tmp_path / "dataset"
    with SandboxServer(site, faults=plan) as server:
        result = run_cli("crawl", "doctorqna", "--base-url", server.base_url, "--out", str(out),
                         "--min-id", str(first), "--max-id", str(first + 4), "-s", "RETRY_TIMES=1")
    manifest = json.loads(next((out / "runs").glob("*.json")).read_text("utf-8"))
    ledger = manifest["ledger"]
    scheduled = 5  # every id of the walk, whether or not an article is there: the 429 comes first
    counts = (ledger["scheduled"], ledger["deferred"], ledger["rejected"], ledger["unaccounted"])
    assert counts == (scheduled, scheduled, 0, 0)
    assert ledger["deferred_reasons"] == {"HTTP 429 after retries": scheduled}
    assert not list((out / "rejects").glob("*.parquet"))
    assert result.returncode == 2
    assert "gate min_records FAILED" in result.stdout and "max_reject_ratio FAILED" not in result.stdout
