"""Finding the Parquet files of a dataset that readers cannot use, and moving them aside.

One bad file (a disk that filled up, a copy cut short, a stray file) would otherwise make every later
crawl, report, compaction and export fail with an Arrow error that does not say which file. Readers call
ensure_readable() first: it reads each file's footer (a few KB) and checks its columns, and raises one
error naming the file and the fix. `qacrawler check` also reads every row group.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from qacrawler.crawl.run import new_run_id
from qacrawler.dataset.files import RECORDS, REJECTS, UNCHANGED, CorruptFile, dataset_lock, record_file_schema
from qacrawler.dataset.schema import arrow_schema
from qacrawler.page.records import QARecord, Reject, UnchangedFetch

QUARANTINE = "quarantine"  # outside records/, rejects/ and unchanged/, so no reader's glob finds what is moved here
# The columns readers rely on: without them a file cannot be deduplicated, ordered or listed.
_KEY_COLUMNS = {RECORDS: ("record_id", "content_hash", "crawled_at"), REJECTS: ("url", "site", "stage"),
                UNCHANGED: ("record_id", "site", "crawled_at")}


@dataclass(frozen=True)
class BadFile:
    path: Path
    reason: str


@cache
def _expected(tree: str) -> pa.Schema:
    if tree == RECORDS:
        return record_file_schema(arrow_schema(QARecord))
    return arrow_schema(Reject if tree == REJECTS else UnchangedFetch)


def parquet_files(root: Path) -> list[tuple[str, Path]]:
    """(tree, path) of every finished file readers open: records/**/*.parquet, rejects/ and unchanged/*.parquet."""
    records = root / RECORDS
    found = [(RECORDS, path) for path in sorted(records.rglob("*.parquet"))] if records.is_dir() else []
    for tree in (REJECTS, UNCHANGED):
        if (root / tree).is_dir():
            found += [(tree, path) for path in sorted((root / tree).glob("*.parquet"))]
    return [(tree, path) for tree, path in found if path.is_file()]


def schema_problem(tree: str, schema: pa.Schema) -> str | None:
    """Why a file's columns do not fit the dataset (a key column missing, a column of another type), or None.

    Columns the model does not know, or model columns the file lacks, are allowed: files of another
    qacrawler version differ that way, and readers combine them by name.
    """
    expected = _expected(tree)
    missing = [name for name in _KEY_COLUMNS[tree] if name not in schema.names]
    if missing:
        return f"not a qacrawler {tree} file: no column {', '.join(missing)}"
    for field in schema:
        if field.name in expected.names and not field.type.equals(expected.field(field.name).type):
            return f"column {field.name} is {field.type}, expected {expected.field(field.name).type}"
    return None


def file_problem(tree: str, path: Path, *, deep: bool) -> str | None:
    """What is wrong with one file, or None: its footer and columns, and with deep=True every row group."""
    try:
        if path.stat().st_size == 0:
            return "empty file (0 bytes)"
        parquet = pq.ParquetFile(path)
        problem = schema_problem(tree, parquet.schema_arrow)
        if problem is None and deep:
            for index in range(parquet.num_row_groups):
                parquet.read_row_group(index)
        return problem
    except (pa.ArrowException, OSError) as error:
        return f"unreadable: {str(error).splitlines()[0] if str(error) else type(error).__name__}"


def bad_files(root: Path, *, deep: bool = False) -> list[BadFile]:
    return [BadFile(path, problem) for tree, path in parquet_files(root)
            if (problem := file_problem(tree, path, deep=deep)) is not None]


def ensure_readable(root: Path) -> None:
    """Raises CorruptFile naming the first file whose footer or columns are bad (footers only: cheap)."""
    for bad in bad_files(root):
        raise CorruptFile(bad.path, bad.reason, root)


def quarantine(root: Path, bad: list[BadFile]) -> Path:
    """Moves the bad files to <root>/quarantine/<their path in the dataset>, under the dataset's lock, and
    writes what it moved and why to quarantine/<id>.json; returns that file."""
    with dataset_lock(root):
        moved = []
        for item in bad:
            relative = item.path.relative_to(root)
            target = root / QUARANTINE / relative
            while target.exists():  # a file of the same name quarantined earlier stays too
                target = target.with_name(target.name + ".again")
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(item.path, target)
            moved.append({"file": str(relative), "moved_to": str(target.relative_to(root)), "reason": item.reason})
        log = root / QUARANTINE / f"quarantine-{new_run_id()}.json"
        log.parent.mkdir(parents=True, exist_ok=True)
        log.write_text(json.dumps({"quarantined_at": datetime.now(UTC).isoformat(), "files": moved}, indent=2,
                                  ensure_ascii=False) + "\n", encoding="utf-8")
        return log
