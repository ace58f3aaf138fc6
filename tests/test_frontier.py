"""The frontier keeps Scrapy's scheduler small whatever the size of the site, and loses nothing."""

from __future__ import annotations

import json
from collections import Counter

from qacrawler.sandbox import DoctorQnaSite, SandboxServer
from tests.conftest import run_cli
from tests.test_end_to_end import assert_equal_to_ground_truth


def crawl(server: SandboxServer, out, *extra: str) -> dict:
    result = run_cli("crawl", "doctorqna", "--base-url", server.base_url, "--out", str(out), "--keep-asker-names", *extra)
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
    listed = len(ids) - len(site.orphans())
    assert stats["frontier/fed"] == listed + len(walk)  # every sitemap entry and every id of the walk
    assert stats["spider/missing_id"] == len(walk) - 3  # the gaps in the numbering, each probed once
