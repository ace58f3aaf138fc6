"""Writes records and rejects as Parquet under the model's Arrow schema, in bounded batches.

Records are buffered up to QA_PARQUET_BATCH_ROWS, then written as one finished file per hive
partition (site, ask_year), so memory stays flat and a crash loses at most the unwritten batch.
The buffer holds Arrow tables, not Python rows: every QA_PARQUET_CHUNK_ROWS records are converted,
which keeps a batch at less than half the memory of its dicts and spreads the conversion out.
The site is in the folder name, not in the file (see dataset_files.PARTITION_COLUMNS).
Rejects go to one file per run, appended row group by row group and renamed at the end.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from pathlib import Path
from typing import Any

import pyarrow as pa
from scrapy.crawler import Crawler

from qacrawler.dataset_files import RECORDS, REJECTS, AtomicParquetFile, partition_dir, record_file_schema, write_table
from qacrawler.memory import release_free_memory
from qacrawler.records import QARecord, Reject
from qacrawler.run import output_dir, run_id
from qacrawler.schema import arrow_schema


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
        self.rejects: list[dict[str, Any]] = []
        self.part_numbers = itertools.count()
        self.rejects_file: AtomicParquetFile | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ParquetWriterPipeline:
        return cls(crawler)

    def open_spider(self) -> None:
        self.root: Path = output_dir(self.crawler)
        self.run_id = run_id(self.crawler)
        self.root.mkdir(parents=True, exist_ok=True)
        if removed := self.crawler.settings.getint("QA_LEFTOVERS_REMOVED"):  # by qacrawler.crawl, under the lock
            self.stats.set_value("parquet/leftovers_removed", removed)

    def process_item(self, item: Any) -> Any:
        if isinstance(item, QARecord):
            self.records.append(item.model_dump())
            if self.converted_rows + len(self.records) >= self.batch_rows:
                self.flush_records()
            elif len(self.records) >= self.chunk_rows:
                self.convert_records()
        elif isinstance(item, Reject):
            self.rejects.append(item.model_dump())
            if len(self.rejects) >= self.batch_rows:
                self.flush_rejects()
        return item

    def convert_records(self) -> None:
        """The pending rows to one Arrow table per partition (site, ask_year), kept in arrival order."""
        partitions: dict[tuple[str, int | None], list[dict[str, Any]]] = defaultdict(list)
        for row in self.records:
            partitions[row["site"], row["ask_date"].year if row["ask_date"] else None].append(row)
        for partition, rows in partitions.items():
            self.converted[partition].append(pa.Table.from_pylist(rows, schema=self.schema))
        self.converted_rows += len(self.records)
        self.records.clear()

    def flush_records(self) -> None:
        self.convert_records()
        for (site, year), tables in sorted(self.converted.items(), key=lambda entry: (entry[0][0], entry[0][1] or 0)):
            path = partition_dir(self.root / RECORDS, site, year) / f"part-{self.run_id}-{next(self.part_numbers):05d}.parquet"
            table = pa.concat_tables(tables)
            write_table(path, table)
            self.stats.inc_value("parquet/files")
            self.stats.inc_value("parquet/records", table.num_rows)
        self.converted.clear()
        self.converted_rows = 0
        release_free_memory()  # once a batch: the batch just written is the largest thing freed

    def flush_rejects(self) -> None:
        if not self.rejects:
            return
        if self.rejects_file is None:
            final = self.root / REJECTS / f"part-{self.run_id}.parquet"
            self.rejects_file = AtomicParquetFile(final, arrow_schema(Reject))
        self.rejects_file.write(pa.Table.from_pylist(self.rejects, schema=arrow_schema(Reject)))
        self.stats.inc_value("parquet/rejects", len(self.rejects))
        self.rejects.clear()

    def close_spider(self) -> None:
        self.flush_records()
        self.flush_rejects()
        if self.rejects_file is not None:
            self.rejects_file.commit()
            self.stats.inc_value("parquet/files")
