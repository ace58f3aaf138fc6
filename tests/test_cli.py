"""The command line: the demo on defaults, `parse`, and one-line errors for wrong arguments."""

from __future__ import annotations

import json
import re
import shlex
import shutil
import socket
import subprocess
import sys

import pandas as pd
import polars as pl
import pyarrow.dataset as ds
import pytest

from qacrawler.dataset.files import dataset_lock
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
    types = {row[0]: row[1]
             for row in query(f"DESCRIBE SELECT * FROM read_parquet('{glob}', hive_partitioning = true)")}
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


def test_demo_puts_every_site_under_the_same_specialty_ids(demo):
    out, _ = demo
    rows = query(f"SELECT site, specialty, count(*) FROM read_parquet('{records_glob(out)}', hive_partitioning = true) "
                 "WHERE department IS NOT NULL GROUP BY site, specialty")  # unanswered questions name no department
    by_site: dict[str, set] = {}
    for site, specialty, _ in rows:
        by_site.setdefault(site, set()).add(specialty)
    assert set(by_site) == {"adoctor", "doctorqna", "tw_ehospital"}
    assert not any(None in specialties for specialties in by_site.values()), "a department without specialty"
    shared = by_site["adoctor"] & by_site["doctorqna"] & by_site["tw_ehospital"]
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


def test_the_printed_query_runs_as_printed(demo):
    out, result = demo
    lines = result.stdout.splitlines()
    command = lines[lines.index("query it:") + 1].strip()
    assert shlex.split(command)[0] == sys.executable  # the interpreter that has DuckDB, not a bare `python`
    ran = subprocess.run(["sh", "-c", command], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert ran.returncode == 0, ran.stderr
    assert "doctorqna" in ran.stdout and "tw_ehospital" in ran.stdout


def test_each_demo_run_has_its_own_log_file(demo):
    out, result = demo
    manifests = [json.loads(path.read_text()) for path in (out / "runs").glob("*.json")]
    assert sorted(manifest["spider"] for manifest in manifests) == ["adoctor", "doctorqna", "tw_ehospital"]
    logs = [out / "runs" / f"{manifest['run_id']}.log" for manifest in manifests]
    for log in logs:
        assert log.is_file() and str(log) in result.stdout
        assert log.read_text().count("Spider closed (finished)") == 3  # one process, one log of every run
    assert all(log.samefile(logs[0]) for log in logs)


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
        (["crawl", "nosuchsite"], "unknown site 'nosuchsite'; known sites: "),
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
    result = run_cli("parse", "--site", "doctorqna", "--url", "https://doctorqna.com/en/article/1", str(page),
                     timeout=60)
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.startswith(f"{page}: not an article: ")
    assert result.stderr.strip().count("\n") == 0


def test_parse_and_sites_take_a_site_file(paths):
    smallest = paths / "smallest.toml"
    listed = run_cli("sites", str(smallest), timeout=60)
    assert listed.returncode == 0, listed.stderr
    [row] = [line.split() for line in listed.stdout.splitlines() if line.startswith("example_health ")]
    assert row[:4] == ["example_health", "en", "https://answers.example.org", str(smallest)]
    page = paths / "afile"  # no structured data: the site's parser refuses it, after the file was accepted
    parsed = run_cli("parse", "--site", str(smallest), "--url", "https://answers.example.org/questions/1", str(page),
                     timeout=60)
    assert parsed.returncode == 1 and parsed.stderr.startswith(f"{page}: not an article: "), parsed.stderr


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


@pytest.fixture(scope="module")
def paths(tmp_path_factory):
    """A file, an empty folder, a dataset with one answered record and one without any, site files, for the table
    below."""
    from tests.test_pipelines import record, write_run
    from tests.test_site_files import SMALLEST, smallest_with

    base = tmp_path_factory.mktemp("cli-table")
    (base / "afile").write_text("not a dataset")
    (base / "smallest.toml").write_text(SMALLEST)
    (base / "bad.toml").write_text(smallest_with(add='langauge = "en"\n'))
    (base / "builtin.toml").write_text(smallest_with(drop=("id",), add='id = "doctorqna"\n'))
    (base / "empty").mkdir()
    write_run(base / "dataset", [record("1")])
    write_run(base / "unanswered", [record("2", answer=None, doctor={}, department=None, reply_date=None)])
    return base


# (arguments with {base} for the `paths` folder, exit status, a part of the one line printed on stderr)
CLI_TABLE = {
    "crawl --out is a file": (["crawl", "doctorqna", "--out", "{base}/afile"], 2,
                              "--out {base}/afile is a file; give a folder"),
    "crawl --out below a file": (["crawl", "doctorqna", "--out", "{base}/afile/sub"], 2,
                                 "--out {base}/afile/sub is below {base}/afile, which is a file"),
    "demo --out is a file": (["demo", "--out", "{base}/afile"], 2, "--out {base}/afile is a file"),
    "demo --pages too many": (["demo", "--out", "{base}/new-demo", "--pages", "100000000"], 2,
                              "--pages: pages must be between 1 and 207674, not 100000000"),
    "sandbox --pages too many": (["sandbox", "--pages", "1000000"], 2, "--pages: pages must be between 1 and"),
    "report --out is a file": (["report", "{base}/dataset", "--out", "{base}/afile"], 2,
                               "--out {base}/afile is a file"),
    "export --out is a folder": (["export", "{base}/dataset", "--out", "{base}/empty"], 2,
                                 "--out {base}/empty is a folder; give a file name"),
    "export --out below a file": (["export", "{base}/dataset", "--out", "{base}/afile/x.jsonl"], 2,
                                  "--out {base}/afile is a file"),
    "export of no answered question": (["export", "{base}/unanswered"], 2,
                                       "{base}/unanswered holds no answered question to export "
                                       "(1 records, none answered)"),
    "crawl a bad site file": (["crawl", "{base}/bad.toml"], 2,
                              "{base}/bad.toml: langauge: unknown key; did you mean 'language'?"),
    "crawl a missing site file": (["crawl", "{base}/nosuch.toml"], 2,
                                  "{base}/nosuch.toml: no such site file or folder"),
    "crawl a site file of a builtin id": (["crawl", "{base}/builtin.toml"], 2,
                                          "id: 'doctorqna' is already declared by a builtin site"),
    "crawl an id walk without article_template": (["crawl", "{base}/smallest.toml", "--min-id", "1", "--max-id", "2"],
                                                  2, "site example_health has no article_template, so it cannot walk"),
    "crawl several sites without --out": (["crawl", "{base}/smallest.toml", "doctorqna"], 2,
                                          "give --out when crawling several sites (example_health, doctorqna)"),
    "crawl several sites with one --base-url": (["crawl", "{base}/smallest.toml", "doctorqna", "--out", "{base}/x",
                                                 "--base-url", "http://127.0.0.1:1"], 2,
                                                "--base-url http://127.0.0.1:1: give SITE=URL when crawling several"),
    "crawl --base-url of another site": (["crawl", "doctorqna", "--base-url", "adoctor=http://127.0.0.1:1"], 2,
                                         "--base-url adoctor=http://127.0.0.1:1: 'adoctor' is not a site of this "
                                         "crawl (doctorqna)"),
    "crawl with a bad QA_SITE_FILES": (["crawl", "doctorqna", "-s", "QA_SITE_FILES={base}/bad.toml"], 2,
                                       "{base}/bad.toml: langauge: unknown key"),
    "parse --site a bad site file": (["parse", "--site", "{base}/bad.toml", "--url", "https://x.example/1",
                                      "{base}/afile"], 2, "{base}/bad.toml: langauge: unknown key"),
    "sites of a bad site file": (["sites", "{base}/bad.toml"], 2, "{base}/bad.toml: langauge: unknown key"),
    "sites of a folder without site files": (["sites", "{base}/empty/"], 2, "holds no *.toml site file"),
    **{f"{command} on a file": ([command, "{base}/afile"], 2, "{base}/afile is not a qacrawler dataset (not a folder)")
       for command in ("runs", "report", "export", "compact", "check")},
    **{f"{command} on an empty folder": ([command, "{base}/empty"], 2,
                                         "{base}/empty is not a qacrawler dataset "
                                         "(no records/, runs/ or rejects/ inside)")
       for command in ("runs", "report", "export", "compact", "check")},
    **{f"{command} on a missing folder": ([command, "{base}/missing"], 2,
                                          "{base}/missing is not a qacrawler dataset (no such folder)")
       for command in ("runs", "report", "export", "compact", "check")},
    **{f"{command} on records/": ([command, "{base}/dataset/records"], 2, "did you mean {base}/dataset?")
       for command in ("runs", "report", "export", "compact", "check")},
}


@pytest.mark.parametrize(("args", "status", "line"), CLI_TABLE.values(), ids=CLI_TABLE.keys())
def test_cli_table_one_line_and_its_exit_status(paths, args, status, line):
    base = str(paths)
    result = run_cli(*(arg.format(base=base) for arg in args), timeout=120)
    assert result.returncode == status, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().count("\n") == 0, result.stderr
    assert line.format(base=base) in result.stderr
    assert not (paths / "empty" / ".lock").exists()  # compact refused the folder before locking it
    assert list((paths / "empty").iterdir()) == []
    assert not (paths / "new-demo").exists() and not (paths / "missing").exists()


def test_sandbox_on_a_port_in_use_says_so_with_a_hint():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_cli("sandbox", "--port", str(port), timeout=60)
    assert result.returncode == 2
    assert result.stderr == (f"qacrawler sandbox: error: cannot listen on 127.0.0.1 port {port}: "
                             "Address already in use; "
                             "Try: --port 0 (any free port)\n")


def test_an_unreachable_site_names_its_cause_in_the_summary_and_the_manifest(tmp_path):
    out = tmp_path / "typo"
    result = run_cli("crawl", "doctorqna", "--base-url", "http://127.0.0.1:1", "--out", str(out), timeout=120)
    assert result.returncode == 2
    assert f"new dataset at {out}: this is a full crawl" in result.stderr.splitlines()
    [cause] = [line.strip() for line in result.stdout.splitlines() if line.strip().startswith("site unreachable")]
    assert re.fullmatch(r"site unreachable: \d+ attempts refused the connection \(127\.0\.0\.1:1\); "
                        r"\d+ requests given up "
                        r"after retries; Try: check --base-url and that the site is up", cause), cause
    [manifest] = [json.loads(path.read_text()) for path in (out / "runs").glob("*.json")]
    failures = manifest["fetch_failures"]
    assert set(failures["causes"]) == {"refused"}
    assert failures["causes"]["refused"] == manifest["stats"]["downloader/exception_count"]
    assert failures["http_status"] == {}
    assert "query it:" not in result.stdout  # no records: the query could only fail
    runs = run_cli("runs", str(out), timeout=60)
    assert runs.returncode == 0
    header, row = runs.stdout.splitlines()
    assert header.split()[:3] == ["run", "id", "site"] and row.split()[1] == "doctorqna"


def test_an_existing_dataset_is_not_announced_as_new(paths, tmp_path):
    out = tmp_path / "dataset"
    shutil.copytree(paths / "dataset", out)
    result = run_cli("crawl", "doctorqna", "--base-url", "http://127.0.0.1:1", "--out", str(out), timeout=120)
    assert result.returncode == 2
    assert "new dataset" not in result.stderr
    assert "query it:" in result.stdout  # it holds records


def test_export_says_what_it_wrote_and_what_it_left_out(demo, tmp_path):
    out, _ = demo
    result = run_cli("export", str(out), "--out", str(tmp_path / "x.jsonl"), timeout=120)
    assert result.returncode == 0, result.stderr
    [(records, answered)] = query(f"SELECT count(DISTINCT record_id), "
                                  f"count(DISTINCT record_id) FILTER (answer IS NOT NULL) "
                                  f"FROM read_parquet('{records_glob(out)}')")
    assert result.stdout == (f"{tmp_path / 'x.jsonl'}: {answered} question/answer pairs; "
                             f"{records - answered} unanswered "
                             "questions left out (no answer to pair with)\n")
    assert len((tmp_path / "x.jsonl").read_text().splitlines()) == answered


def plain_scrapy_crawl(base_url: str, out) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "scrapy", "crawl", "doctorqna", "-a", f"base_url={base_url}",
                           "-s", f"QA_OUTPUT_DIR={out}", "-s", "LOG_LEVEL=WARNING"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)


def test_plain_scrapy_crawl_exits_2_when_a_gate_fails_and_0_when_all_pass(tmp_path, small_sandbox):
    failed = plain_scrapy_crawl("http://127.0.0.1:1", tmp_path / "unreachable")
    assert failed.returncode == 2, failed.stderr[-2000:]
    assert "gate min_records FAILED" in failed.stderr
    passed = plain_scrapy_crawl(small_sandbox.base_url, tmp_path / "sandbox")
    assert passed.returncode == 0, passed.stderr[-2000:]
    [manifest] = [json.loads(path.read_text()) for path in (tmp_path / "sandbox" / "runs").glob("*.json")]
    assert manifest["gates_passed"] and manifest["counts"]["records"] > 0
