"""A bad Parquet file in a dataset is named with the fix, and `qacrawler check` finds it and moves it aside."""

from __future__ import annotations

import json
import random

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from qacrawler import dataset
from qacrawler.crawl.dataset_index import DatasetIndex
from qacrawler.dataset.check import bad_files
from qacrawler.dataset.files import CorruptFile, rejects_of
from qacrawler.page.records import Reject
from qacrawler.page.sites.doctorqna import DECLARATION as DOCTORQNA
from tests.conftest import run_cli
from tests.test_pipelines import NOW, record, write_run


def truncate(path):
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def empty(path):
    path.write_bytes(b"")


def random_bytes(path):
    path.write_bytes(random.Random(3).randbytes(4096))


def wrong_schema(path):
    pq.write_table(pa.table({"question": [1, 2]}), path)


def wrong_type(path):
    pq.write_table(pa.table({"record_id": [1], "content_hash": ["x"], "crawled_at": [NOW]}), path)


DAMAGE = {"truncated": (truncate, "unreadable"), "zero_bytes": (empty, "empty file (0 bytes)"),
          "random_bytes": (random_bytes, "unreadable"), "wrong_schema": (wrong_schema, "no column record_id"),
          "wrong_type": (wrong_type, "column record_id is int64, expected string")}


@pytest.fixture
def stored(tmp_path):
    """A dataset of two record files and a rejects file; the test damages one of the record files."""
    reject = Reject(url="https://doctorqna.com/en/article/9", site="doctorqna", stage="parse", reasons=["no title"],
                    crawled_at=NOW)
    write_run(tmp_path, [record("1", 2018), record("2", 2019), reject], QA_RUN_ID="20260101T000000Z-aaaaaa")
    return tmp_path


def record_file(root, year):
    return next((root / "records" / "site=doctorqna" / f"ask_year={year}").glob("*.parquet"))


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_readers_name_the_bad_file_and_the_fix(stored, damage):
    harm, reason = DAMAGE[damage]
    bad = record_file(stored, 2019)
    harm(bad)
    readers = [lambda: dataset.latest(stored), lambda: dataset.to_duckdb(stored), lambda: dataset.open_dataset(stored)]
    if damage != "wrong_type":  # the crawl's own reader takes the columns it needs by name
        readers.append(lambda: DatasetIndex.read(stored, DOCTORQNA))
    for read in readers:
        with pytest.raises(CorruptFile) as raised:
            read()
        message = str(raised.value)
        assert message.startswith(f"{bad}: ")
        assert f"run `qacrawler check {stored} --quarantine`" in message
        assert "\n" not in message
    assert [(item.path, reason in item.reason) for item in bad_files(stored, deep=True)] == [(bad, True)]


def test_a_bad_rejects_file_is_named_too(stored):
    rejects_file = next((stored / "rejects").glob("*.parquet"))
    truncate(rejects_file)
    with pytest.raises(CorruptFile, match="rejects/part-20260101T000000Z-aaaaaa.parquet: unreadable"):
        rejects_of(stored, "doctorqna")
    assert [item.path for item in bad_files(stored)] == [rejects_file]


def test_the_deep_check_reads_every_row_group(stored):
    path = record_file(stored, 2018)
    data = bytearray(path.read_bytes())
    footer_length = int.from_bytes(data[-8:-4], "little")
    for offset in range(4, len(data) - footer_length - 8):  # scramble the column chunks, keep the footer
        data[offset] ^= 0x5A
    path.write_bytes(bytes(data))
    assert bad_files(stored) == []  # footer and columns are fine: readers' quick check lets it through
    [found] = bad_files(stored, deep=True)
    assert found.path == path and found.reason.startswith("unreadable")


def test_check_lists_bad_files_and_quarantine_moves_them_out_of_the_readers_way(stored):
    truncate(record_file(stored, 2019))
    empty(stored / "records" / "site=doctorqna" / "ask_year=2019" / "part-stray.parquet")
    result = run_cli("check", str(stored), timeout=60)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert len(lines) == 3 and lines[-1] == f"{stored}: 2 files good, 2 bad"
    assert "part-stray.parquet: empty file (0 bytes)" in result.stdout

    export = run_cli("export", str(stored), "--format", "csv", timeout=60)
    assert export.returncode == 2 and export.stderr.count("\n") == 1 and "Traceback" not in export.stderr
    assert "--quarantine" in export.stderr

    moved = run_cli("check", str(stored), "--quarantine", timeout=60)
    assert moved.returncode == 1  # the dataset lost files: a scheduler should hear about it
    [log] = (stored / "quarantine").glob("quarantine-*.json")
    entries = json.loads(log.read_text())["files"]
    assert sorted(entry["moved_to"] for entry in entries) == [
        "quarantine/records/site=doctorqna/ask_year=2019/part-20260101T000000Z-aaaaaa-00001.parquet",
        "quarantine/records/site=doctorqna/ask_year=2019/part-stray.parquet"]
    assert all((stored / entry["moved_to"]).exists() for entry in entries)

    again = run_cli("check", str(stored), timeout=60)
    assert (again.returncode, again.stdout.strip()) == (0, f"{stored}: 2 files good, 0 bad")
    assert [row["record_id"] for row in dataset.latest(stored).to_pylist()] == ["doctorqna:1"]


def test_a_crawl_into_a_dataset_with_a_bad_file_stops_with_one_line(stored):
    truncate(record_file(stored, 2018))
    result = run_cli("crawl", "doctorqna", "--base-url", "http://127.0.0.1:9", "--out", str(stored), timeout=60)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "qacrawler check" in result.stderr and "Traceback" not in result.stderr
    assert len(list((stored / "runs").glob("*.json"))) == 0
