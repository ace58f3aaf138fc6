"""One dataset, every reader: DuckDB, pandas, polars, pyarrow, qacrawler.dataset and Hugging Face `datasets` all
see the same rows with `site` and `ask_year`, in the current layout (the two are folder names and file columns)
and in a dataset that still holds files written by 0.2.0 and earlier (folder names only)."""

from __future__ import annotations

import os

import pandas as pd
import polars as pl
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from qacrawler import dataset
from qacrawler.dataset import card
from qacrawler.dataset.compact import compact
from qacrawler.page.sites.build import build_record
from qacrawler.page.sites.registry import get_site
from tests.conftest import query, records_glob
from tests.test_pipelines import record, write_run

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # before `datasets` reads its configuration: never reach the Hub

KEY = ["record_id", "site", "ask_year"]


def twin(source_id: str):
    """A tw_ehospital record, so the dataset has two site partitions."""
    return build_record(site=get_site("tw_ehospital"), source_id=source_id,
                        url=f"http://127.0.0.1/doctor/All/ShowDetail.php?q_no={source_id}", title="眼皮跳",
                        question="眼皮一直跳。", ask_date=record().ask_date, crawled_at=record().crawled_at)


@pytest.fixture
def stored(tmp_path):
    write_run(tmp_path, [record("1", 2018), record("2", 2019), record("3", ask_date=None), twin("7")],
              QA_RUN_ID="20261127T080000Z-aaaaaa")
    card.write_dataset_card(tmp_path)
    return tmp_path


EXPECTED = [("doctorqna:1", "doctorqna", 2018), ("doctorqna:2", "doctorqna", 2019), ("doctorqna:3", "doctorqna", None),
            ("tw_ehospital:7", "tw_ehospital", 2018)]


def rows(table_like) -> list[tuple]:
    frame = pl.from_arrow(table_like) if not isinstance(table_like, pl.DataFrame) else table_like
    return sorted(frame.select(KEY).rows(), key=lambda row: row[0])


def pandas_rows(frame: pd.DataFrame) -> list[tuple]:
    frame = frame[KEY].astype(object).where(frame[KEY].notna(), None)
    return sorted(((r, str(s), None if y is None else int(y)) for r, s, y in frame.itertuples(index=False)),
                  key=lambda row: row[0])


READERS = {
    "duckdb": lambda root: query(f"SELECT record_id, site, ask_year FROM read_parquet('{records_glob(root)}', "
                                 "hive_partitioning = true, union_by_name = true) ORDER BY record_id"),
    "pandas": lambda root: pandas_rows(pd.read_parquet(root / "records", partitioning=ds.partitioning(flavor="hive"))),
    "polars": lambda root: rows(pl.read_parquet(records_glob(root), hive_partitioning=True)),
    "pyarrow.dataset": lambda root: rows(
        ds.dataset(root / "records", format="parquet", partitioning="hive").to_table()),
    "pyarrow.parquet": lambda root: rows(pq.read_table(root / "records", partitioning=ds.partitioning(flavor="hive"))),
    "qacrawler.dataset": lambda root: rows(dataset.open_dataset(root).to_table()),
}


def hugging_face_rows(root, cache) -> list[tuple]:
    import datasets

    return rows(datasets.load_dataset(str(root), cache_dir=str(cache))["train"].data.table)


@pytest.mark.parametrize("reader", READERS)
def test_every_reader_sees_site_and_ask_year(stored, reader):
    assert READERS[reader](stored) == EXPECTED


def test_hugging_face_sees_site_and_ask_year_from_the_files(stored, tmp_path_factory):
    assert hugging_face_rows(stored, tmp_path_factory.mktemp("hf")) == EXPECTED
    inside = pq.read_schema(next((stored / "records" / "site=tw_ehospital").rglob("*.parquet")))
    assert inside.field("site").type == "string" and inside.field("ask_year").type == "int32"


@pytest.mark.parametrize("reader", READERS)
def test_files_written_before_the_columns_were_stored_read_as_before(stored, reader):
    """A 0.2 file (site and ask_year in its folder names only) beside current ones: each reader still gets both."""
    old = next((stored / "records" / "site=doctorqna" / "ask_year=2019").glob("*.parquet"))
    pq.write_table(pq.read_table(old).drop_columns(["site", "ask_year"]), old)
    assert READERS[reader](stored) == EXPECTED


def test_compaction_gives_old_files_the_columns_hugging_face_reads(stored, tmp_path_factory):
    """Hugging Face reads files, not folder names: a 0.2 file's rows come without site and ask_year until
    `qacrawler compact` rewrites it."""
    old = next((stored / "records" / "site=doctorqna" / "ask_year=2019").glob("*.parquet"))
    pq.write_table(pq.read_table(old).drop_columns(["site", "ask_year"]), old)
    assert hugging_face_rows(stored, tmp_path_factory.mktemp("hf")) == [
        (record_id, None, None) if record_id == "doctorqna:2" else (record_id, site, year)
        for record_id, site, year in EXPECTED]
    compact(stored)
    assert hugging_face_rows(stored, tmp_path_factory.mktemp("hf")) == EXPECTED
