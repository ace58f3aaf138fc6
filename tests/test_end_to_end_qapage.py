"""A site declared by a site file alone, with no code: the structured-data sandbox (qacrawler/sandbox/qapage.py,
declared by qacrawler/sandbox/qapage.toml) crawled beside doctorqna, tw_ehospital and adoctor into one dataset.
Its rows equal the ground truth field by field, every reply of a multi-answer page present, names and contact
details masked; and what a scheduled job relies on holds for it as for the built-in sites: incremental runs,
resume after SIGKILL, gates, FAQ pairs kept on request."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections import Counter
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path

import pytest

from qacrawler.sandbox import AdoctorSite, DoctorQnaSite, SandboxServer, TwEHospitalSite
from qacrawler.sandbox.qapage import QAPageSite
from tests.conftest import ROOT, query, records_glob, run_cli
from tests.test_end_to_end import read_records, read_rejects
from tests.test_scheduled_runs import last_manifest, wait_for_files

SITE_FILE = ROOT / "qacrawler" / "sandbox" / "qapage.toml"
SITE_ID = "healthanswers"
ARTICLE_PREFIX = "/questions/"


def expected_record(site: QAPageSite, base_url: str, number: int, *, keep_names: bool) -> dict:
    """The ground truth as a dataset row: paths made absolute on the mirror's address."""
    row = site.expected_row(number, keep_names=keep_names)
    row["url"] = base_url + row.pop("path")
    row["answers"] = [{**answer, "author_url": base_url + answer["author_url"] if answer["author_url"] else None}
                      for answer in row["answers"]]
    return row


def assert_rows_are_the_truth(site: QAPageSite, base_url: str, out: Path, *, keep_names: bool) -> None:
    """Every question of the site once, every field equal to the truth; a failure names article and field."""
    latest: dict[str, dict] = {}
    for row in sorted((row for row in read_records(out) if row["site"] == SITE_ID), key=lambda row: row["crawled_at"]):
        latest[row["record_id"]] = row
    assert sorted(latest) == sorted(f"{SITE_ID}:{number}" for number in site.question_ids()), "missing or extra"
    mismatches = []
    for number in site.question_ids():
        row = latest[f"{SITE_ID}:{number}"]
        for field, value in expected_record(site, base_url, number, keep_names=keep_names).items():
            if row[field] != value:
                mismatches.append(f"article {number} ({site.style(number)}) {field}: got {row[field]!r}, "
                                  f"expected {value!r}")
    assert not mismatches, f"{len(mismatches)} mismatches, first ones:\n" + "\n".join(mismatches[:10])


def crawl_site_file(server: SandboxServer, out: Path, *extra: str, site_file: Path = SITE_FILE):
    return run_cli("crawl", str(site_file), "--base-url", server.base_url, "--out", str(out), *extra)


def article_hits(hits: Counter) -> Counter:
    return Counter({path: count for path, count in hits.items() if path.startswith(ARTICLE_PREFIX)})


@pytest.fixture(scope="module")
def qapage_site() -> QAPageSite:
    return QAPageSite(pages=240, seed=11)


@pytest.fixture(scope="module")
def four_sites(qapage_site, tmp_path_factory):
    """One `qacrawler crawl` of the site file and the three built-in sites, each on its own mirror."""
    out = tmp_path_factory.mktemp("four") / "dataset"
    sites = {SITE_ID: qapage_site, "doctorqna": DoctorQnaSite(pages=40, seed=3),
             "tw_ehospital": TwEHospitalSite(pages=40, seed=3), "adoctor": AdoctorSite(pages=40, seed=3)}
    with ExitStack() as stack:
        servers = {name: stack.enter_context(SandboxServer(site)) for name, site in sites.items()}
        arguments = ["crawl", str(SITE_FILE), "doctorqna", "tw_ehospital", "adoctor", "--out", str(out)]
        for name, server in servers.items():
            arguments += ["--base-url", f"{name}={server.base_url}"]
        result = run_cli(*arguments)
        hits = Counter(servers[SITE_ID].hits)
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    return out, {name: server.base_url for name, server in servers.items()}, sites, hits


def test_the_site_files_rows_equal_the_ground_truth_field_by_field(qapage_site, four_sites):
    out, base_urls, _, _ = four_sites
    assert_rows_are_the_truth(qapage_site, base_urls[SITE_ID], out, keep_names=False)


def test_every_reply_of_a_multi_answer_page_is_in_the_dataset(qapage_site, four_sites):
    out = four_sites[0]
    replies = dict(query(f"SELECT source_id, len(answers) FROM read_parquet('{records_glob(out)}', "
                         f"hive_partitioning = true) WHERE site = '{SITE_ID}'"))
    expected = {str(number): len(qapage_site.truth(number)["answers"]) for number in qapage_site.question_ids()}
    assert replies == expected
    assert max(expected.values()) >= 4 and sum(count >= 2 for count in expected.values()) >= 50


def test_the_four_sites_are_one_table(four_sites):
    out, _, sites, _ = four_sites
    counts = dict(query(f"SELECT site, count(*) FROM read_parquet('{records_glob(out)}', hive_partitioning = true) "
                        "GROUP BY site"))
    good = {name: len([number for number in site.article_ids() if number not in site.broken()])
            for name, site in sites.items()}
    assert counts == good
    versions = query(f"SELECT DISTINCT parser_version, kind FROM read_parquet('{records_glob(out)}', "
                     f"hive_partitioning = true) WHERE site = '{SITE_ID}'")
    assert versions == [(f"{SITE_ID}/qapage-1.0+1", "question")]


def test_faq_and_editorial_pages_are_rejects_with_their_reason(qapage_site, four_sites):
    out, base_urls, _, _ = four_sites
    rejects = {row["url"]: row for row in read_rejects(out) if row["site"] == SITE_ID}
    assert sorted(rejects) == sorted(f"{base_urls[SITE_ID]}/questions/{number}" for number in qapage_site.refused())
    for number, reason in qapage_site.refused().items():
        (written,) = rejects[f"{base_urls[SITE_ID]}/questions/{number}"]["reasons"]
        assert written.startswith("FAQPage") == reason.startswith("FAQPage"), (number, written)


def test_no_planted_name_or_contact_detail_reaches_the_dataset(qapage_site, four_sites):
    out = four_sites[0]
    rows = {row["source_id"]: row for row in read_records(out) if row["site"] == SITE_ID}
    checked = 0
    for number in qapage_site.question_ids():
        text = json.dumps(rows[str(number)], default=str)
        for _, value in qapage_site.planted_pii(number):
            assert value not in text, (number, value)
            checked += 1
        for name in qapage_site.planted_names(number):
            assert name not in text, (number, name)
            checked += 1
    assert checked >= 20


def test_each_article_was_fetched_once_at_its_canonical_url(qapage_site, four_sites):
    hits = four_sites[3]
    assert hits["/robots.txt"] == 1 and hits["/sitemap.xml"] == 1
    assert article_hits(hits) == Counter({f"/questions/{number}": 1 for number in qapage_site.article_ids()})


def test_the_next_run_adds_exactly_the_new_and_edited_questions(tmp_path):
    site = QAPageSite(pages=120, seed=23)
    out = tmp_path / "dataset"
    with SandboxServer(site) as server:
        first = crawl_site_file(server, out)
        assert first.returncode == 0, first.stdout + first.stderr[-2000:]
        before = {(row["record_id"], row["content_hash"]) for row in read_records(out)}
        unanswered = {row["source_id"] for row in read_records(out) if row["answer"] is None}
        revision = site.revise(added=4, edited=8, at=datetime.now(UTC))
        hits_before = Counter(server.hits)
        second = crawl_site_file(server, out)
        assert second.returncode == 0, second.stdout + second.stderr[-2000:]
        fetched = article_hits(Counter(server.hits) - hits_before)
        assert_rows_are_the_truth(site, server.base_url, out, keep_names=False)
    changed = set(revision.added_ids) | set(revision.edited_ids)
    assert revision.answered_ids, "no edit added a reply: the test would not show replies are hashed"
    # Unanswered questions are fetched again each run until a reply comes (as for every site).
    assert set(fetched) == {f"/questions/{number}" for number in changed | {int(number) for number in unanswered}}
    added = {(row["record_id"], row["content_hash"]) for row in read_records(out)} - before
    assert sorted(int(record_id.split(":")[1]) for record_id, _ in added) == sorted(
        number for number in changed if number in site.question_ids())
    assert last_manifest(out)["ledger"]["unaccounted"] == 0


def test_sigkill_halfway_then_resume_gives_the_ground_truth_once(tmp_path):
    site = QAPageSite(pages=500, seed=21)
    out, jobdir = tmp_path / "dataset", tmp_path / "job"
    with SandboxServer(site) as server:
        command = ["crawl", str(SITE_FILE), "--base-url", server.base_url, "--out", str(out), "--jobdir",
                   str(jobdir), "-s", "QA_PARQUET_BATCH_ROWS=40"]
        with subprocess.Popen([sys.executable, "-m", "qacrawler.cli", *command], cwd=ROOT, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL) as process:
            wait_for_files(out, 3, process)
            os.kill(process.pid, signal.SIGKILL)
        assert 0 < len(read_records(out)) < len(site.question_ids())
        resumed = run_cli(*command)
        assert resumed.returncode == 0, resumed.stdout + resumed.stderr[-2000:]
        assert_rows_are_the_truth(site, server.base_url, out, keep_names=False)
    ids = [row["record_id"] for row in read_records(out)]
    assert len(ids) == len(set(ids)), "a record was written twice"


def test_a_gate_fails_the_run_of_a_site_file_site(tmp_path):
    with SandboxServer(QAPageSite(pages=60, seed=5)) as server:
        result = crawl_site_file(server, tmp_path / "dataset", "--gate", "max_reject_ratio=0.001")
    assert result.returncode == 2, result.stdout + result.stderr[-2000:]
    assert "gate max_reject_ratio FAILED" in result.stdout


def test_a_site_file_that_keeps_faq_pairs_stores_them_as_faq_records(tmp_path):
    site = QAPageSite(pages=200, seed=11)
    site_file = tmp_path / "faq.toml"
    site_file.write_text(SITE_FILE.read_text(encoding="utf-8").replace('id = "healthanswers"', 'id = "healthanswers"\n'
                                                                       "keep_faq = true"), encoding="utf-8")
    out = tmp_path / "dataset"
    with SandboxServer(site) as server:
        result = crawl_site_file(server, out, site_file=site_file)
        base_url = server.base_url
    assert result.returncode == 0, result.stdout + result.stderr[-2000:]
    faq_pages = [number for number, reason in site.refused().items() if reason.startswith("FAQPage")]
    assert faq_pages
    rows = {row["source_id"]: row for row in read_records(out) if row["kind"] == "faq"}
    expected = {pair["source_id"]: pair for number in faq_pages for pair in site.faq_truth(number)}
    assert sorted(rows) == sorted(expected)
    for source_id, pair in expected.items():
        row = rows[source_id]
        assert (row["title"], row["question"], row["answer"], row["url"]) == (
            pair["title"], pair["question"], pair["answer"], base_url + pair["path"]), source_id
    editorial = {f"{base_url}/questions/{number}" for number, reason in site.refused().items()
                 if not reason.startswith("FAQPage")}
    assert {row["url"] for row in read_rejects(out)} == editorial
    assert last_manifest(out)["ledger"]["unaccounted"] == 0
