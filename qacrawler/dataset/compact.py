"""`qacrawler compact DIR`: one row per record_id (its newest version) in one file per partition; and the
merge of a partition's small files that every crawl runs, which keeps every row.

The new records tree is built beside the old one and swapped in with one atomic exchange of the two
directories (Linux renameat2 RENAME_EXCHANGE), so a reader sees the old dataset or the new one, never
a mix. Run manifests and rejects stay as they are. A merge swaps one partition folder the same way.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import json
import os
import shutil
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from qacrawler.crawl.run import new_run_id
from qacrawler.dataset.check import ensure_readable
from qacrawler.dataset.files import (
    NULL_PARTITION,
    RECORDS,
    RUNS,
    dataset_lock,
    latest_versions,
    partition_dir,
    record_file_schema,
    records_dataset,
    write_table,
)
from qacrawler.dataset.schema import arrow_schema
from qacrawler.page.records import QARecord
from qacrawler.page.sites.build import single_answer

_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


@dataclass(frozen=True)
class Compaction:
    compaction_id: str | None  # None: the dataset was already compact and nothing was rewritten
    rows_before: int
    rows_after: int
    files_before: int
    files_after: int


def exchange_directories(first: Path, second: Path) -> None:
    """Atomically swap two directories; where renameat2 is missing, two renames (a moment with neither)."""
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is not None:
        if renameat2(_AT_FDCWD, os.fsencode(first), _AT_FDCWD, os.fsencode(second), _RENAME_EXCHANGE) == 0:
            return
        error = ctypes.get_errno()
        if error not in (22, 38, 95):  # EINVAL, ENOSYS, EOPNOTSUPP: the file system cannot exchange
            raise OSError(error, os.strerror(error), str(first))
    parked = first.with_name(f".{first.name}-parked")
    os.rename(first, parked)
    os.rename(second, first)
    os.rename(parked, second)


def compact(root: Path) -> Compaction:
    if not (root / RECORDS).is_dir():  # refused before the lock, which would leave its file in a foreign folder
        raise FileNotFoundError(f"{root / RECORDS} holds no Parquet files to compact")
    with dataset_lock(root):
        ensure_readable(root)
        dataset = records_dataset(root)
        if dataset is None:
            raise FileNotFoundError(f"{root / RECORDS} holds no Parquet files to compact")
        files_before = len(dataset.files)
        if (rows := _rows_if_compact(root, dataset.files)) is not None:
            return Compaction(None, rows, rows, files_before, files_before)
        file_schema = record_file_schema(arrow_schema(QARecord))
        table = pa.concat_tables([_current_columns(pq.read_table(file), *_partition_of(root, Path(file)), file_schema)
                                  for file in dataset.files])
        latest = latest_versions(table)
        compaction_id = f"compact-{new_run_id()}"
        staging = root / f".{RECORDS}-{compaction_id}"
        files_after = 0
        for (site, year), rows in _partitions(latest):
            write_table(partition_dir(staging, site, year) / f"part-{compaction_id}-{files_after:05d}.parquet",
                        rows.select(file_schema.names).cast(file_schema))
            files_after += 1
        exchange_directories(root / RECORDS, staging)
        shutil.rmtree(staging)  # now the old tree
        result = Compaction(compaction_id, table.num_rows, latest.num_rows, files_before, files_after)
        log = root / RUNS / "compactions" / f"{compaction_id}.json"
        log.parent.mkdir(parents=True, exist_ok=True)
        log.write_text(json.dumps({**asdict(result), "finished_at": datetime.now(UTC).isoformat()}, indent=2) + "\n")
        return result


def _partitions(table: pa.Table) -> list[tuple[tuple[str, int | None], pa.Table]]:
    keys = sorted({(site, year) for site, year in zip(table.column("site").to_pylist(),
                                                      table.column("ask_year").to_pylist(), strict=True)},
                  key=lambda key: (key[0], key[1] if key[1] is not None else -1))
    partitions = []
    for site, year in keys:
        mask = pc.and_(pc.equal(table.column("site"), site),
                       pc.is_null(table.column("ask_year")) if year is None
                       else pc.equal(table.column("ask_year"), year))
        partitions.append(((site, year), table.filter(mask)))
    return partitions


def _rows_if_compact(root: Path, files: list[str]) -> int | None:
    """The row count when compacting would change nothing, else None: one file per partition, each with the
    current columns and one row per record_id. Reads footers and the record_id column only."""
    file_schema = record_file_schema(arrow_schema(QARecord))
    partitions = [Path(file).parent for file in files]
    if len(set(partitions)) != len(partitions):
        return None
    rows = 0
    for file in files:
        parquet = pq.ParquetFile(file)
        if not parquet.schema_arrow.equals(file_schema):
            return None
        ids = parquet.read(columns=["record_id"]).column("record_id")
        if pc.count_distinct(ids).as_py() != len(ids):
            return None
        rows += len(ids)
    return rows


@dataclass(frozen=True)
class Merge:
    partition: str  # site=<site>/ask_year=<yyyy>
    files_merged: int
    rows: int
    merged_into: str


def merge_small_files(root: Path, partitions: list[Path], max_files: int, full_rows: int) -> list[Merge]:
    """Merges the small files of each partition folder holding more than `max_files` files into one file,
    keeping every row (every version: unlike compact(), nothing is dropped).

    A file of at least `full_rows` rows (a full write batch) is left as it is, so a partition of a large
    dataset is not rewritten again and again: its folder holds its full files plus at most `max_files` small
    ones. The new folder is built beside the records tree (hard links to the files kept, the merged file
    written hidden then renamed) and exchanged with the old one in one step. The caller holds dataset_lock.
    """
    merges = []
    file_schema = record_file_schema(arrow_schema(QARecord))
    for folder in partitions:
        files = sorted(folder.glob("*.parquet"))
        if len(files) <= max_files:
            continue
        small = [file for file in files if pq.ParquetFile(file).metadata.num_rows < full_rows]
        if len(small) < 2:
            continue
        merge_id = f"merge-{new_run_id()}"
        # a killed merge's folder is a leftover remove_leftovers knows
        staging = root / f".{RECORDS}-compact-{merge_id}"
        relative = folder.relative_to(root / RECORDS)
        target = staging / relative
        target.mkdir(parents=True)
        for file in files:
            if file not in small:
                os.link(file, target / file.name)
        table = pa.concat_tables([_current_columns(pq.read_table(file), *_partition_of(root, file), file_schema)
                                  for file in small])
        merged = write_table(target / f"part-{merge_id}.parquet", table)
        exchange_directories(folder, target)
        shutil.rmtree(staging)  # now the old folder
        merges.append(Merge(relative.as_posix(), len(small), table.num_rows, merged.name))
    return merges


def _partition_of(root: Path, file: Path) -> tuple[str, str]:
    """(site, ask_year folder value) of a record file, from its folder names."""
    site, year = (part.split("=", 1)[1] for part in file.parent.relative_to(root / RECORDS).parts)
    return site, year


def _current_columns(table: pa.Table, site: str, year: str, file_schema: pa.Schema) -> pa.Table:
    """A file's rows under the current file schema: site and ask_year from its folder, and for a file written
    before 0.3.0 `kind` `question` and its one reply in `answers` (as the parser now gives a one-reply site's
    record); other columns it lacks as nulls."""
    values = {"site": site, "ask_year": None if year == NULL_PARTITION else int(year), "kind": "question"}
    for field in file_schema:
        if field.name not in table.column_names:
            if field.name == "answers":
                column = pa.array(_replies_before_answers(table), field.type)
            else:
                column = pa.array([values.get(field.name)] * table.num_rows, field.type)
            table = table.append_column(field, column)
    return table.select(file_schema.names).cast(file_schema)


def _replies_before_answers(table: pa.Table) -> list[list[dict[str, Any]]]:
    rows = table.select(["answer", "doctor", "reply_date"]).to_pylist()
    return [single_answer(row) for row in rows]
