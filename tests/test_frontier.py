"""The frontier keeps Scrapy's scheduler small whatever the size of the site, and loses nothing."""

from __future__ import annotations

import json
from collections import Counter

from qacrawler.crawl.settings import QA_LOCAL_SETTINGS
from qacrawler.sandbox import DoctorQnaSite, SandboxServer
from qacrawler.sandbox.faults import FaultPlan
from tests.conftest import run_cli
from tests.test_end_to_end import assert_equal_to_ground_truth

# Requests that come back to the scheduler on their own, past the window the frontier filled it to: the
# retries of requests that were downloading (at most CONCURRENT_REQUESTS) and the discovery pages.
IN_FLIGHT_SLACK = QA_LOCAL_SETTINGS["CONCURRENT_REQUESTS"]


def crawl(server: SandboxServer, out, *extra: str) -> dict:
    result = run_cli("crawl", "doctorqna", "--base-url", server.base_url, "--out", str(out), "--keep-asker-names",
                     *extra)
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    (manifest,) = (out / "runs").glob("*.json")
    return json.loads(manifest.read_text())["stats"]


def test_a_small_window_bounds_the_scheduler_and_fetches_every_article_once(tmp_path):
    site = DoctorQnaSite(pages=300, seed=31)
    window = 4
    with SandboxServer(site) as server:
        stats = crawl(server, tmp_path / "dataset", "-s", f"QA_FRONTIER_WINDOW={window}")
        assert_equal_to_ground_truth("doctorqna", site, server.base_url, tmp_path / "dataset")
        articles = Counter({path: count for path, count in server.hits.items() if path.startswith("/en/article/")})
        discovery = sum(count for path, count in server.hits.items() if not path.startswith("/en/article/"))
    assert max(articles.values()) == 1, "an article was fetched twice"
    listed = len(site.article_ids()) - len(site.orphans())
    assert stats["frontier/fed"] >= listed  # sitemap articles went through the frontier
    # Without the frontier the scheduler held every sitemap article at once (listed, here about 290).
    assert stats["frontier/scheduler_peak"] <= window + discovery + len(site.orphans())
    assert stats["frontier/scheduler_peak"] < listed / 3


def test_a_window_of_one_still_walks_every_id(tmp_path):
    """The id walk waits in the frontier too; with room for one request at a time, each article handled
    and the idle fallback must still hand over every id."""
    site = DoctorQnaSite(pages=120, seed=32)
    with SandboxServer(site) as server:
        ids = site.article_ids()
        walk = range(ids[3], ids[5] + 1)  # a stretch of the numbering: three articles, the rest gaps
        stats = crawl(server, tmp_path / "dataset", "-s", "QA_FRONTIER_WINDOW=1",
                      "--min-id", str(walk.start), "--max-id", str(walk.stop - 1))
        assert_equal_to_ground_truth("doctorqna", site, server.base_url, tmp_path / "dataset")
    # every article (sitemap entries and the orphans links lead to) and every id of the walk
    assert stats["frontier/fed"] == len(ids) + len(walk)
    assert stats["spider/missing_id"] == len(walk) - 3  # the gaps in the numbering, each probed once


def test_a_faulty_site_whose_sitemap_comes_late_repeats_no_request_and_keeps_the_window(tmp_path):
    """Seed 0 faults /sitemap.xml twice (a 503, then a 429 with its Retry-After wait), so the listings are
    read first and link every article before the sitemap arrives. Linked articles used to bypass the
    frontier (the scheduler held 145 requests against a window of 64) and the late sitemap queued each of
    them a second time (211 repeat requests). Now linked articles wait for the sitemap, whose entries win."""
    site = DoctorQnaSite(pages=300, seed=25)
    plan = FaultPlan(seed=0, server_error=0.06, too_many_requests=0.06, slow=0.03, drop=0.04, truncate=0.04,
                     malformed=0.03, slow_seconds=2.0)
    window = 8
    with SandboxServer(site, faults=plan) as server:
        stats = crawl(server, tmp_path / "dataset", "-s", f"QA_FRONTIER_WINDOW={window}", "-s", "DOWNLOAD_TIMEOUT=1",
                      "--gate", "max_reject_ratio=0.2")
        discovery = sum(count for path, count in server.hits.items() if not path.startswith("/en/article/"))
        faults = sum(server.faults_injected.values())
    assert server.hits["/sitemap.xml"] == 3 and stats["spider/link_in_sitemap"] > len(site.article_ids()) / 3
    assert stats.get("incremental/repeat_request", 0) == 0
    assert stats["frontier/fed"] == len(site.article_ids())  # each article handed to the scheduler once
    assert stats["frontier/scheduler_peak"] <= window + IN_FLIGHT_SLACK + discovery
    assert stats["scheduler/enqueued"] <= len(site.article_ids()) + discovery + faults  # a retry per fault, no more
    assert stats["ledger/scheduled"] == len(site.article_ids()) and stats["ledger/unaccounted"] == 0
