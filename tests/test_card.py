"""The dataset card (the folder's README.md): written by every crawl, Hugging Face conventions, figures that match
the data, fields from the model."""

from __future__ import annotations

import json
import logging
import os
import re
import typing
from collections import defaultdict
from datetime import timedelta

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel
from scrapy import Spider

from qacrawler import dataset
from qacrawler.crawl.extensions.manifest import RunManifest
from qacrawler.dataset import card
from qacrawler.dataset.schema import field_table
from qacrawler.page.records import QARecord
from tests.dataset_builds import demo_dataset
from tests.test_pipelines import NOW, crawler_for, record, write_run

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # before `datasets` reads its configuration: never reach the Hub


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    return demo_dataset(tmp_path_factory)


def split_card(text: str) -> tuple[dict, str]:
    match = re.match(r"---\n(.*?)\n---\n(.*)", text, re.S)
    assert match, "the card does not start with a YAML header"
    return yaml.safe_load(match.group(1)), match.group(2)


def section(body: str, heading: str) -> str:
    match = re.search(rf"^## {re.escape(heading)}\n(.*?)(?=^## |\Z)", body, re.S | re.M)
    assert match, f"no section {heading!r}"
    return match.group(1)


def table_rows(text: str) -> list[list[str]]:
    return [[cell.strip() for cell in line.strip("|").split("|")] for line in text.splitlines()
            if line.startswith("|") and not line.startswith("|---")]


def model_paths(model: type[BaseModel] = QARecord, prefix: str = "") -> list[str]:
    paths = []
    for name, info in model.model_fields.items():
        paths.append(prefix + name)
        inner = info.annotation
        for _ in range(2):  # Optional[...] and list[...]
            args = [arg for arg in typing.get_args(inner) if arg is not type(None)]
            inner = args[0] if args else inner
        if isinstance(inner, type) and issubclass(inner, BaseModel):
            paths += model_paths(inner, f"{prefix}{name}.")
    return paths


def test_every_crawl_leaves_a_card_with_a_hugging_face_header(demo):
    meta, _ = split_card((demo / "README.md").read_text("utf-8"))
    assert meta["license"] == "other" and meta["license_name"]
    assert meta["language"] == ["en", "zh"]
    assert meta["multilinguality"] == "multilingual"
    assert meta["size_categories"] == ["n<1K"]
    assert "question-answering" in meta["task_categories"]
    default, *per_site = meta["configs"]
    assert default["data_files"] == [{"split": "train", "path": "records/**/*.parquet"}]
    assert [config["config_name"] for config in per_site] == ["adoctor", "doctorqna", "tw_ehospital"]


def test_the_card_parses_as_a_hugging_face_dataset_card(demo):
    from huggingface_hub import DatasetCard

    parsed = DatasetCard((demo / "README.md").read_text("utf-8"))
    assert parsed.data.license == "other"
    assert parsed.data.task_categories == ["question-answering", "text-generation"]
    assert parsed.text.lstrip().startswith("# qacrawler health Q&A")


def test_the_card_declares_the_record_files_columns_as_hugging_face_features(demo):
    """`datasets` reads the declared columns, not the first file's: files from before a column was added read with
    the newer ones (tests/test_dataset_readers.py)."""
    from datasets import Features

    meta, _ = split_card((demo / "README.md").read_text("utf-8"))
    declared = Features._from_yaml_list(meta["dataset_info"]["features"])
    assert declared == Features.from_arrow_schema(dataset.dataset_schema())
    assert list(declared) == dataset.dataset_schema().names


def test_the_card_says_which_version_added_answers_and_kind(demo):
    _, body = split_card((demo / "README.md").read_text("utf-8"))
    rows = {row[0].strip("`"): row for row in table_rows(section(body, "Fields"))}
    assert rows["answers"][2].endswith("Added in 0.3.0") and rows["kind"][2].endswith("Added in 0.3.0")
    assert "`answers` and `kind` were added in 0.3.0" in section(body, "Known limitations")


def test_the_cards_field_table_is_the_models(demo):
    _, body = split_card((demo / "README.md").read_text("utf-8"))
    fields = section(body, "Fields")
    assert field_table() in fields
    listed = [row[0].strip("`") for row in table_rows(fields)[1:]]
    assert listed == model_paths()


def test_counts_and_splits_in_the_card_match_the_data(demo):
    _, body = split_card((demo / "README.md").read_text("utf-8"))
    con = dataset.to_duckdb(demo)
    per_site = dict(con.execute("SELECT site, count(*) FROM qa GROUP BY site").fetchall())
    counts = {row[0].strip("`"): row for row in table_rows(section(body, "Counts and coverage"))[1:] if len(row) == 6}
    for site, n in per_site.items():
        assert int(counts[site][1]) == n
    assert int(counts["**all**"][1]) == sum(per_site.values())
    splits = dataset.split(demo, columns=["site"]).to_pylist()
    rows = table_rows(section(body, "Duplicates and splits"))
    assert rows[0] == ["site", "train", "validation", "test"]
    for site_cell, *numbers in rows[1:]:
        site = site_cell.strip("`")
        expected = [sum(1 for row in splits if row["site"] == site and row["split"] == name)
                    for name in dataset.SPLIT_NAMES]
        assert list(map(int, numbers)) == expected
    table = [row for row in table_rows(section(body, "Counts and coverage")) if len(row) == 1 + len(per_site)]
    column = [cell.strip("`") for cell in table[0]].index("tw_ehospital")  # the header row names the sites
    coverage = {row[0].strip("`"): row for row in table[1:]}
    (answered,), = con.execute("SELECT count(answer) * 100.0 / count(*) FROM qa WHERE site = 'tw_ehospital'").fetchall()
    assert coverage["answer"][column] == f"{answered:.1f} %"


def test_the_card_states_provenance_privacy_and_limitations(demo):
    _, body = split_card((demo / "README.md").read_text("utf-8"))
    provenance = section(body, "Provenance")
    assert "`doctorqna`" in provenance and "`tw_ehospital`" in provenance
    assert "doctorqna/1.0" in provenance and "tw_ehospital/1.0" in provenance
    assert provenance.count("1 of 1 runs") == 3  # robots.txt fetched in every run
    assert "local sandbox mirror" in provenance
    privacy = section(body, "Privacy")
    assert all(placeholder in privacy for placeholder in ("[EMAIL]", "[PHONE]", "[ID]", "[CONTACT]"))
    assert "Asker names are removed" in privacy
    limitations = section(body, "Known limitations")
    assert "`more_info`" in limitations and "not the answering doctor's" in limitations
    assert "translation default" in limitations


def test_hugging_face_datasets_loads_the_folder_with_site_and_ask_year(demo, tmp_path):
    """load_dataset(folder) reads the card's configs: every stored row and column, site and ask_year included,
    and none of the rejects (whose other columns made it fail when the card was not the folder's README.md)."""
    import datasets

    loaded = datasets.load_dataset(str(demo), cache_dir=str(tmp_path / "hf"))["train"]
    expected = dataset.open_dataset(demo).to_table(columns=["record_id", "content_hash", "site", "ask_year"])
    assert loaded.column_names == dataset.dataset_schema().names
    assert loaded.num_rows == expected.num_rows > 0
    key = ("record_id", "content_hash", "site", "ask_year")
    assert sorted(zip(*(loaded[name] for name in key), strict=True)) == sorted(
        zip(*(expected.column(name).to_pylist() for name in key), strict=True))
    assert all(year == (asked.year if asked else None)
               for year, asked in zip(loaded["ask_year"], loaded["ask_date"], strict=True))


def test_hugging_face_datasets_loads_one_site_by_its_config(demo, tmp_path):
    import datasets

    loaded = datasets.load_dataset(str(demo), "tw_ehospital", cache_dir=str(tmp_path / "hf"))["train"]
    (stored,), = dataset.to_duckdb(demo).execute("SELECT count(*) FROM qa_all WHERE site = 'tw_ehospital'").fetchall()
    assert loaded.num_rows == stored > 0
    assert set(loaded["site"]) == {"tw_ehospital"}
    assert None not in loaded["ask_year"] and min(loaded["ask_year"]) > 2000


def test_a_dataset_card_an_earlier_version_wrote_is_replaced(tmp_path):
    write_run(tmp_path, [record("1", 2018)], QA_RUN_ID="20261127T080000Z-aaaaaa")
    (tmp_path / "DATASET.md").write_text("---\nconfigs: []\n---\nold card\n", "utf-8")
    assert card.write_dataset_card(tmp_path) == tmp_path / "README.md"
    assert not (tmp_path / "DATASET.md").exists()


def test_a_card_for_a_dataset_without_records_says_so(tmp_path):
    (tmp_path / "runs").mkdir()
    path = card.write_dataset_card(tmp_path)
    meta, body = split_card(path.read_text("utf-8"))
    assert meta["size_categories"] == ["n<1K"]
    assert "No records yet." in body
    assert not list(tmp_path.glob(".*.tmp"))


def test_duplicate_questions_across_sites_are_counted_in_the_card(tmp_path):
    question = "My eyelid twitches.\nShould I worry?"
    write_run(tmp_path, [record("1", 2018, question=question), record("2", 2019, question=question.upper())],
              QA_RUN_ID="20261127T080000Z-aaaaaa")
    from qacrawler.page.sites.build import build_record
    from qacrawler.page.sites.registry import get_site

    twin = build_record(site=get_site("tw_ehospital"), source_id="7",
                        url="http://127.0.0.1/doctor/All/ShowDetail.php?q_no=7", title="眼皮跳",
                        question=question + " !",
                        ask_date=record().ask_date, crawled_at=record().crawled_at)
    write_run(tmp_path, [twin], QA_RUN_ID="20261127T080000Z-bbbbbb")
    _, body = split_card(card.write_dataset_card(tmp_path).read_text("utf-8"))
    assert "1 group holding 3 records, 1 of the groups across sites" in section(body, "Duplicates and splits")


def test_a_card_that_cannot_be_written_is_logged_and_the_manifest_still_is(tmp_path, monkeypatch, caplog):
    def broken(root):
        raise OSError("disk full")

    monkeypatch.setattr("qacrawler.crawl.extensions.manifest.write_dataset_card", broken)
    crawler = crawler_for(tmp_path)
    spider = Spider(name="doctorqna")
    with caplog.at_level(logging.WARNING):
        RunManifest(crawler).spider_closed(spider, "finished")
    manifest = json.loads((tmp_path / "runs" / "20261127T080000Z-abc123.json").read_text())
    assert manifest["finish_reason"] == "finished"
    assert any("README.md" in message and "disk full" in caplog.text for message in caplog.messages)
    assert not (tmp_path / "README.md").exists()


def test_the_card_reads_the_newest_version_of_each_record_as_the_qa_view_does(tmp_path):
    """The card queries its own `qa`, which stays within a memory budget: the same rows as to_duckdb()'s,
    for a record edited later and for one whose two versions were crawled at one instant (content_hash decides)."""
    first = [record("1", 2018), record("2", 2018)]
    second = [first[0].model_copy(update={"answer": "Hello: see a neurologist.", "content_hash": "f" * 32,
                                          "crawled_at": NOW + timedelta(days=1)}),
              first[1].model_copy(update={"answer": "Hello: rest more.", "content_hash": "0" * 32})]
    write_run(tmp_path, first, QA_RUN_ID="20261127T080000Z-aaaaaa")
    write_run(tmp_path, second, QA_RUN_ID="20261128T080000Z-bbbbbb")
    sql = "SELECT record_id, content_hash, answer FROM qa ORDER BY record_id"
    with card._bounded_duckdb(tmp_path) as con:
        newest = con.execute(sql).fetchall()
    assert newest == dataset.to_duckdb(tmp_path).execute(sql).fetchall()
    assert [answer for _, _, answer in newest] == ["Hello: see a neurologist.", "Hello: rest more."]
    _, body = split_card(card.write_dataset_card(tmp_path).read_text("utf-8"))
    assert table_rows(section(body, "Counts and coverage"))[1][:3] == ["`doctorqna`", "2", "4"]


def test_the_card_reads_files_written_before_a_column_existed(tmp_path):
    """Files that lack a column make the card read every file by column name (DuckDB's union_by_name),
    and the field counts as missing in them."""
    write_run(tmp_path, [record("1", 2018)], QA_RUN_ID="20261127T080000Z-aaaaaa")
    write_run(tmp_path, [record("2", 2019, view_count=12)], QA_RUN_ID="20261128T080000Z-bbbbbb")
    assert card._one_record_schema(tmp_path)
    older, = (tmp_path / "records").rglob("part-20261127T080000Z-aaaaaa-*.parquet")
    pq.write_table(pq.read_table(older).drop_columns(["view_count"]), older)
    assert not card._one_record_schema(tmp_path)
    _, body = split_card(card.write_dataset_card(tmp_path).read_text("utf-8"))
    assert "2 questions from 1 site" in body
    counts = section(body, "Counts and coverage")
    assert [row for row in table_rows(counts) if row[0] == "`view_count`"] == [["`view_count`", "50.0 %"]]


@settings(derandomize=True, max_examples=200, deadline=None, database=None)
@given(st.lists(st.tuples(st.integers(0, 2), st.integers(0, 8)), max_size=40), st.integers(1, 8))
def test_duplicate_counts_are_those_of_grouping_every_question(rows, chunk):
    digests = [question.to_bytes(16, "big") for _, question in rows]
    sites = [site for site, _ in rows]
    groups = defaultdict(list)
    for site, question in rows:
        groups[question].append(site)
    shared = [members for members in groups.values() if len(members) > 1]
    expected = (len(shared), sum(map(len, shared)), sum(1 for members in shared if len(set(members)) > 1))
    starts = range(0, len(rows), chunk)
    digest_chunks = pa.chunked_array([pa.array(digests[i:i + chunk], pa.binary(16)) for i in starts], pa.binary(16))
    site_chunks = pa.chunked_array([pa.array(sites[i:i + chunk], pa.int32()) for i in starts], pa.int32())
    assert card._duplicates(digest_chunks, site_chunks) == expected
