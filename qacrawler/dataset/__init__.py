"""Reading a qacrawler dataset: the public API for researchers and analysts.

A dataset folder keeps every version of a page (a re-crawl adds a row when a page changed), so most
readers want the newest version of each record; these functions give it without rewriting files:

    from qacrawler import dataset
    table = dataset.latest("output/demo")                 # pyarrow Table, one row per record_id
    con = dataset.to_duckdb("output/demo")                # views qa (newest) and qa_all (every version)
    con.execute("SELECT specialty, count(*) FROM qa GROUP BY ALL").fetchall()
    splits = dataset.split("output/demo")                 # latest() plus a train/validation/test column

Splits are assigned by a hash of the normalised question text, not by record id or position, so a
re-crawl never moves a question and a question published twice (on one site or on two) lands in
one split: no duplicate leaks from train into test.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable, Sequence
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import pyarrow as pa

from qacrawler.dataset.check import ensure_readable
from qacrawler.dataset.files import NULL_PARTITION, RECORDS, REJECTS, RUNS, latest_versions, record_file_schema
from qacrawler.dataset.schema import arrow_schema
from qacrawler.dataset.warc import NoRawPage, RawPage, read_raw_page
from qacrawler.page.records import QARecord

if TYPE_CHECKING:
    import pyarrow.dataset as ds

__all__ = [
    "SPLIT_NAMES",
    "DEFAULT_RATIOS",
    "DEFAULT_SEED",
    "open_dataset",
    "latest",
    "to_duckdb",
    "split",
    "split_of",
    "split_of_key",
    "keys_and_splits",
    "question_key",
    "records_glob",
    "dataset_root",
    "dataset_schema",
    "raw_page",
    "record_versions",
    "RawPage",
    "NoRawPage",
]

SPLIT_NAMES = ("train", "validation", "test")
DEFAULT_RATIOS = (0.8, 0.1, 0.1)
DEFAULT_SEED = 0
# The privacy stage's placeholders stay whole: "[PHONE]" must not become the word "phone".
_PLACEHOLDER = re.compile(r"\[(?:EMAIL|PHONE|ID|CONTACT)\]")


@cache
def dataset_schema() -> pa.Schema:
    """The model's columns in model order, then ask_year: the same for every dataset, and a record file's columns."""
    return record_file_schema(arrow_schema(QARecord))


def is_dataset(path: Path) -> bool:
    return path.is_dir() and any((path / name).is_dir() for name in (RECORDS, RUNS, REJECTS))


def dataset_root(path: str | Path) -> Path:
    """The path itself when it is a dataset folder. Given its records/ folder or a partition folder (the paths
    pandas and polars read), the error names the dataset folder rather than reading part of it: its rejects
    and runs live beside records/."""
    root = Path(path)
    if is_dataset(root):
        return root
    if not root.exists():
        reason = "no such folder"
    else:
        reason = "not a folder" if not root.is_dir() else f"no {RECORDS}/, {RUNS}/ or {REJECTS}/ inside"
    message = f"{root} is not a qacrawler dataset ({reason})"
    if parent := next((parent for parent in root.parents if is_dataset(parent)), None):
        message += f"; did you mean {parent}?"
    raise FileNotFoundError(message)


def records_glob(path: str | Path) -> str:
    """The glob DuckDB, polars and Hugging Face `datasets` take for the record files."""
    return (Path(path) / RECORDS / "**" / "*.parquet").as_posix()


def _has_records(root: Path) -> bool:
    directory = root / RECORDS
    return directory.is_dir() and any(directory.rglob("*.parquet"))


def open_dataset(path: str | Path) -> ds.Dataset:
    """Every stored version of every record as a pyarrow dataset; `site` and `ask_year` come from the folders.

    The schema is fixed from the model, so it does not depend on which partitions happen to exist; a
    dataset with no records yet gives an empty one.
    """
    # here: it imports pandas when installed, which a crawl (writing this card) does not need
    import pyarrow.dataset as ds

    root = dataset_root(path)
    ensure_readable(root)
    schema = dataset_schema()
    if not _has_records(root):
        return ds.dataset(schema.empty_table())
    partitioning = ds.HivePartitioning(pa.schema([schema.field("site"), schema.field("ask_year")]),
                                       null_fallback=NULL_PARTITION)
    return ds.dataset(root / RECORDS, schema=schema, format="parquet", partitioning=partitioning)


def latest(path: str | Path, columns: Sequence[str] | None = None) -> pa.Table:
    """One row per record_id, its newest version by crawled_at, sorted by record_id (files stay as they are)."""
    needed = None if columns is None else list(dict.fromkeys([*columns, "record_id", "crawled_at"]))
    table = latest_versions(open_dataset(path).to_table(columns=needed))
    return table if columns is None else table.select(list(columns))


def raw_page(record: object, path: str | Path) -> RawPage:
    """The page as fetched (status, headers, decoded body, WARC date) that a record or reject of the dataset at
    ``path`` was made from: a QARecord, a Reject or a row mapping (``latest(...).to_pylist()``) with the
    provenance columns. Raises NoRawPage when the row has none (``--no-archive``, before 0.3.0) or its WARC
    file was pruned."""
    return read_raw_page(dataset_root(path), record)


def record_versions(path: str | Path, record_id: str) -> list[dict]:
    """Every stored version of one record, oldest first (by crawled_at), as row mappings."""
    import pyarrow.dataset as ds

    table = open_dataset(path).to_table(filter=ds.field("record_id") == record_id)
    return table.sort_by([("crawled_at", "ascending")]).to_pylist()


def _sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def to_duckdb(
    path: str | Path, connection: duckdb.DuckDBPyConnection | None = None, *, union_by_name: bool = True
) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection with views `qa` (newest version per record_id), `qa_all` (every version) and
    `rejects`. Views read the files at query time, so they see later crawls without reconnecting.

    union_by_name=False reads every record file with the columns of the first: DuckDB then no longer holds
    every file's metadata while it plans a query (about 75 KB a file, for each time a query names a view),
    but a file with other columns fails the query or loses them, so pass it only for files known to share
    one schema.
    """
    root = dataset_root(path)
    ensure_readable(root)
    con = connection or duckdb.connect()
    if _has_records(root):
        source = (f"read_parquet({_sql_string(records_glob(root))}, hive_partitioning = true, "
                  f"union_by_name = {str(union_by_name).lower()})")
    else:
        con.register("_qa_empty", dataset_schema().empty_table())
        source = "_qa_empty"
    con.execute(f"CREATE OR REPLACE VIEW qa_all AS SELECT * FROM {source}")
    con.execute(
        "CREATE OR REPLACE VIEW qa AS SELECT * FROM qa_all "
        "QUALIFY row_number() OVER (PARTITION BY record_id ORDER BY crawled_at DESC, content_hash) = 1"
    )
    rejects = root / REJECTS
    if rejects.is_dir() and any(rejects.glob("*.parquet")):
        source = f"read_parquet({_sql_string((rejects / '*.parquet').as_posix())}, union_by_name = true)"
    else:
        con.register("_rejects_empty", arrow_schema_of_rejects().empty_table())
        source = "_rejects_empty"
    con.execute(f"CREATE OR REPLACE VIEW rejects AS SELECT * FROM {source}")
    return con


@cache
def arrow_schema_of_rejects() -> pa.Schema:
    from qacrawler.page.records import Reject

    return arrow_schema(Reject)


def question_key(text: str | None) -> str:
    """The text two copies of one question share: NFKC, casefolded, every run of whitespace, punctuation
    and symbols collapsed to one space; masked placeholders such as [PHONE] kept as they are.
    """
    text = unicodedata.normalize("NFKC", text or "")
    parts = []
    position = 0
    for match in _PLACEHOLDER.finditer(text):
        parts.append(_collapse(text[position:match.start()].casefold()))
        parts.append(match.group())
        position = match.end()
    parts.append(_collapse(text[position:].casefold()))
    return " ".join(part for part in parts if part)


# Planes 3-13 and 15-16 hold only letters, private use and unassigned code points: skipping them makes
# building the table 6x faster, and it is built once per process.
_SEPARATOR_RANGES = (range(0x30000), range(0xE0000, 0xE1000))


@cache
def _separators() -> dict[int, str]:
    """Whitespace, punctuation, symbols and control/format characters, as a str.translate table."""
    category = unicodedata.category
    return {code: " " for block in _SEPARATOR_RANGES for code in block
            if category(chr(code))[0] in "PSZ" or category(chr(code)) in ("Cc", "Cf")}


def _collapse(text: str) -> str:
    return " ".join(text.translate(_separators()).split())


def _check_ratios(ratios: Sequence[float]) -> tuple[float, float, float]:
    if len(ratios) != len(SPLIT_NAMES) or any(ratio < 0 for ratio in ratios) or abs(sum(ratios) - 1) > 1e-9:
        raise ValueError("ratios must be three non-negative shares of train/validation/test summing to 1, "
                         f"not {tuple(ratios)}")
    return tuple(float(ratio) for ratio in ratios)  # type: ignore[return-value]


def _bucket(key: str, seed: int | str) -> float:
    digest = hashlib.sha256(f"qacrawler-split\x1f{seed}\x1f{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def split_of(question: str | None, ratios: Sequence[float] = DEFAULT_RATIOS, seed: int | str = DEFAULT_SEED) -> str:
    """The split of one question text: a pure function of its normalised text, the ratios and the seed."""
    return split_of_key(question_key(question), _check_ratios(ratios), seed)


def split_of_key(key: str, ratios: Sequence[float] = DEFAULT_RATIOS, seed: int | str = DEFAULT_SEED) -> str:
    """split_of() for a question_key() already computed."""
    train, validation, _ = _check_ratios(ratios)
    point = _bucket(key, seed)
    if point < train:
        return "train"
    return "validation" if point < train + validation else "test"


def keys_and_splits(
    questions: Iterable[str | None], ratios: Sequence[float] = DEFAULT_RATIOS, seed: int | str = DEFAULT_SEED
) -> tuple[list[str], list[str]]:
    """The question_key() and the split of each question: split() applies it to a whole table, the dataset
    card to one record batch at a time, so both assign splits the same way."""
    checked = _check_ratios(ratios)
    keys = [question_key(question) for question in questions]
    return keys, [split_of_key(key, checked, seed) for key in keys]


def split(
    path: str | Path,
    ratios: Sequence[float] = DEFAULT_RATIOS,
    seed: int | str = DEFAULT_SEED,
    columns: Sequence[str] | None = None,
    *,
    with_key: bool = False,
) -> pa.Table:
    """latest() plus a `split` column (train/validation/test) from split_of(question); with_key adds the
    `question_key` the split was drawn from, to find duplicates.

    Keep the seed fixed across releases: it is what makes a question's split permanent.
    """
    _check_ratios(ratios)  # before reading the files, not after
    wanted = None if columns is None else list(dict.fromkeys([*columns, "question"]))
    table = latest(path, wanted)
    keys, names = keys_and_splits(table.column("question").to_pylist(), ratios, seed)
    if columns is not None:
        table = table.select(list(columns))
    if with_key:
        table = table.append_column(pa.field("question_key", pa.string(), nullable=False), pa.array(keys, pa.string()))
    return table.append_column(pa.field("split", pa.string(), nullable=False), pa.array(names, pa.string()))
