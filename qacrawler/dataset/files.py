"""The on-disk layout of a dataset and the one way files enter it: written hidden, renamed when complete."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

if TYPE_CHECKING:
    import pyarrow.dataset as ds

RECORDS = "records"
REJECTS = "rejects"
UNCHANGED = "unchanged"  # articles fetched again whose content the dataset already held (records.UnchangedFetch)
# Columns added to the models after the first release: files written before lack them, and read them as nulls.
ADDED_COLUMNS = ("source_lastmod", "answers", "kind", "warc_file", "warc_offset", "warc_length")
RUNS = "runs"
LOCK_FILE = ".lock"
NULL_PARTITION = "__HIVE_DEFAULT_PARTITION__"  # what Hive, pyarrow and DuckDB read as null
COMPRESSION = "zstd"
# The partition values are in the folder names (Hive: DuckDB, polars and pyarrow prune by them) and, after 0.2.0,
# inside the files too, so readers of files alone (Hugging Face `datasets`) get them. The file columns have the
# types Hive inference gives without dictionaries (string, int32): pyarrow.dataset, DuckDB and polars read both
# as one column; pyarrow.parquet.read_table and pandas infer dictionaries unless given a partitioning (README).
ASK_YEAR = pa.field("ask_year", pa.int32())


def record_file_schema(schema: pa.Schema) -> pa.Schema:
    """The columns of a record file: the record model's, then ask_year (the year of ask_date)."""
    return schema.append(ASK_YEAR)


def partition_dir(records_dir: Path, site: str, ask_year: int | None) -> Path:
    return records_dir / f"site={site}" / f"ask_year={NULL_PARTITION if ask_year is None else ask_year}"


def hidden_temp_name(final: Path) -> Path:
    """A leading dot hides the file from pyarrow, DuckDB's and polars' globs of *.parquet while it is written."""
    return final.with_name(f".{final.name}.tmp")


class AtomicParquetFile:
    """A Parquet file readers see complete or not at all, even after a SIGKILL: written under a hidden
    temporary name, fsynced, then renamed."""

    def __init__(self, final: Path, schema: pa.Schema):
        final.parent.mkdir(parents=True, exist_ok=True)
        self.final = final
        self.temp = hidden_temp_name(final)
        self.writer = pq.ParquetWriter(self.temp, schema, compression=COMPRESSION)

    def write(self, table: pa.Table) -> None:
        self.writer.write_table(table)

    def commit(self) -> Path:
        self.writer.close()
        with open(self.temp, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(self.temp, self.final)
        directory = os.open(self.final.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
        return self.final

    def abort(self) -> None:
        self.writer.close()
        self.temp.unlink(missing_ok=True)

    def __enter__(self) -> AtomicParquetFile:
        return self

    def __exit__(self, exc_type: object, *_: object) -> None:
        if exc_type is None:
            self.commit()
        else:
            self.abort()


def write_table(final: Path, table: pa.Table) -> Path:
    with AtomicParquetFile(final, table.schema) as file:
        file.write(table)
    return final


def records_dataset(root: Path) -> ds.Dataset | None:
    """The records as one pyarrow dataset (hive partitions), or None when there are none yet."""
    import pyarrow.dataset as ds  # here, not at the top: see read_columns

    directory = root / RECORDS
    if not directory.exists() or not any(directory.rglob("*.parquet")):
        return None
    return ds.dataset(directory, format="parquet", partitioning="hive")


class CorruptFile(RuntimeError):
    """A Parquet file of the dataset cannot be read; the message names it and the command that moves it aside."""

    def __init__(self, path: Path, reason: str, root: Path | None = None):
        self.path, self.reason = path, reason
        root = root if root is not None else dataset_root_of(path)
        super().__init__(f"{path}: {reason}; run `qacrawler check {root} --quarantine` to move bad files aside")


def dataset_root_of(path: Path) -> Path:
    """The dataset folder holding a file of its records/, rejects/ or unchanged/ tree."""
    for parent in path.parents:
        if parent.name in (RECORDS, REJECTS, UNCHANGED):
            return parent.parent
    return path.parent


def read_file_columns(path: Path, columns: list[str]) -> pa.Table:
    """The columns of one file. pyarrow would silently leave out a column the file lacks: this refuses it,
    unless the column was added to the model after the file could have been written (then nulls)."""
    try:
        parquet = pq.ParquetFile(path)
        present = set(parquet.schema_arrow.names)
        if missing := [name for name in columns if name not in present and name not in ADDED_COLUMNS]:
            raise CorruptFile(path, f"not a qacrawler file: no column {', '.join(missing)}")
        table = parquet.read(columns=[name for name in columns if name in present])
    except (pa.ArrowException, OSError) as error:
        first_line = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise CorruptFile(path, f"unreadable: {first_line}") from error
    for name in columns:
        if name not in present:
            table = table.append_column(name, pa.nulls(table.num_rows))
    return table.select(columns)


def read_columns(directory: Path, pattern: str, columns: list[str]) -> pa.Table | None:
    """Some columns of the finished files matching ``pattern`` under ``directory``; None when there are none.

    Read file by file with pyarrow.parquet's own reader: the crawler reads what the dataset holds with this,
    not with pyarrow.dataset, which imports pandas when it is installed (45 MB more in every crawl process).
    """
    files = sorted(directory.glob(pattern)) if directory.exists() else []
    tables = [read_file_columns(path, columns) for path in files]
    return pa.concat_tables(tables, promote_options="default") if tables else None


def site_records(root: Path, site: str, columns: list[str]) -> pa.Table | None:
    """Columns of one site's records (every version), from the files of its partition folders."""
    return read_columns(root / RECORDS / f"site={site}", "ask_year=*/*.parquet", columns)


def rejects_of(root: Path, site: str) -> list[dict]:
    table = read_columns(root / REJECTS, "*.parquet", ["url", "site", "stage", "crawled_at", "source_lastmod"])
    return [] if table is None else [row for row in table.to_pylist() if row["site"] == site]


def unchanged_fetches_of(root: Path, site: str) -> list[dict]:
    table = read_columns(root / UNCHANGED, "*.parquet", ["record_id", "site", "source_lastmod", "crawled_at"])
    return [] if table is None else [row for row in table.to_pylist() if row["site"] == site]


def run_files(root: Path, run_id: str) -> list[Path]:
    """The finished files a run wrote, found on disk rather than remembered."""
    return sorted(
        path
        for directory in (root / RECORDS, root / REJECTS, root / UNCHANGED)
        if directory.exists()
        for path in directory.rglob(f"part-{run_id}*.parquet")
    )


class DatasetLocked(RuntimeError):
    """Another run holds the dataset's lock."""


def take_lock(handle: IO[str], root: Path, mode: int) -> None:
    """flock ``mode`` (LOCK_EX or LOCK_SH) on the open lock file without waiting; DatasetLocked names the
    holder when another run has it."""
    try:
        fcntl.flock(handle, mode | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        holder = handle.read().strip() or "unknown"
        raise DatasetLocked(f"{root} is being written by another run ({holder}); try again when it ends") from None


@contextmanager
def dataset_lock(root: Path) -> Iterator[None]:
    """One writer per dataset. flock is released by the kernel when its holder dies, even by SIGKILL."""
    root.mkdir(parents=True, exist_ok=True)
    handle = open(root / LOCK_FILE, "a+", encoding="utf-8")  # noqa: SIM115 - held for the whole run
    try:
        take_lock(handle, root, fcntl.LOCK_EX)
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}")
        handle.flush()
        yield
    finally:
        handle.close()


def remove_leftovers(root: Path) -> list[Path]:
    """Removes the hidden temporary files and compaction folders a killed run left behind; returns them.

    Only names this package writes under a hidden temporary name (`.<name>.tmp`, `.records-compact-<id>`),
    only in the dataset's own folders, and only for a caller holding dataset_lock: a running writer holds
    the lock, so its files are never touched.
    """
    found = [path for path in root.glob(f".{RECORDS}-compact-*") if path.is_dir()]
    found += [path for path in root.glob(".*.tmp") if path.is_file()]
    for directory in (RECORDS, REJECTS, UNCHANGED, RUNS):
        if (root / directory).is_dir():
            found += [path for path in (root / directory).rglob(".*.tmp") if path.is_file()]
    for path in found:
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)
    return sorted(found)


def run_manifests(root: Path) -> list[dict]:
    """Past runs' manifests, oldest first (run ids sort by start time)."""
    return [json.loads(path.read_text("utf-8")) for path in sorted((root / RUNS).glob("*.json"))]


def latest_versions(table: pa.Table) -> pa.Table:
    """The newest row (by crawled_at) of every record_id; of rows fetched at the same moment (a re-parse keeps
    the fetch's crawled_at) the one written last, as the files are read in the order they were written."""
    newest_first = table.take(pa.array(range(table.num_rows - 1, -1, -1), pa.int64()))
    ordered = newest_first.sort_by([("record_id", "ascending"), ("crawled_at", "descending")])  # a stable sort
    ids = ordered.column("record_id")
    if len(ids) < 2:
        return ordered
    first_of_id = pa.concat_arrays([pa.array([True]), pc.not_equal(ids[1:], ids[:-1]).combine_chunks()])
    return ordered.filter(first_of_id)
