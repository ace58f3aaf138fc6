"""Compaction keeps the newest version of every record and swaps the dataset in one step."""

from __future__ import annotations

import threading

import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from qacrawler.dataset.compact import compact, exchange_directories
from tests.conftest import run_cli
from tests.test_pipelines import record, write_run


def read(root):
    return ds.dataset(root / "records", format="parquet", partitioning="hive").to_table().to_pylist()


@pytest.fixture
def versioned(tmp_path):
    write_run(tmp_path, [record("1", 2018), record("2", 2019), record("3", 2020)], QA_RUN_ID="20260101T000000Z-aaaaaa")
    edited = record("1", 2018, answer="Hello: an updated answer.")
    edited = edited.model_copy(update={"crawled_at": edited.crawled_at.replace(year=2027)})
    write_run(tmp_path, [edited, record("4", 2018)], QA_RUN_ID="20270101T000000Z-bbbbbb")
    (tmp_path / "runs").mkdir()
    (tmp_path / "runs" / "20260101T000000Z-aaaaaa.json").write_text("{}")
    return tmp_path


def test_compaction_keeps_the_newest_version_of_each_record(versioned):
    assert len(read(versioned)) == 5
    result = compact(versioned)
    rows = {row["record_id"]: row for row in read(versioned)}
    assert sorted(rows) == ["doctorqna:1", "doctorqna:2", "doctorqna:3", "doctorqna:4"]
    assert rows["doctorqna:1"]["answer"] == "Hello: an updated answer."
    assert (result.rows_before, result.rows_after, result.files_before) == (5, 4, 4)
    assert result.files_after == len(list((versioned / "records").rglob("*.parquet"))) == 3  # one per partition
    assert (versioned / "runs" / "20260101T000000Z-aaaaaa.json").exists()
    assert not [path for path in versioned.iterdir() if path.name.startswith(".records")]


def test_a_reader_during_compaction_sees_the_old_or_the_new_dataset(versioned):
    seen, stop = set(), threading.Event()

    def reader():
        while not stop.is_set():
            try:
                seen.add(len(read(versioned)))
            except FileNotFoundError:  # a file listed then removed under a reader: retried, never half a dataset
                continue

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        compact(versioned)
    finally:
        stop.set()
        thread.join()
    assert seen <= {5, 4}


def test_exchange_swaps_two_folders(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "one").write_text("a")
    (tmp_path / "b").mkdir()
    exchange_directories(tmp_path / "a", tmp_path / "b")
    assert (tmp_path / "b" / "one").read_text() == "a"
    assert list((tmp_path / "a").iterdir()) == []


def test_the_command_reports_and_refuses_an_empty_folder(versioned, tmp_path_factory):
    result = run_cli("compact", str(versioned), timeout=60)
    assert result.returncode == 0, result.stderr
    assert "5 rows in 4 files -> 4 rows in 3 files" in result.stdout
    empty = tmp_path_factory.mktemp("empty")
    result = run_cli("compact", str(empty), timeout=60)
    assert result.returncode == 2
    assert "is not a qacrawler dataset" in result.stderr and result.stderr.count("\n") == 1
    assert list(empty.iterdir()) == []  # no .lock left in the refused folder
    (empty / "runs").mkdir()  # a dataset with no records yet
    result = run_cli("compact", str(empty), timeout=60)
    assert result.returncode == 2
    assert "holds no Parquet files" in result.stderr and result.stderr.count("\n") == 1
    assert not (empty / ".lock").exists()


def test_compacting_a_compact_dataset_rewrites_nothing_and_says_so(versioned):
    compact(versioned)
    files = {path: path.stat().st_mtime_ns for path in (versioned / "records").rglob("*.parquet")}
    logs = list((versioned / "runs" / "compactions").glob("*.json"))
    again = compact(versioned)
    assert again.compaction_id is None
    assert (again.rows_before, again.rows_after, again.files_before, again.files_after) == (4, 4, 3, 3)
    assert {path: path.stat().st_mtime_ns for path in (versioned / "records").rglob("*.parquet")} == files
    assert list((versioned / "runs" / "compactions").glob("*.json")) == logs
    result = run_cli("compact", str(versioned), timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("already compact, nothing rewritten (4 rows in 3 files: one file per "
                                          "partition, one row per record_id)")


@pytest.mark.parametrize("change", ["two files in a partition", "two versions in one file", "a file without site"])
def test_a_dataset_is_rewritten_unless_every_partition_is_one_current_file_of_distinct_records(tmp_path, change):
    write_run(tmp_path, [record("1", 2018), record("2", 2019)], QA_RUN_ID="20260101T000000Z-aaaaaa")
    if change == "two files in a partition":
        write_run(tmp_path, [record("3", 2018)], QA_RUN_ID="20260102T000000Z-bbbbbb")
    elif change == "two versions in one file":
        edited = record("1", 2018, answer="Hello: an updated answer.")
        write_run(tmp_path, [edited.model_copy(update={"crawled_at": edited.crawled_at.replace(year=2027)}),
                             record("1", 2018)], QA_RUN_ID="20260102T000000Z-bbbbbb")
        for path in (tmp_path / "records" / "site=doctorqna" / "ask_year=2018").glob("part-20260101*"):
            path.unlink()
    else:
        old = next((tmp_path / "records" / "site=doctorqna" / "ask_year=2019").glob("*.parquet"))
        pq.write_table(pq.read_table(old).drop_columns(["site"]), old)
    result = compact(tmp_path)
    assert result.compaction_id is not None
    assert compact(tmp_path).compaction_id is None
