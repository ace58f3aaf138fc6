"""The command line: the demo on defaults, `parse`, and one-line errors for wrong arguments."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import polars as pl
import pyarrow.dataset as ds
import pytest

from qacrawler.dataset_files import dataset_lock
from tests.conftest import ROOT, query, records_glob, run_cli

FIXTURES = ROOT / "tests" / "fixtures" / "doctorqna"
COVERED_FIELDS = ("title", "question", "asker.gender", "asker.age_min", "asker.age_max", "ask_date", "reply_date",
                  "department", "doctor.name", "answer")


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo") / "demo"
    result = run_cli("demo", "--out", str(out), timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    return out, result


def test_demo_writes_at_least_1000_records_readable_everywhere(demo):
    out, result = demo
    glob = records_glob(out)
    [(total, unique)] = query(f"SELECT count(*), count(DISTINCT record_id) FROM read_parquet('{glob}')")
    assert total >= 1000
    assert unique == total
    types = {row[0]: row[1] for row in query(f"DESCRIBE SELECT * FROM read_parquet('{glob}', hive_partitioning = true)")}
    assert types["ask_date"] == "DATE" and types["reply_date"] == "DATE"
    assert types["crawled_at"] == "TIMESTAMP WITH TIME ZONE"
    assert types["asker"].startswith("STRUCT(") and types["doctor"].startswith("STRUCT(")
    assert types["similar_questions"].startswith("STRUCT(") and types["similar_questions"].endswith("[]")
    frame = pd.read_parquet(out / "records", partitioning=ds.partitioning(flavor="hive"))
    assert len(frame) == total
    assert str(frame["ask_date"].iloc[0].__class__.__name__) == "date"
    polars_frame = pl.read_parquet(glob, hive_partitioning=True)
    assert polars_frame.height == total
    assert polars_frame.schema["ask_date"] == pl.Date
    assert polars_frame.schema["crawled_at"] == pl.Datetime("us", "UTC")


@pytest.mark.parametrize("field", COVERED_FIELDS)
def test_demo_doctorqna_field_coverage_is_at_least_95_percent(demo, field):
    out, _ = demo
    [(share,)] = query(f"SELECT avg(CASE WHEN {field} IS NULL THEN 0 ELSE 1 END) "
                       f"FROM read_parquet('{records_glob(out)}', hive_partitioning = true) WHERE site = 'doctorqna'")
    assert share >= 0.95, f"{field} non-null in only {share:.1%} of rows"


def test_demo_puts_both_sites_under_the_same_specialty_ids(demo):
    out, _ = demo
    rows = query(f"SELECT site, specialty, count(*) FROM read_parquet('{records_glob(out)}', hive_partitioning = true) "
                 "WHERE department IS NOT NULL GROUP BY site, specialty")  # unanswered questions name no department
    by_site: dict[str, set] = {}
    for site, specialty, _ in rows:
        by_site.setdefault(site, set()).add(specialty)
    assert set(by_site) == {"doctorqna", "tw_ehospital"}
    assert None not in by_site["doctorqna"] and None not in by_site["tw_ehospital"], "a department without specialty"
    shared = by_site["doctorqna"] & by_site["tw_ehospital"]
    assert {"neurology", "obstetrics_gynecology", "otolaryngology", "pediatrics"} <= shared



def test_demo_keeps_asker_names_out_and_broken_pages_in_rejects(demo):
    out, _ = demo
    assert query(f"SELECT count(*) FROM read_parquet('{records_glob(out)}') WHERE asker.name IS NOT NULL") == [(0,)]
    rejects = query(f"SELECT url, stage, reasons FROM read_parquet('{(out / 'rejects').as_posix()}/*.parquet')")
    assert rejects
    assert all(url.startswith("http://127.0.0.1:") and reasons for url, _, reasons in rejects)


def test_demo_prints_a_summary_with_a_query_to_run(demo):
    _, result = demo
    for word in ("pages ", "records ", "rejects ", "files ", "elapsed ", "duckdb", "read_parquet"):
        assert word in result.stdout
    assert "pages" in result.stderr  # the progress line


def test_demo_replaces_its_own_output_but_not_a_foreign_folder(tmp_path):
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep me")
    result = run_cli("demo", "--out", str(foreign))
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "did not write" in result.stderr
    assert (foreign / "notes.txt").read_text() == "keep me"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["crawl", "nosuchsite"], "invalid choice"),
        (["crawl", "doctorqna", "--max-pages", "0"], "at least 1"),
        (["crawl", "doctorqna", "--base-url", "ftp://example.org"], "not an http(s) URL"),
        (["crawl", "doctorqna", "--min-id", "5"], "both the minimum and the maximum id"),
        (["crawl", "doctorqna", "--min-id", "9", "--max-id", "5"], "greater than"),
        (["sandbox", "--port", "99999"], "between 0 and 65535"),
        (["parse", "--site", "doctorqna", "/nonexistent/page.html"], "no --url given"),
        (["frobnicate"], "invalid choice"),
        (["crawl", "doctorqna", "-s", "QA_RUN_ID=../../x"], "run id '../../x' is not allowed"),
        (["crawl", "doctorqna", "-s", "QA_RUN_ID=a/b"], "is not allowed"),
    ],
)
def test_a_wrong_argument_gets_one_line_and_exit_2(args, message):
    result = run_cli(*args, timeout=60)
    assert result.returncode == 2
    assert message in result.stderr
    assert result.stderr.strip().count("\n") == 0, result.stderr
    assert "Traceback" not in result.stderr


def test_parse_prints_one_json_record_per_file():
    pages = sorted(path for path in FIXTURES.glob("*/page.html")
                   if "not_an_article" not in json.loads((path.parent / "expected.json").read_text()))
    assert len(pages) >= 3
    result = run_cli("parse", "--site", "doctorqna", *map(str, pages[:3]), timeout=60)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 3
    for line, page in zip(lines, pages[:3], strict=True):
        record = json.loads(line)
        expected = json.loads((page.parent / "expected.json").read_text())
        assert record["title"] == expected["title"]
        assert record["url"] == (page.parent / "url.txt").read_text().strip()


def test_parse_refuses_a_non_article_with_its_reason():
    page = FIXTURES / "not_found" / "page.html"
    result = run_cli("parse", "--site", "doctorqna", "--url", "https://doctorqna.com/en/article/1", str(page), timeout=60)
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.startswith(f"{page}: not an article: ")
    assert result.stderr.strip().count("\n") == 0


def test_a_second_run_on_a_locked_dataset_is_refused(tmp_path):
    out = tmp_path / "dataset"
    with dataset_lock(out):
        result = run_cli("crawl", "doctorqna", "--base-url", "http://127.0.0.1:9", "--out", str(out), timeout=60)
    assert result.returncode == 3
    assert "is being written by another run (pid " in result.stderr
    assert result.stderr.strip().count("\n") == 0
    assert not (out / "runs").exists()  # the refused run wrote nothing


def test_the_lock_is_released_when_its_holder_ends(tmp_path):
    with dataset_lock(tmp_path):
        pass
    with dataset_lock(tmp_path):
        pass


def test_report_without_its_extra_says_what_to_install(tmp_path):
    """matplotlib is the `report` extra: without it, one line naming the install, not a traceback."""
    code = ("import sys; sys.modules['matplotlib'] = None\n"
            "from qacrawler.cli import main\n"
            f"sys.exit(main(['report', {str(tmp_path)!r}]))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "qacrawler report: error: the report needs matplotlib; install it with: pip install 'qacrawler[report]'"]
