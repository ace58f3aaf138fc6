"""qacrawler.dataset: newest versions without rewriting files, DuckDB views, and splits that never leak or move."""

from __future__ import annotations

import shutil
from collections import Counter
from datetime import UTC, datetime

import pyarrow.dataset as ds
import pytest

from qacrawler import dataset
from qacrawler.page.sites.build import build_record
from qacrawler.page.sites.registry import get_site
from qacrawler.sandbox import DoctorQnaSite, SandboxServer
from tests.conftest import query, records_glob, run_cli
from tests.test_pipelines import write_run

AT = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)  # the site's revision time: fixed, so nothing reads the clock


def file_state(root):
    return {path: path.stat().st_mtime_ns for path in root.rglob("*.parquet")}


@pytest.fixture(scope="module")
def recrawled(tmp_path_factory):
    """A doctorqna crawl, its splits, then the site revised (questions added, answers and titles edited) and
    crawled again with --full: the dataset holds two versions of every edited page."""
    site = DoctorQnaSite(pages=80, seed=23)
    out = tmp_path_factory.mktemp("recrawl") / "dataset"
    with SandboxServer(site) as server:
        first = run_cli("crawl", "doctorqna", "--base-url", server.base_url, "--out", str(out))
        assert first.returncode == 0, first.stderr[-3000:]
        before = dataset.split(out, columns=["record_id", "content_hash"], with_key=True).to_pylist()
        revision = site.revise(added=4, edited=12, at=AT)
        second = run_cli("crawl", "doctorqna", "--base-url", server.base_url, "--out", str(out), "--full")
        assert second.returncode == 0, second.stderr[-3000:]
    return out, {row["record_id"]: row for row in before}, revision


def test_open_dataset_reads_site_and_year_from_the_folders_under_the_model_schema(recrawled):
    out, before, revision = recrawled
    opened = dataset.open_dataset(out)
    assert opened.schema == dataset.dataset_schema()
    table = opened.to_table(columns=["site", "ask_year", "ask_date"])
    assert set(table.column("site").to_pylist()) == {"doctorqna"}
    assert all(row["ask_year"] == row["ask_date"].year for row in table.to_pylist())
    stored = ds.dataset(out / "records", format="parquet", partitioning="hive").count_rows()
    assert opened.count_rows() == stored == len(before) + len(revision.added_ids) + len(revision.edited_ids)


def test_latest_gives_the_newest_version_of_each_record_without_touching_files(recrawled):
    out, before, revision = recrawled
    files = file_state(out)
    table = dataset.latest(out)
    assert file_state(out) == files
    ids = table.column("record_id").to_pylist()
    assert ids == sorted(set(ids)) and len(ids) == len(before) + len(revision.added_ids)
    rows = {row["record_id"]: row for row in table.to_pylist()}
    for number in revision.edited_ids:
        row = rows[f"doctorqna:{number}"]
        assert row["content_hash"] != before[row["record_id"]]["content_hash"]
        assert "Update" in row["answer"]
    untouched = set(before) - {f"doctorqna:{number}" for number in revision.edited_ids}
    assert all(rows[record_id]["content_hash"] == before[record_id]["content_hash"] for record_id in untouched)
    assert dataset.latest(out, columns=["title"]).column_names == ["title"]


def test_duckdb_views_hold_the_newest_versions_and_every_version(recrawled):
    out, _, revision = recrawled
    con = dataset.to_duckdb(out)
    latest = dataset.latest(out, columns=["record_id", "content_hash"])
    newest = con.execute("SELECT record_id, content_hash FROM qa ORDER BY record_id").fetchall()
    assert newest == list(zip(*latest.to_pydict().values(), strict=True))
    (stored,), = con.execute("SELECT count(*) FROM qa_all").fetchall()
    assert stored == query(f"SELECT count(*) FROM read_parquet('{records_glob(out)}')")[0][0]
    assert con.execute("SELECT count(*) FROM qa_all GROUP BY record_id HAVING count(*) > 1").fetchall() == (
        [(2,)] * len(revision.edited_ids))
    assert con.execute("SELECT DISTINCT site FROM qa").fetchall() == [("doctorqna",)]
    (rejects,), = con.execute("SELECT count(*) FROM rejects WHERE stage IN ('parse', 'validate')").fetchall()
    assert rejects >= 2  # the sandbox's broken pages, once per crawl


def test_duckdb_views_read_the_same_rows_without_union_by_name_when_files_share_a_schema(recrawled):
    out, _, _ = recrawled
    sql = "SELECT * FROM qa_all ORDER BY record_id, crawled_at"
    assert (dataset.to_duckdb(out, union_by_name=False).execute(sql).fetchall()
            == dataset.to_duckdb(out).execute(sql).fetchall())


def test_a_recrawl_never_moves_a_question_between_splits(recrawled):
    out, before, revision = recrawled
    after = {row["record_id"]: row for row in dataset.split(out, columns=["record_id"], with_key=True).to_pylist()}
    assert set(after) == set(before) | {f"doctorqna:{number}" for number in revision.added_ids}
    moved = [record_id for record_id, row in before.items() if after[record_id]["split"] != row["split"]]
    assert not moved, f"re-crawl moved {moved}"
    edited = [f"doctorqna:{number}" for number in revision.edited_ids]
    assert all(after[record_id]["question_key"] == before[record_id]["question_key"] for record_id in edited)
    assert {row["split"] for row in after.values()} <= set(dataset.SPLIT_NAMES)


def test_copies_of_a_question_land_in_one_split_across_sites(recrawled, tmp_path):
    out, _, _ = recrawled
    copy = tmp_path / "dataset"
    shutil.copytree(out, copy)
    originals = dataset.latest(copy, columns=["record_id", "title", "question", "answer", "ask_date"]).to_pylist()[:12]
    variants = (
        lambda text: text.upper(),
        lambda text: "  " + text.replace(" ", "\u3000 ").replace("\n", "\n\n") + " !!",
        lambda text: text.replace(",", "，").replace("?", "？").replace(":", "："), # full-width punctuation
        lambda text: text.replace("a", "ａ").replace("1", "１"), # full-width letters and digits (NFKC)
    )
    copies = [
        build_record(site=get_site("tw_ehospital"), source_id=str(900000 + i),
                     url=f"http://127.0.0.1/doctor/All/ShowDetail.php?q_no={i}", crawled_at=AT, title=row["title"],
                     question=variants[i % len(variants)](row["question"]), answer=row["answer"],
                     ask_date=row["ask_date"])
        for i, row in enumerate(originals)
    ]
    write_run(copy, copies, QA_RUN_ID="20261127T090000Z-copies")
    table = dataset.split(copy, columns=["record_id", "site"], with_key=True).to_pylist()
    by_id = {row["record_id"]: row for row in table}
    for i, original in enumerate(originals):
        twin = by_id[f"tw_ehospital:{900000 + i}"]
        assert twin["question_key"] == by_id[original["record_id"]]["question_key"], original["question"]
        assert twin["split"] == by_id[original["record_id"]]["split"]
    assert Counter(row["site"] for row in table)["tw_ehospital"] == len(originals)


@pytest.mark.parametrize(("left", "right"), [
    ("Is it serious?", "IS IT SERIOUS"),
    ("Doctor, hello:\nmy  eyelid twitches…", "doctor hello my eyelid twitches"),
    ("ＡＢＣ　１２３", "abc 123"),
    ("Straße", "STRASSE"),
    ("醫生您好，請問頭痛怎麼辦？", "醫生您好 請問頭痛怎麼辦"),
    ("Call me at [PHONE].", "call me at [PHONE]"),
])
def test_question_key_ignores_case_width_whitespace_and_punctuation(left, right):
    assert dataset.question_key(left) == dataset.question_key(right)


def test_question_key_keeps_words_and_masked_placeholders_apart():
    assert dataset.question_key("Call me at [PHONE].") == "call me at [PHONE]"
    assert dataset.question_key("call me at [PHONE]") != dataset.question_key("call me at phone")
    assert dataset.question_key("headache at night") != dataset.question_key("headache at noon")
    assert dataset.question_key(None) == dataset.question_key("") == ""


def test_keys_and_splits_are_the_question_key_and_split_of_each_question():
    texts = ["Is it serious?", "IS IT SERIOUS", None, "headache at night", "Call me at [PHONE]."]
    assert dataset.keys_and_splits(texts) == ([dataset.question_key(text) for text in texts],
                                              [dataset.split_of(text) for text in texts])
    assert dataset.keys_and_splits(texts, (0, 0, 1), seed=1)[1] == ["test"] * len(texts)


def test_split_of_is_deterministic_proportional_and_seeded():
    texts = [f"question number {i} about symptom {i % 97}" for i in range(20000)]
    names = [dataset.split_of(text) for text in texts]
    assert names == [dataset.split_of(text) for text in texts]
    shares = Counter(names)
    assert abs(shares["train"] / len(texts) - 0.8) < 0.015
    assert abs(shares["validation"] / len(texts) - 0.1) < 0.01
    assert abs(shares["test"] / len(texts) - 0.1) < 0.01
    reseeded = [dataset.split_of(text, seed=1) for text in texts]
    assert sum(a != b for a, b in zip(names, reseeded, strict=True)) > 1000
    assert {dataset.split_of(text, ratios=(1, 0, 0)) for text in texts[:500]} == {"train"}
    assert {dataset.split_of(text, ratios=(0, 0, 1)) for text in texts[:500]} == {"test"}


@pytest.mark.parametrize("ratios", [(0.8, 0.1), (0.8, 0.1, 0.2), (1.2, -0.1, -0.1)])
def test_split_rejects_ratios_that_are_not_three_shares(ratios, recrawled):
    with pytest.raises(ValueError, match="ratios"):
        dataset.split_of("a question", ratios=ratios)
    with pytest.raises(ValueError, match="ratios"):
        dataset.split(recrawled[0], ratios=ratios)


def test_a_dataset_without_records_reads_as_empty_and_other_folders_are_refused(tmp_path):
    (tmp_path / "runs").mkdir()
    assert dataset.open_dataset(tmp_path).count_rows() == 0
    assert dataset.latest(tmp_path).schema == dataset.dataset_schema()
    assert dataset.split(tmp_path).num_rows == 0
    con = dataset.to_duckdb(tmp_path)
    assert con.execute("SELECT count(*) FROM qa").fetchall() == [(0,)]
    assert con.execute("SELECT count(*) FROM rejects").fetchall() == [(0,)]
    with pytest.raises(FileNotFoundError, match="not a qacrawler dataset"):
        dataset.open_dataset(tmp_path / "runs")
    with pytest.raises(FileNotFoundError, match="no such folder"):
        dataset.to_duckdb(tmp_path / "missing")


@pytest.mark.parametrize("inside", ["records", "records/site=doctorqna", "records/site=doctorqna/ask_year=2018"])
def test_a_folder_inside_a_dataset_is_refused_naming_the_dataset(tmp_path, inside):
    """pandas and polars read records/ itself; qacrawler.dataset needs the folder whose rejects and runs sit
    beside it."""
    from tests.test_pipelines import record

    write_run(tmp_path, [record("1", 2018)])
    for read in (dataset.open_dataset, dataset.latest, dataset.to_duckdb):
        with pytest.raises(FileNotFoundError) as refused:
            read(tmp_path / inside)
        assert str(refused.value) == (f"{tmp_path / inside} is not a qacrawler dataset "
                                      f"(no records/, runs/ or rejects/ inside); did you mean {tmp_path}?")
