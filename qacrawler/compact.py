"""`qacrawler compact DIR`: one row per record_id (its newest version) in one file per partition.

The new records tree is built beside the old one and swapped in with one atomic exchange of the two
directories (Linux renameat2 RENAME_EXCHANGE), so a reader sees the old dataset or the new one, never
a mix. Run manifests and rejects stay as they are.
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

import pyarrow as pa
import pyarrow.compute as pc

from qacrawler.dataset_files import (
    RECORDS,
    RUNS,
    dataset_lock,
    partition_dir,
    record_file_schema,
    records_dataset,
    write_table,
)
from qacrawler.dataset_check import ensure_readable
from qacrawler.records import QARecord
from qacrawler.run import new_run_id
from qacrawler.schema import arrow_schema

_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


@dataclass(frozen=True)
class Compaction:
    compaction_id: str
    rows_before: int
    rows_after: int
    files_before: int
    files_after: int


def latest_versions(table: pa.Table) -> pa.Table:
    """The newest row (by crawled_at) of every record_id."""
    ordered = table.sort_by([("record_id", "ascending"), ("crawled_at", "descending")])
    ids = ordered.column("record_id")
    if len(ids) < 2:
        return ordered
    first_of_id = pa.concat_arrays([pa.array([True]), pc.not_equal(ids[1:], ids[:-1]).combine_chunks()])
    return ordered.filter(first_of_id)


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
        table = dataset.to_table()
        latest = latest_versions(table)
        compaction_id = f"compact-{new_run_id()}"
        staging = root / f".{RECORDS}-{compaction_id}"
        file_schema = record_file_schema(arrow_schema(QARecord))
        files_after = 0
        for (site, year), rows in _partitions(latest):
            write_table(partition_dir(staging, site, year) / f"part-{compaction_id}-{files_after:05d}.parquet", rows.select(file_schema.names).cast(file_schema))
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
                       pc.is_null(table.column("ask_year")) if year is None else pc.equal(table.column("ask_year"), year))
        partitions.append(((site, year), table.filter(mask)))
    return partitions
