"""Writes records and rejects as Parquet under the model's Arrow schema, in bounded batches.

Records are buffered up to QA_PARQUET_BATCH_ROWS, then written as one finished file per hive
partition (site, ask_year), so memory stays flat and a crash loses at most the unwritten batch.
The buffer holds Arrow tables, not Python rows: every QA_PARQUET_CHUNK_ROWS records are converted,
which keeps a batch at less than half the memory of its dicts and spreads the conversion out.
site and ask_year are both folder names and columns (see qacrawler.dataset.files.partition_dir).
Rejects and unchanged fetches go to one file per run each, appended row group by row group and renamed
at the end. At the end of a run, a partition it wrote to that holds more than QA_COMPACT_FILES_PER_PARTITION
files has its small files merged into one, every row kept (compact.merge_small_files), so daily runs do
not leave thousands of tiny files.
"""

from __future__ import annotations

import itertools
import logging
from collections import defaultdict
from pathlib import Path
from typing import Any

import pyarrow as pa
from scrapy.crawler import Crawler

from qacrawler.crawl.distributed import file_tag
from qacrawler.crawl.memory import release_free_memory
from qacrawler.crawl.run import output_dir, run_id
from qacrawler.dataset.compact import merge_small_files
from qacrawler.dataset.files import (
    RECORDS,
    REJECTS,
    UNCHANGED,
    AtomicParquetFile,
    partition_dir,
    record_file_schema,
    write_table,
)
from qacrawler.dataset.schema import arrow_schema
from qacrawler.page.records import QARecord, Reject, UnchangedFetch

logger = logging.getLogger(__name__)


class ParquetWriterPipeline:
    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.stats = crawler.stats
        self.batch_rows = crawler.settings.getint("QA_PARQUET_BATCH_ROWS")
        self.chunk_rows = max(1, min(self.batch_rows, crawler.settings.getint("QA_PARQUET_CHUNK_ROWS", 500)))
        self.records: list[dict[str, Any]] = []  # rows not yet converted to Arrow
        self.converted: dict[tuple[str, int | None], list[pa.Table]] = defaultdict(list)  # per partition
        self.converted_rows = 0
        self.schema = record_file_schema(arrow_schema(QARecord))
        self.part_numbers = itertools.count()
        self.partitions_written: set[Path] = set()
        self.max_files_per_partition = crawler.settings.getint("QA_COMPACT_FILES_PER_PARTITION")
        self.run_files: dict[type, RunFile] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ParquetWriterPipeline:
        return cls(crawler)

    def open_spider(self) -> None:
        self.root: Path = output_dir(self.crawler)
        self.run_id = file_tag(self.crawler, run_id(self.crawler))  # a shared run's workers write side by side
        self.root.mkdir(parents=True, exist_ok=True)
        final = f"part-{self.run_id}.parquet"
        self.run_files = {
            Reject: RunFile(self.root / REJECTS / final, Reject, self.batch_rows, self.stats, "parquet/rejects"),
            UnchangedFetch: RunFile(self.root / UNCHANGED / final, UnchangedFetch, self.batch_rows, self.stats,
                                    "parquet/unchanged_fetches"),
        }
        # set by qacrawler.crawl.process, under the lock
        if removed := self.crawler.settings.getint("QA_LEFTOVERS_REMOVED"):
            self.stats.set_value("parquet/leftovers_removed", removed)

    def process_item(self, item: Any) -> Any:
        if isinstance(item, QARecord):
            self.records.append(item.model_dump())
            if self.converted_rows + len(self.records) >= self.batch_rows:
                self.flush_records()
            elif len(self.records) >= self.chunk_rows:
                self.convert_records()
        elif (run_file := self.run_files.get(type(item))) is not None:
            run_file.append(item.model_dump())
        return item

    def convert_records(self) -> None:
        """The pending rows to one Arrow table per partition (site, ask_year), kept in arrival order."""
        partitions: dict[tuple[str, int | None], list[dict[str, Any]]] = defaultdict(list)
        for row in self.records:
            row["ask_year"] = row["ask_date"].year if row["ask_date"] else None
            partitions[row["site"], row["ask_year"]].append(row)
        for partition, rows in partitions.items():
            self.converted[partition].append(pa.Table.from_pylist(rows, schema=self.schema))
        self.converted_rows += len(self.records)
        self.records.clear()

    def flush_records(self) -> None:
        self.convert_records()
        for (site, year), tables in sorted(self.converted.items(), key=lambda entry: (entry[0][0], entry[0][1] or 0)):
            name = f"part-{self.run_id}-{next(self.part_numbers):05d}.parquet"
            path = partition_dir(self.root / RECORDS, site, year) / name
            table = pa.concat_tables(tables)
            write_table(path, table)
            self.partitions_written.add(path.parent)
            self.stats.inc_value("parquet/files")
            self.stats.inc_value("parquet/records", table.num_rows)
        self.converted.clear()
        self.converted_rows = 0
        release_free_memory()  # once a batch: the batch just written is the largest thing freed

    def close_spider(self) -> None:
        self.flush_records()
        for run_file in self.run_files.values():
            run_file.close()
        if self.max_files_per_partition > 0:
            self.merge_small_files()

    def merge_small_files(self) -> None:
        merges = merge_small_files(self.root, sorted(self.partitions_written), self.max_files_per_partition,
                                   self.batch_rows)
        for merge in merges:
            self.stats.inc_value("parquet/merges")
            self.stats.inc_value("parquet/merged_files", merge.files_merged)
            logger.info("merged %d small files of %s into %s (%d rows, every version kept)",
                        merge.files_merged, merge.partition, merge.merged_into, merge.rows)


class RunFile:
    """One file per run for rows of one model, written in row groups of `batch_rows` and renamed when the
    run ends; created only when a first row comes."""

    def __init__(self, final: Path, model: type, batch_rows: int, stats: Any, stat: str):
        self.final, self.schema, self.batch_rows = final, arrow_schema(model), batch_rows
        self.stats, self.stat = stats, stat
        self.rows: list[dict[str, Any]] = []
        self.file: AtomicParquetFile | None = None

    def append(self, row: dict[str, Any]) -> None:
        self.rows.append(row)
        if len(self.rows) >= self.batch_rows:
            self.flush()

    def flush(self) -> None:
        if not self.rows:
            return
        if self.file is None:
            self.file = AtomicParquetFile(self.final, self.schema)
        self.file.write(pa.Table.from_pylist(self.rows, schema=self.schema))
        self.stats.inc_value(self.stat, len(self.rows))
        self.rows.clear()

    def close(self) -> None:
        self.flush()
        if self.file is not None:
            self.file.commit()
            self.stats.inc_value("parquet/files")
