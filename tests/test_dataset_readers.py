"""One dataset, every reader: DuckDB, pandas, polars, pyarrow, qacrawler.dataset and Hugging Face `datasets` all
see the same rows with `site` and `ask_year`, in the current layout (the two are folder names and file columns)
and in a dataset that still holds files written by 0.2.0 and earlier (folder names only); and files written
before `answers` and `kind` (0.3.0) read with newer ones as one table."""

from __future__ import annotations

import os

import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from qacrawler import dataset
from qacrawler.dataset import card
from qacrawler.dataset.compact import compact
from qacrawler.dataset.files import site_records
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


REPLIES = [{"text": "Hello: usually benign.", "author_name": "Jiang Junyi", "date": record().reply_date},
           {"text": "Mine stopped after a week.", "author_name": "Amy", "upvotes": 2, "accepted": False}]


@pytest.fixture
def before_and_after_answers(tmp_path):
    """A dataset written by 0.2.0 (files without `answers` and `kind`) to which 0.3.0 added files, old and new
    files side by side in one partition folder, the old one first."""
    write_run(tmp_path, [record("1", 2018), twin("7")], QA_RUN_ID="20261127T080000Z-aaaaaa")
    for path in (tmp_path / "records").rglob("*.parquet"):
        pq.write_table(pq.read_table(path).drop_columns(["answers", "kind"]), path)
    write_run(tmp_path, [record("2", 2018, answers=REPLIES), record("3", 2019)], QA_RUN_ID="20261128T080000Z-bbbbbb")
    card.write_dataset_card(tmp_path)
    return tmp_path


def answer_rows(rows) -> list[tuple]:
    """(record_id, each reply's text, author and upvotes or None, kind), readers' list and struct values alike."""
    def replies(value):
        if value is None:
            return None
        return [(reply["text"], reply["author_name"], reply["upvotes"]) for reply in list(value)]
    return sorted(((row["record_id"], replies(row["answers"]), row["kind"]) for row in rows), key=lambda row: row[0])


def pandas_dicts(frame: pd.DataFrame) -> list[dict]:
    return frame.astype(object).where(frame.notna(), None).to_dict("records")


ANSWER_READERS = {
    "duckdb": lambda root: [dict(zip(("record_id", "answers", "kind"), row, strict=True)) for row in query(
        f"SELECT record_id, answers, kind FROM read_parquet('{records_glob(root)}', hive_partitioning = true, "
        "union_by_name = true)")],
    "pandas": lambda root: pandas_dicts(pd.read_parquet(root / "records", partitioning=ds.partitioning(flavor="hive"),
                                                   schema=dataset.dataset_schema())),
    "polars": lambda root: pl.read_parquet(records_glob(root), hive_partitioning=True, missing_columns="insert",
                                           schema=pl.from_arrow(dataset.dataset_schema().empty_table()).schema
                                           ).to_dicts(),
    "pyarrow": lambda root: ds.dataset(root / "records", format="parquet", partitioning="hive",
                                       schema=dataset.dataset_schema()).to_table().to_pylist(),
    "qacrawler.dataset": lambda root: dataset.open_dataset(root).to_table().to_pylist(),
}
OLD_AND_NEW = [
    ("doctorqna:1", None, None),  # written before 0.3.0: no replies stored, no kind
    ("doctorqna:2", [("Hello: usually benign.", "Jiang Junyi", None), ("Mine stopped after a week.", "Amy", 2)],
     "question"),
    ("doctorqna:3", [("Hello: usually benign.", "Jiang Junyi", None)], "question"),
    ("tw_ehospital:7", None, None),
]


@pytest.mark.parametrize("reader", ANSWER_READERS)
def test_files_written_before_answers_read_with_newer_ones_as_one_table(before_and_after_answers, reader):
    assert answer_rows(ANSWER_READERS[reader](before_and_after_answers)) == OLD_AND_NEW


def hugging_face_table(root, tmp_path_factory):
    import datasets

    return datasets.load_dataset(str(root), cache_dir=str(tmp_path_factory.mktemp("hf")))["train"]


def test_hugging_face_reads_files_before_and_after_answers_as_one_table(before_and_after_answers, tmp_path_factory):
    """The card declares the current columns (dataset_info.features): without them `datasets` takes the first
    file's columns and refuses the newer files."""
    loaded = hugging_face_table(before_and_after_answers, tmp_path_factory)
    assert answer_rows(loaded) == OLD_AND_NEW
    reply = loaded.features["answers"]
    assert reply.feature["upvotes"].dtype == "int64" and reply.feature["date"].dtype == "date32"


def test_compaction_gives_rows_written_before_answers_their_one_reply(before_and_after_answers, tmp_path_factory):
    compact(before_and_after_answers)
    rows = dataset.open_dataset(before_and_after_answers).to_table(columns=["record_id", "answers", "kind"])
    assert answer_rows(rows.to_pylist()) == [
        ("doctorqna:1", [("Hello: usually benign.", "Jiang Junyi", None)], "question"), *OLD_AND_NEW[1:3],
        ("tw_ehospital:7", [], "question")]
    assert answer_rows(hugging_face_table(before_and_after_answers, tmp_path_factory)) == answer_rows(rows.to_pylist())


def test_old_and_new_rows_share_one_typed_answers_column(before_and_after_answers):
    root = before_and_after_answers
    expected = dataset.dataset_schema().field("answers").type
    assert pa.types.is_list(expected) and pa.types.is_struct(expected.value_type)
    assert dataset.open_dataset(root).to_table(columns=["answers"]).schema.field("answers").type == expected
    described = dict(query(f"SELECT column_name, column_type FROM (DESCRIBE SELECT answers, kind FROM read_parquet("
                           f"'{records_glob(root)}', hive_partitioning = true, union_by_name = true))"))
    assert described == {"answers": "STRUCT(\"text\" VARCHAR, author_name VARCHAR, author_url VARCHAR, date DATE, "
                                    "upvotes BIGINT, accepted BOOLEAN)[]", "kind": "VARCHAR"}
    frame = pl.read_parquet(records_glob(root), hive_partitioning=True, missing_columns="insert",
                            schema=pl.from_arrow(dataset.dataset_schema().empty_table()).schema)
    assert frame.schema["answers"] == pl.List(pl.Struct({"text": pl.String, "author_name": pl.String,
                                                         "author_url": pl.String, "date": pl.Date,
                                                         "upvotes": pl.Int64, "accepted": pl.Boolean}))


def test_the_crawlers_own_reader_reads_answers_and_kind_of_older_files_as_nulls(before_and_after_answers):
    """files.read_columns refuses a file without a column the crawler asks for, except one added since."""
    table = site_records(before_and_after_answers, "doctorqna", ["record_id", "answers", "kind"])
    assert answer_rows(table.to_pylist()) == OLD_AND_NEW[:3]
