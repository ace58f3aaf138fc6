"""What the dataset tells the next run: which articles to skip, refetch, or fetch for the first time."""

from __future__ import annotations

from datetime import UTC, datetime

from qacrawler.incremental import parse_lastmod, stored_versions, unfetched_links
from qacrawler.records import Reject
from qacrawler.sites import doctorqna
from tests.test_pipelines import NOW, record, write_run

BASE = "https://doctorqna.com/en/article/"


def similar(number: int) -> dict:
    return {"url": f"{BASE}{number}", "title": f"question {number}"}


def test_stored_versions_know_records_unanswered_ones_and_parse_rejects(tmp_path):
    reject = Reject(url=f"{BASE}7", site="doctorqna", stage="parse", reasons=["no asker line"], crawled_at=NOW)
    fetch_failure = reject.model_copy(update={"url": f"{BASE}8", "stage": "fetch"})
    write_run(tmp_path, [record("1"), record("2", answer=None), reject, fetch_failure])
    stored = stored_versions(tmp_path, doctorqna)
    assert stored["doctorqna:1"].answered and not stored["doctorqna:1"].rejected
    assert not stored["doctorqna:2"].answered
    assert stored["doctorqna:7"].rejected
    assert "doctorqna:8" not in stored  # a network failure says nothing about the page


def test_links_to_pages_the_dataset_lacks_are_fetched_next_time(tmp_path):
    reject = Reject(url=f"{BASE}4", site="doctorqna", stage="validate", reasons=["answer: missing"], crawled_at=NOW)
    write_run(tmp_path, [record("1", similar_questions=[similar(2), similar(3), similar(4)]), record("2"), reject])
    assert unfetched_links(tmp_path, doctorqna) == [f"{BASE}3"]


def test_lastmod_forms():
    assert parse_lastmod("2026-11-27T08:00:00+00:00") == datetime(2026, 11, 27, 8, tzinfo=UTC)
    assert parse_lastmod("2018-03-08") == datetime(2018, 3, 8, tzinfo=UTC)
    assert parse_lastmod("not a date") is None
    assert parse_lastmod(None) is None
