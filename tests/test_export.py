"""`qacrawler export`: question/answer pairs with their split, as JSON lines for fine-tuning and CSV for
spreadsheets."""

from __future__ import annotations

import csv
import json
import os
import shutil
from datetime import date

import pyarrow.parquet as pq
import pytest

from qacrawler import dataset
from qacrawler.dataset.export import FIELDS, NothingToExport, export, spreadsheet_safe
from tests.dataset_builds import demo_dataset
from tests.test_pipelines import record, write_run

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # before `datasets` reads its configuration: never reach the Hub


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    return demo_dataset(tmp_path_factory)


@pytest.fixture(scope="module")
def exported(demo, tmp_path_factory):
    out = tmp_path_factory.mktemp("export")
    return export(demo, "jsonl", out / "qa.jsonl").path, export(demo, "csv", out / "qa.csv").path


def read_jsonl(path):
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()]


def test_jsonl_holds_every_answered_question_once_with_its_split(demo, exported, tmp_path):
    jsonl, _ = exported
    demo_export = export(demo, "jsonl", tmp_path / "counted.jsonl")
    rows = read_jsonl(jsonl)
    splits = {row["record_id"]: row for row in dataset.split(demo, columns=["record_id", "answer"]).to_pylist()}
    answered = sorted(record_id for record_id, row in splits.items() if row["answer"])
    assert [row["id"] for row in rows] == answered
    assert (demo_export.pairs, demo_export.unanswered) == (len(answered), len(splits) - len(answered))
    for row in rows:
        assert list(row) == [*FIELDS, "answers", "messages"]
        assert row["kind"] == "question"
        assert [reply["text"] for reply in row["answers"]] == [row["answer"]] and row["answer_count"] == 1
        assert row["split"] == splits[row["id"]]["split"]
        assert row["answer"] == splits[row["id"]]["answer"]
        user, assistant = row["messages"]
        assert user == {"role": "user", "content": f"{row['title']}\n\n{row['question']}"}
        assert assistant == {"role": "assistant", "content": row["answer"]}
        assert "more_info" not in row
    assert {row["split"] for row in rows} == set(dataset.SPLIT_NAMES)
    assert {row["site"] for row in rows} == {"adoctor", "doctorqna", "tw_ehospital"}
    # written as text, not \u escapes
    assert any(row["language"] == "zh-Hant" and "醫" in row["answer"] for row in rows)


def test_csv_has_the_same_rows_and_survives_a_spreadsheet_round_trip(exported):
    jsonl, csv_path = exported
    assert csv_path.read_bytes().startswith(b"\xef\xbb\xbf")  # the BOM spreadsheet programs need for UTF-8
    with open(csv_path, encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    expected = read_jsonl(jsonl)
    assert [row["id"] for row in rows] == [row["id"] for row in expected]
    for got, want in zip(rows, expected, strict=True):
        assert got["question"] == want["question"] and got["answer"] == want["answer"]  # newlines kept inside quotes
        assert got["split"] == want["split"] and got["kind"] == want["kind"]
        assert got["answer_count"] == str(want["answer_count"])
        assert "answers" not in got  # a list of replies is no cell: JSON lines carry them
        assert got["asker_age_min"] == ("" if want["asker_age_min"] is None else str(want["asker_age_min"]))


def test_exports_are_reproducible_and_default_into_the_dataset(demo, exported, tmp_path):
    jsonl, _ = exported
    again = export(demo, "jsonl", tmp_path / "again.jsonl").path
    assert again.read_bytes() == jsonl.read_bytes()
    copy = tmp_path / "copy"
    shutil.copytree(demo, copy)
    default = export(copy, "csv").path
    assert default == copy / "exports" / "qa-pairs.csv" and default.is_file()
    assert not list(default.parent.glob(".*.tmp"))


def test_hugging_face_datasets_reads_the_jsonl_export(exported, tmp_path):
    import datasets

    jsonl, _ = exported
    loaded = datasets.load_dataset("json", data_files=str(jsonl), cache_dir=str(tmp_path / "hf"))["train"]
    assert loaded.num_rows == len(read_jsonl(jsonl))
    assert loaded[0]["messages"][0]["role"] == "user"


def test_a_wrong_format_or_folder_writes_nothing(demo, tmp_path):
    with pytest.raises(ValueError, match="format must be one of jsonl, csv"):
        export(demo, "parquet", tmp_path / "x.parquet")
    with pytest.raises(FileNotFoundError):
        export(tmp_path / "missing", "jsonl", tmp_path / "out" / "x.jsonl")
    assert not (tmp_path / "out").exists()


def test_a_dataset_without_an_answered_question_writes_no_file(tmp_path):
    write_run(tmp_path, [record("1", answer=None, doctor={}, department=None, reply_date=None)])
    out = tmp_path / "out" / "x.jsonl"
    with pytest.raises(NothingToExport, match=r"holds no answered question to export \(1 records, none answered\)"):
        export(tmp_path, "jsonl", out)
    assert not (tmp_path / "out").exists()


def test_every_reply_of_a_thread_and_the_kind_of_a_faq_pair_are_exported(tmp_path):
    replies = [{"text": "Hello: usually benign.", "author_name": "Jiang Junyi", "date": date(2018, 3, 8),
                "accepted": True},
               {"text": "Mine stopped after a week.", "author_name": "Amy", "upvotes": 4}]
    faq = record("3", kind="faq", title="What is a twitch?", question="What is a twitch?",
                 answer="A brief muscle contraction.", asker={}, doctor={})
    write_run(tmp_path, [record("1")], QA_RUN_ID="20261127T080000Z-aaaaaa")
    old, = (tmp_path / "records").rglob("*.parquet")
    pq.write_table(pq.read_table(old).drop_columns(["answers", "kind"]), old)  # as 0.2.0 wrote it
    write_run(tmp_path, [record("2", answers=replies), faq], QA_RUN_ID="20261128T080000Z-bbbbbb")
    rows = {row["id"]: row for row in read_jsonl(export(tmp_path, "jsonl", tmp_path / "qa.jsonl").path)}
    assert rows["doctorqna:2"]["answers"] == [
        {"text": "Hello: usually benign.", "author_name": "Jiang Junyi", "date": "2018-03-08", "upvotes": None,
         "accepted": True},
        {"text": "Mine stopped after a week.", "author_name": "Amy", "date": None, "upvotes": 4, "accepted": None}]
    assert rows["doctorqna:2"]["answer"] == "Hello: usually benign." and rows["doctorqna:2"]["answer_count"] == 2
    assert (rows["doctorqna:3"]["kind"], rows["doctorqna:3"]["answer_count"]) == ("faq", 1)
    # written before 0.3.0: a question, with its one reply
    assert rows["doctorqna:1"]["kind"] == "question"
    assert rows["doctorqna:1"]["answers"] == [{"text": "Hello: usually benign.", "author_name": "Jiang Junyi",
                                                "date": "2018-03-08", "upvotes": None, "accepted": None}]
    with open(export(tmp_path, "csv", tmp_path / "qa.csv").path, encoding="utf-8-sig", newline="") as handle:
        cells = {row["id"]: (row["kind"], row["answer_count"]) for row in csv.DictReader(handle)}
    assert cells == {"doctorqna:1": ("question", "1"), "doctorqna:2": ("question", "2"), "doctorqna:3": ("faq", "1")}


def test_csv_cells_a_spreadsheet_would_run_as_formulas_are_text(tmp_path):
    hostile = {
        "1": "=HYPERLINK(\"http://example.invalid\",\"click\")",
        "2": "+1",
        "3": "-2+3",
        "4": "@SUM(A1:A9)",
        "8": "＝1+1",
        "9": "-5",  # a legitimate negative number in a text field: quoted too, a spreadsheet shows -5 as text
        "10": "Is a 1+1=2 rash serious?",
    }
    write_run(tmp_path, [record(number, title=title) for number, title in hostile.items()])
    csv_path = export(tmp_path, "csv", tmp_path / "qa.csv").path
    jsonl_path = export(tmp_path, "jsonl", tmp_path / "qa.jsonl").path
    with open(csv_path, encoding="utf-8-sig", newline="") as handle:
        titles = {row["id"].removeprefix("doctorqna:"): row for row in csv.DictReader(handle)}
    for number, title in hostile.items():
        expected = title if number == "10" else "'" + title
        assert titles[number]["title"] == expected, number
        assert titles[number]["asker_age_min"] == "30"  # numbers stay numbers
    assert {row["id"].removeprefix("doctorqna:"): row["title"] for row in read_jsonl(jsonl_path)} == hostile


@pytest.mark.parametrize("text", ["\t=1+1", "\r=1+1", "  =1+1", "\n\t@SUM(A1)", "\t"])
def test_whitespace_before_or_as_a_formula_prefix_is_quoted(text):
    # Records arrive whitespace-normalised, so these forms are checked on the function itself.
    assert spreadsheet_safe(text) == "'" + text


@pytest.mark.parametrize("value", ["1-2", "a=b", "e-mail@example.org", "", 42, -3, None])
def test_text_and_numbers_that_are_no_formula_stay_as_they_are(value):
    assert spreadsheet_safe(value) == value
