"""Output figures: the dataset's Parquet bytes vs the same records as JSON lines, and DuckDB group-by times."""

from __future__ import annotations

import json
import statistics
import time
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow.dataset as ds
import pyarrow.parquet as pq

GROUP_BY = "SELECT specialty, count(*) AS n, avg(length(answer)) AS answer_chars FROM {source} GROUP BY specialty"


def _jsonable(value: Any) -> Any:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    raise TypeError(type(value).__name__)


def parquet_files(dataset: Path) -> list[Path]:
    return sorted((dataset / "records").rglob("*.parquet"))


def write_jsonl(dataset: Path, target: Path) -> int:
    """Every record of the dataset as one JSON object a line (the site column back in, as in the model);
    returns the number of rows."""
    table = ds.dataset(dataset / "records", format="parquet", partitioning="hive").to_table()
    table = table.drop_columns([name for name in ("ask_year",) if name in table.column_names])
    rows = 0
    with target.open("w", encoding="utf-8") as out:
        for batch in table.to_batches(10_000):
            for row in batch.to_pylist():
                out.write(json.dumps(row, ensure_ascii=False, default=_jsonable) + "\n")
                rows += 1
    return rows


def _timed(sql: str, repeats: int) -> float:
    """Median seconds of ``repeats`` runs, each on a fresh connection (no cache carried over)."""
    times = []
    for _ in range(repeats):
        connection = duckdb.connect()
        started = time.perf_counter()
        connection.execute(sql).fetchall()
        times.append(time.perf_counter() - started)
        connection.close()
    return statistics.median(times)


def measure(dataset: Path, work: Path, repeats: int = 5) -> dict[str, Any]:
    files = parquet_files(dataset)
    parquet_bytes = sum(path.stat().st_size for path in files)
    jsonl = work / "records.jsonl"
    rows = write_jsonl(dataset, jsonl)
    jsonl_bytes = jsonl.stat().st_size
    glob = (dataset / "records" / "**" / "*.parquet").as_posix()
    parquet_seconds = _timed(GROUP_BY.format(source=f"read_parquet('{glob}', hive_partitioning=true)"), repeats)
    jsonl_seconds = _timed(GROUP_BY.format(source=f"read_json_auto('{jsonl.as_posix()}')"), repeats)
    row_groups = sum(pq.ParquetFile(path).metadata.num_row_groups for path in files)
    return {
        "records": rows,
        "parquet_files": len(files),
        "parquet_row_groups": row_groups,
        "parquet_bytes": parquet_bytes,
        "jsonl_bytes": jsonl_bytes,
        "parquet_vs_jsonl_bytes": parquet_bytes / jsonl_bytes if jsonl_bytes else None,
        "duckdb_group_by_parquet_s": parquet_seconds,
        "duckdb_group_by_jsonl_s": jsonl_seconds,
        "duckdb_jsonl_vs_parquet_time": jsonl_seconds / parquet_seconds if parquet_seconds else None,
    }
