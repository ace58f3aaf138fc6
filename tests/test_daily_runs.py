"""A year of daily incremental runs stays a few files per partition, and keeps every version.

Scrapy's reactor runs once per process, so the 365 runs are simulated: each day the sandbox site is revised
(questions added, answers edited), the pages that changed are rendered and parsed by the real parser, and one
writer pipeline per day writes them, as an incremental crawl's would (it fetches only new and changed pages).
Two real crawls with a revision between them check the same merge inside a crawl.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime, time, timedelta

import pytest

from qacrawler import dataset
from qacrawler.crawl.process import tuned_garbage_collector
from qacrawler.page.sites import doctorqna
from qacrawler.page.sites.errors import NotAnArticle
from qacrawler.sandbox import DoctorQnaSite, SandboxServer
from tests.conftest import run_cli
from tests.test_pipelines import write_run

BASE_URL = "https://doctorqna.com"
DAYS = 365
MAX_FILES = 8


def parsed(site: DoctorQnaSite, article_ids: list[int], at: datetime) -> list:
    """The records a crawl at `at` would store for these articles: the real parser over the sandbox's pages."""
    records = []
    for article_id in article_ids:
        path = f"/en/article/{article_id}"
        status, headers, body = site.render(path)
        try:
            records.append(doctorqna.parse(body, BASE_URL + path, crawled_at=at, content_type=headers["Content-Type"]))
        except NotAnArticle:  # the sandbox's broken pages are rejects, not records
            assert article_id in site.broken()
    return records


def files_per_partition(root) -> Counter:
    return Counter(path.parent.relative_to(root / "records").as_posix()
                   for path in (root / "records").rglob("*.parquet"))


@pytest.mark.slow
def test_a_year_of_daily_runs_ends_with_a_few_files_per_partition_and_every_version(tmp_path):
    site = DoctorQnaSite(pages=120, seed=41)
    newest = max(site.truth(article_id)["ask_date"] for article_id in site.article_ids()
                 if article_id not in site.broken())
    start = datetime.combine(newest + timedelta(days=1), time(6), tzinfo=UTC)
    versions = {(record.record_id, record.content_hash) for record in parsed(site, site.article_ids(), start)}
    write_run(tmp_path, parsed(site, site.article_ids(), start), QA_RUN_ID="day000",
              QA_COMPACT_FILES_PER_PARTITION=MAX_FILES)
    most_files = 0
    # as in a crawl: the writer's full collection after each batch skips the test's heap
    with tuned_garbage_collector():
        for day in range(1, DAYS):
            at = start + timedelta(days=day)
            revision = site.revise(added=1 + day % 3, edited=2, at=at)
            changed = parsed(site, revision.added_ids + revision.edited_ids, at)
            versions |= {(record.record_id, record.content_hash) for record in changed}
            write_run(tmp_path, changed, QA_RUN_ID=f"day{day:03d}", QA_COMPACT_FILES_PER_PARTITION=MAX_FILES)
            most_files = max(most_files, *files_per_partition(tmp_path).values())

    assert most_files <= MAX_FILES
    stored = dataset.open_dataset(tmp_path).to_table(
        columns=["record_id", "content_hash", "site", "ask_year", "ask_date"])
    assert sorted(zip(stored.column("record_id").to_pylist(), stored.column("content_hash").to_pylist(), strict=True)) \
        == sorted(versions)  # every version of every day, none lost or doubled by the merges
    assert all(row["ask_year"] == row["ask_date"].year and row["site"] == "doctorqna" for row in stored.to_pylist())
    final = {record.record_id: record.content_hash for record in parsed(site, site.article_ids(), start)}
    latest = dataset.latest(tmp_path, columns=["record_id", "content_hash"]).to_pylist()
    assert {row["record_id"]: row["content_hash"] for row in latest} == final  # the site as it is now
    assert len(files_per_partition(tmp_path)) > 3  # several ask years: more than one partition was kept small


def test_a_crawl_merges_the_small_files_of_the_partitions_it_wrote(tmp_path):
    """Two real crawls with a revision between: with a threshold of one file, the second run leaves one file in
    each partition it wrote, holding the first run's rows and the edited versions."""
    site = DoctorQnaSite(pages=60, seed=43)
    out = tmp_path / "dataset"
    with SandboxServer(site) as server:
        first = run_cli("crawl", "doctorqna", "--base-url", server.base_url, "--out", str(out),
                        "-s", "QA_COMPACT_FILES_PER_PARTITION=1")
        assert first.returncode == 0, first.stderr[-3000:]
        before = dataset.open_dataset(out).count_rows()
        newest = max(site.truth(article_id)["ask_date"] for article_id in site.article_ids()
                     if article_id not in site.broken())
        revision = site.revise(added=3, edited=6, at=datetime.combine(newest + timedelta(days=1), time(6), tzinfo=UTC))
        second = run_cli("crawl", "doctorqna", "--base-url", server.base_url, "--out", str(out),
                         "-s", "QA_COMPACT_FILES_PER_PARTITION=1")
        assert second.returncode == 0, second.stderr[-3000:]
    assert max(files_per_partition(out).values()) == 1
    assert dataset.open_dataset(out).count_rows() == before + len(revision.added_ids) + len(revision.edited_ids)
    manifest = json.loads(sorted((out / "runs").glob("*.json"))[-1].read_text())
    assert manifest["stats"]["parquet/merges"] >= 1
    assert manifest["stats"]["parquet/merged_files"] >= 2 * manifest["stats"]["parquet/merges"]
