"""What a scheduler relies on: repeatable, resumable, loud on a broken site, lossless under faults."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from qacrawler.sandbox import DoctorQnaSite, Latency, SandboxServer
from qacrawler.sandbox.faults import FaultPlan
from tests.conftest import ROOT, run_cli
from tests.test_end_to_end import assert_equal_to_ground_truth, read_records, read_rejects
from tests.test_records import hash_before_answers
from tests.test_sandbox import sitemap_lastmods


def crawl_command(server: SandboxServer, out: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "qacrawler.cli", "crawl", "doctorqna", "--base-url", server.base_url,
            "--out", str(out), "--keep-asker-names", *extra]


def wait_for_files(out: Path, count: int, process: subprocess.Popen, limit: float = 120) -> None:
    deadline = time.monotonic() + limit
    while len(list((out / "records").rglob("part-*.parquet"))) < count:
        assert process.poll() is None, "the crawl ended before it could be interrupted"
        assert time.monotonic() < deadline, "the crawl wrote too little in time"
        time.sleep(0.02)


def last_manifest(out: Path) -> dict:
    return json.loads(sorted((out / "runs").glob("*.json"))[-1].read_text())


def assert_rejects_once(site: DoctorQnaSite, server: SandboxServer, out: Path, extra_paths=()) -> None:
    urls = [row["url"] for row in read_rejects(out)]
    expected = {f"{server.base_url}/en/article/{number}" for number in site.broken()} | {
        server.base_url + path for path in extra_paths}
    assert sorted(urls) == sorted(expected), "rejects missing or repeated"


def test_sigkill_halfway_then_resume_gives_the_ground_truth_once(tmp_path):
    site = DoctorQnaSite(pages=700, seed=21)
    out, jobdir = tmp_path / "dataset", tmp_path / "job"
    with SandboxServer(site) as server:
        command = crawl_command(server, out, "--jobdir", str(jobdir), "-s", "QA_PARQUET_BATCH_ROWS=40")
        with subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) as process:
            wait_for_files(out, 30, process)
            os.kill(process.pid, signal.SIGKILL)
        stored = read_records(out)
        assert 0 < len(stored) < len(site.article_ids())
        resumed = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
        assert resumed.returncode == 0, resumed.stdout + resumed.stderr[-2000:]
        assert_equal_to_ground_truth("doctorqna", site, server.base_url, out)
        assert_rejects_once(site, server, out)
    # Every stored article the sitemap lists is skipped, not fetched again (an orphan, linked only from
    # pages that are skipped too, is not even requested).
    orphans = {f"doctorqna:{number}" for number in site.orphans()}
    listed = [row for row in stored if row["record_id"] not in orphans]
    assert last_manifest(out)["stats"]["incremental/skipped_unchanged"] >= len(listed)


def test_sigterm_stops_gracefully_and_the_next_run_completes(tmp_path):
    site = DoctorQnaSite(pages=700, seed=22)
    out, jobdir = tmp_path / "dataset", tmp_path / "job"
    with SandboxServer(site) as server:
        command = crawl_command(server, out, "--jobdir", str(jobdir), "-s", "QA_PARQUET_BATCH_ROWS=40")
        with subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                              text=True) as process:
            wait_for_files(out, 10, process)
            process.send_signal(signal.SIGTERM)
            stdout, _ = process.communicate(timeout=120)
        assert process.returncode == 2, stdout  # an interrupted run is not a trustworthy run
        assert "gate finish_reason FAILED: shutdown" in stdout
        stopped = last_manifest(out)
        assert stopped["counts"]["records"] == len(read_records(out))  # everything parsed was written
        ledger = stopped["ledger"]  # what was still queued is deferred to the resumed run, not lost
        assert ledger["unaccounted"] == 0
        assert ledger["deferred_reasons"] == {"run stopped (shutdown)": ledger["deferred"]}
        assert ledger["deferred"] > 0
        assert ledger["recorded"] + ledger["rejected"] + ledger["skipped"] + ledger["deferred"] == ledger["scheduled"]
        resumed = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
        assert resumed.returncode == 0, resumed.stdout + resumed.stderr[-2000:]
        assert_equal_to_ground_truth("doctorqna", site, server.base_url, out)
        assert_rejects_once(site, server, out)


def test_the_next_run_adds_exactly_the_new_and_edited_questions(tmp_path):
    site = DoctorQnaSite(pages=150, seed=23)
    out = tmp_path / "dataset"
    with SandboxServer(site) as server:
        first = run_cli(*crawl_command(server, out)[3:])
        assert first.returncode == 0, first.stdout + first.stderr[-2000:]
        before = {(row["record_id"], row["content_hash"]) for row in read_records(out)}
        revision = site.revise(added=5, edited=3, at=datetime.now(UTC))
        hits_before = Counter(server.hits)
        second = run_cli(*crawl_command(server, out)[3:])
        assert second.returncode == 0, second.stdout + second.stderr[-2000:]
        fetched = {path for path, count in (Counter(server.hits) - hits_before).items()
                   if path.startswith("/en/article/")}
    changed = set(revision.added_ids) | set(revision.edited_ids)
    assert fetched == {f"/en/article/{number}" for number in changed}
    added_rows = {(row["record_id"], row["content_hash"]) for row in read_records(out)} - before
    assert sorted(int(record_id.split(":")[1]) for record_id, _ in added_rows) == sorted(changed)
    latest = {}
    for row in sorted(read_records(out), key=lambda row: row["crawled_at"]):
        latest[row["source_id"]] = row
    for number in revision.edited_ids:
        assert latest[str(number)]["answer"] == site.truth(number)["answer"]
        assert latest[str(number)]["title"] == site.truth(number)["title"]
    assert last_manifest(out)["counts"]["records"] == len(changed)


def test_a_dataset_written_before_answers_sees_no_page_as_edited(tmp_path):
    """0.3.0 added `answers`: a record with one reply hashes as before, so re-fetching every page of a dataset
    whose files 0.2.0 wrote adds no row."""
    site = DoctorQnaSite(pages=60, seed=31)
    out = tmp_path / "dataset"
    with SandboxServer(site) as server:
        first = run_cli(*crawl_command(server, out)[3:])
        assert first.returncode == 0, first.stdout + first.stderr[-2000:]
        for path in (out / "records").rglob("*.parquet"):  # as 0.2.0 wrote them: its columns and its hash
            table = pq.read_table(path).drop_columns(["answers", "kind"])
            hashes = pa.array([hash_before_answers(row) for row in table.to_pylist()], pa.string())
            index = table.schema.get_field_index("content_hash")
            pq.write_table(table.set_column(index, table.schema.field(index), hashes), path)
        stored = len(read_records(out))
        second = run_cli(*crawl_command(server, out, "--full")[3:])
        assert second.returncode == 0, second.stdout + second.stderr[-2000:]
    manifest = last_manifest(out)
    assert manifest["stats"]["dedupe/duplicate"] == stored and "dedupe/unique" not in manifest["stats"]
    assert manifest["counts"]["records"] == 0 and len(read_records(out)) == stored


def crawl_and_fetched(site: DoctorQnaSite, server: SandboxServer, out: Path) -> set[int]:
    """One crawl of the site; the article ids it fetched."""
    hits_before = Counter(server.hits)
    result = run_cli(*crawl_command(server, out)[3:])
    assert result.returncode == 0, result.stdout + result.stderr[-2000:]
    paths = (Counter(server.hits) - hits_before).keys()
    return {int(path.rsplit("/", 1)[1]) for path in paths if path.startswith("/en/article/")}


def assert_latest_rows_are_the_truth(site: DoctorQnaSite, out: Path, numbers) -> dict[int, dict]:
    latest = {}
    for row in sorted(read_records(out), key=lambda row: row["crawled_at"]):
        latest[int(row["source_id"])] = row
    for number in numbers:
        assert (latest[number]["title"], latest[number]["answer"]) == (
            site.truth(number)["title"], site.truth(number)["answer"]), number
    return latest


def test_a_date_only_sitemap_still_yields_edits_made_the_day_of_the_last_crawl(tmp_path):
    site = DoctorQnaSite(pages=150, seed=26, lastmod="date")
    out = tmp_path / "dataset"
    with SandboxServer(site) as server:
        crawl_and_fetched(site, server, out)
        first = site.revise(added=5, edited=3, at=datetime.now(UTC))  # same calendar day as the crawl
        assert crawl_and_fetched(site, server, out) == set(first.added_ids) | set(first.edited_ids)
        # Edited again that day: the sitemap still says today, as it did when we fetched them.
        again = first.edited_ids[:2]
        skip = {*site.broken(), *site.orphans(), *first.edited_ids, *first.added_ids}
        untouched = next(n for n in site.article_ids() if n not in skip)
        second = site.revise(added=0, edited=[*again, untouched], at=datetime.now(UTC) + timedelta(seconds=1))
        fetched = crawl_and_fetched(site, server, out)
    assert set(second.edited_ids) <= fetched
    # The rest fetched again only because their date-only lastmod is recent enough to hide a later edit.
    recent = {n for n, lastmod in sitemap_lastmods(site).items()
              if date.fromisoformat(lastmod) >= datetime.now(UTC).date() - timedelta(days=2)}
    assert fetched - set(second.edited_ids) <= recent
    assert_latest_rows_are_the_truth(site, out, set(first.edited_ids) | {untouched})
    assert read_unchanged_fetch_ids(out), "unchanged refetches are remembered"


def test_a_site_clock_ten_minutes_behind_ours_loses_no_edit(tmp_path):
    site = DoctorQnaSite(pages=150, seed=27, clock_offset=timedelta(minutes=-10))
    out = tmp_path / "dataset"
    with SandboxServer(site) as server:
        crawl_and_fetched(site, server, out)
        # The edits' lastmod, by the site's clock, is earlier than our first crawl's crawled_at.
        revision = site.revise(added=4, edited=3, at=datetime.now(UTC))
        assert crawl_and_fetched(site, server, out) == set(revision.added_ids) | set(revision.edited_ids)
    latest = assert_latest_rows_are_the_truth(site, out, revision.edited_ids)
    lastmods = sitemap_lastmods(site)
    assert {n: latest[n]["source_lastmod"] for n in revision.edited_ids} == {
        n: lastmods[n] for n in revision.edited_ids}  # the site's own stamps, kept as written


class LateSitemap(Latency):
    """The sitemap answers a second late, so every listing has linked every article before it arrives."""

    def delay(self, url: str, attempt: int) -> float:
        return 1.0 if url == "/sitemap.xml" else 0.0


def test_edited_articles_linked_before_a_late_sitemap_are_still_fetched(tmp_path):
    """A link carries no lastmod, so the incremental rule cannot tell an edited article linked from a
    listing from an unchanged one: linked articles wait for the sitemap, whose entries say which changed."""
    site = DoctorQnaSite(pages=150, seed=28)
    out = tmp_path / "dataset"
    with SandboxServer(site) as server:
        crawl_and_fetched(site, server, out)
        revision = site.revise(added=4, edited=5, at=datetime.now(UTC))
        server.latency = LateSitemap()
        assert crawl_and_fetched(site, server, out) == set(revision.added_ids) | set(revision.edited_ids)
        stats = last_manifest(out)["stats"]
    assert stats["spider/link_in_sitemap"] > 0 and stats.get("incremental/repeat_request", 0) == 0
    assert_latest_rows_are_the_truth(site, out, revision.edited_ids)


def read_unchanged_fetch_ids(out: Path) -> list[str]:
    files = sorted((out / "unchanged").glob("*.parquet"))
    return [row for path in files for row in pq.read_table(path).column("record_id").to_pylist()]


def test_renamed_labels_fail_the_run_by_gate_name(tmp_path):
    site = DoctorQnaSite(pages=60, seed=24, labels="renamed")
    out = tmp_path / "dataset"
    with SandboxServer(site) as server:
        result = run_cli(*crawl_command(server, out)[3:])
    assert result.returncode == 2, result.stdout
    assert "gate min_records FAILED: 0 (threshold 1)" in result.stdout
    assert "gate max_reject_ratio FAILED: 1.0" in result.stdout
    assert not list((out / "records").rglob("*.parquet")), "no empty columns written"
    assert not last_manifest(out)["gates_passed"]


def test_a_faulty_site_loses_nothing_and_repeats_nothing(tmp_path):
    site = DoctorQnaSite(pages=150, seed=25)
    plan = FaultPlan(seed=3, server_error=0.06, too_many_requests=0.06, slow=0.03, drop=0.04, truncate=0.04,
                     malformed=0.03, slow_seconds=2.0)
    out = tmp_path / "dataset"
    with SandboxServer(site, faults=plan) as server:
        result = run_cli(*crawl_command(server, out, "-s", "DOWNLOAD_TIMEOUT=1", "--gate", "max_reject_ratio=0.2")[3:])
        injected = Counter(server.faults_injected)
        malformed = set(server.malformed_paths())
    assert result.returncode == 0, result.stdout + result.stderr[-2000:]
    assert {"server_error", "too_many_requests", "slow", "drop", "truncate", "malformed"} <= set(injected)
    rows = read_records(out)
    ids = [row["record_id"] for row in rows]
    assert len(ids) == len(set(ids)), "an article was written twice"
    good = {number for number in site.article_ids() if number not in site.broken()}
    malformed_ids = {int(path.rsplit("/", 1)[1]) for path in malformed}
    assert {int(row["source_id"]) for row in rows} == good - malformed_ids
    assert_rejects_once(site, server, out, extra_paths=malformed)
    for row in read_rejects(out):
        assert row["stage"] in ("parse", "validate") and row["reasons"]
    manifest = last_manifest(out)
    assert manifest["stats"].get("retry/count", 0) > 0
