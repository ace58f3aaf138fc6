"""What the dataset tells the next run: which articles to skip, refetch, or fetch for the first time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyarrow.parquet as pq
import pytest

from qacrawler.crawl.dataset_index import DatasetIndex, version_key
from qacrawler.crawl.lastmod import Lastmod, refetch_reason
from qacrawler.page.records import Reject, UnchangedFetch
from qacrawler.page.sites.doctorqna import DECLARATION as DOCTORQNA
from tests.test_pipelines import NOW, record, write_run

BASE = "https://doctorqna.com/en/article/"


def similar(number: int) -> dict:
    return {"url": f"{BASE}{number}", "title": f"question {number}"}


def test_stored_versions_know_records_unanswered_ones_and_parse_rejects(tmp_path):
    reject = Reject(url=f"{BASE}7", site="doctorqna", stage="parse", reasons=["no asker line"], crawled_at=NOW)
    fetch_failure = reject.model_copy(update={"url": f"{BASE}8", "stage": "fetch"})
    write_run(tmp_path, [record("1"), record("2", answer=None), reject, fetch_failure])
    stored = DatasetIndex.read(tmp_path, DOCTORQNA).stored
    assert stored["doctorqna:1"].answered and not stored["doctorqna:1"].rejected
    assert not stored["doctorqna:2"].answered
    assert stored["doctorqna:7"].rejected
    assert "doctorqna:8" not in stored  # a network failure says nothing about the page


def test_links_to_pages_the_dataset_lacks_are_fetched_next_time(tmp_path):
    reject = Reject(url=f"{BASE}4", site="doctorqna", stage="validate", reasons=["answer: missing"], crawled_at=NOW)
    write_run(tmp_path, [record("1", similar_questions=[similar(2), similar(3), similar(4)]), record("2"), reject])
    index = DatasetIndex.read(tmp_path, DOCTORQNA)
    assert index.unfetched_links == [f"{BASE}3"]
    assert index.versions == {version_key(row.record_id, row.content_hash) for row in (record("1"), record("2"))}


def test_stored_versions_keep_the_lastmod_seen_and_later_unchanged_fetches(tmp_path):
    later = NOW + timedelta(days=2)
    write_run(tmp_path, [
        record("1", source_lastmod="2018-03-08"),
        record("2"),
        UnchangedFetch(record_id="doctorqna:1", site="doctorqna", source_lastmod="2026-11-29", crawled_at=later),
        UnchangedFetch(record_id="doctorqna:2", site="doctorqna", source_lastmod=None, crawled_at=NOW - timedelta(1)),
    ])
    stored = DatasetIndex.read(tmp_path, DOCTORQNA).stored
    assert (stored["doctorqna:1"].crawled_at, stored["doctorqna:1"].source_lastmod) == (later, "2026-11-29")
    assert (stored["doctorqna:2"].crawled_at, stored["doctorqna:2"].source_lastmod) == (NOW, None)  # older check


def test_files_written_before_source_lastmod_existed_read_as_unknown(tmp_path):
    write_run(tmp_path, [record("1")])
    path = next((tmp_path / "records").rglob("*.parquet"))
    table = pq.read_table(path)
    pq.write_table(table.drop_columns(["source_lastmod"]), path)  # a 0.1.0 file
    assert DatasetIndex.read(tmp_path, DOCTORQNA).stored["doctorqna:1"].source_lastmod is None


@pytest.mark.parametrize(("text", "earliest", "latest"), [
    ("2026-11-27T08:00:00+00:00", datetime(2026, 11, 27, 8, tzinfo=UTC), datetime(2026, 11, 27, 8, 0, 1, tzinfo=UTC)),
    ("2026-11-27T16:00:00+08:00", datetime(2026, 11, 27, 8, tzinfo=UTC), datetime(2026, 11, 27, 8, 0, 1, tzinfo=UTC)),
    ("2026-11-27T08:00Z", datetime(2026, 11, 27, 8, tzinfo=UTC), datetime(2026, 11, 27, 8, 1, tzinfo=UTC)),
    ("2026-11-27T08:00:00.5Z", datetime(2026, 11, 27, 8, 0, 0, 500000, tzinfo=UTC),
     datetime(2026, 11, 27, 8, 0, 0, 600000, tzinfo=UTC)),
    # no offset: anywhere from UTC+14 to UTC-12
    ("2026-11-27", datetime(2026, 11, 26, 10, tzinfo=UTC), datetime(2026, 11, 28, 12, tzinfo=UTC)),
    ("2026-11-27T08:00:00", datetime(2026, 11, 26, 18, tzinfo=UTC), datetime(2026, 11, 27, 20, 0, 1, tzinfo=UTC)),
    ("2026-11", datetime(2026, 10, 31, 10, tzinfo=UTC), datetime(2026, 12, 1, 12, tzinfo=UTC)),
    ("2026", datetime(2025, 12, 31, 10, tzinfo=UTC), datetime(2027, 1, 1, 12, tzinfo=UTC)),
], ids=lambda value: value if isinstance(value, str) else None)
def test_a_lastmod_is_the_span_its_precision_and_offset_allow(text, earliest, latest):
    assert Lastmod.parse(text) == Lastmod(earliest, latest)


@pytest.mark.parametrize("text", [None, "", "not a date", "27/11/2026", "2026-13-01", "0001-01-01"])
def test_what_is_not_a_lastmod(text):
    assert Lastmod.parse(text) is None


HOUR = timedelta(hours=1)
MORNING = datetime(2026, 11, 27, 9, tzinfo=UTC)


@pytest.mark.parametrize(("lastmod", "stored", "checked_at", "reason"), [
    ("2026-11-27T14:00:00Z", "2026-11-27T08:59:00Z", MORNING, "changed"),  # edited after our fetch
    ("2026-11-27T08:50:00Z", "2018-03-08", MORNING, "changed"),  # the site's clock 10 min behind ours
    ("2026-11-27T08:00:00+00:00", "2026-11-27T08:00:00Z", MORNING + 2 * HOUR, None),  # the same instant
    ("2018-03-08", "2018-03-08", MORNING, None),  # unchanged, long ago
    ("2026-11-27", "2018-03-08", MORNING, "changed"),  # date only: edited today
    # date only, the same day as our fetch: an afternoon edit keeps the value, so fetch again until a fetch
    # falls after the day is over everywhere
    ("2026-11-27", "2026-11-27", MORNING, "within_precision"),
    ("2026-11-27", "2026-11-27", datetime(2026, 11, 28, 13, tzinfo=UTC), None),
    # nothing stored (found by a link, or a dataset written before 0.2.0): our clock, at the value's precision
    ("2026-11-27", None, MORNING, "within_precision"),
    ("2026-11-25", None, MORNING, None),
    ("2026-11-27T08:30:00Z", None, MORNING, "within_precision"),  # within the clock-skew tolerance
    ("2026-11-27T07:30:00Z", None, MORNING, None),
    (None, "2026-11-27", MORNING, None),  # no lastmod now: nothing says it changed
    ("soon", "later", MORNING, "changed"),  # values that are not dates, compared as written
    ("soon", "soon", MORNING, None),
])
def test_refetch_compares_the_sites_values_then_its_precision(lastmod, stored, checked_at, reason):
    assert refetch_reason(lastmod, stored, checked_at, tolerance=HOUR) == reason
