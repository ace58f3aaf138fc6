"""A run resumed from a JOBDIR is judged with the run it resumes: its own sample is biased, the chain's is not."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

from scrapy import Spider
from scrapy.pqueues import _path_safe

from qacrawler.crawl import gates
from qacrawler.crawl.extensions.manifest import RunManifest
from qacrawler.crawl.extensions.resume import STATE_FILE, ResumedRun, combine, written_counts
from qacrawler.sandbox import DoctorQnaSite, SandboxServer
from tests.conftest import run_cli
from tests.test_pipelines import crawler_for, record, write_run

PREVIOUS, CURRENT = "20261127T080000Z-aaaaaa", "20261127T090000Z-bbbbbb"
GATES = {"min_records": 1, "max_reject_ratio": 0.05, "coverage": {"answer": 0.9}}


def previous_run(root, jobdir, finish_reason, stats):
    (root / "runs").mkdir(parents=True, exist_ok=True)
    if finish_reason is not None:  # None: killed, no manifest
        (root / "runs" / f"{PREVIOUS}.json").write_text(json.dumps(
            {"run_id": PREVIOUS, "finish_reason": finish_reason, "stats": stats}))
    jobdir.mkdir()
    (jobdir / STATE_FILE).write_text(json.dumps({"run_id": PREVIOUS, "earlier": {}}))


def finish_run(root, jobdir, own_stats, gates_thresholds=GATES):
    crawler = crawler_for(root, QA_RUN_ID=CURRENT, JOBDIR=str(jobdir), QA_GATES=gates_thresholds, QA_GATES_BY_SITE={})
    extension = ResumedRun.from_crawler(crawler)
    manifest = RunManifest.from_crawler(crawler)
    extension.spider_opened()
    for key, value in own_stats.items():
        crawler.stats.set_value(key, value)
    return manifest.manifest(Spider(name="doctorqna"), "finished")


def gate(manifest, name):
    return next(result for result in manifest["gates"] if result["name"] == name)


# The resumed run's own sample: 40 records, 4 rejects: a ratio of 0.09, over the 0.05 gate.
OWN = {"validate/passed": 40, "rejects/stage/parse": 4, "coverage/answer": 38}


def test_own_sample_fails_but_the_chain_passes(tmp_path):
    root, jobdir = tmp_path / "dataset", tmp_path / "job"
    previous_run(root, jobdir, "shutdown", {"validate/passed": 300, "rejects/stage/parse": 6, "coverage/answer": 290,
                                            "finish_reason": "shutdown"})
    assert not all(result.passed for result in gates.evaluate(OWN, GATES))
    manifest = finish_run(root, jobdir, OWN)
    assert manifest["resumes"] == PREVIOUS
    assert gate(manifest, "max_reject_ratio")["figure"] == round(10 / 350, 4)
    assert gate(manifest, "min_records")["figure"] == 340
    assert gate(manifest, "coverage.answer")["figure"] == round(328 / 340, 4)
    assert manifest["gates_passed"] is True
    assert manifest["counts"]["rejects"] == 0 and manifest["stats"]["validate/passed"] == 40  # own figures stay its own


def test_the_chain_fails_when_the_combined_figures_fail(tmp_path):
    root, jobdir = tmp_path / "dataset", tmp_path / "job"
    previous_run(root, jobdir, "shutdown", {"validate/passed": 30, "rejects/stage/parse": 6, "coverage/answer": 30})
    manifest = finish_run(root, jobdir, OWN)
    assert manifest["resumes"] == PREVIOUS
    assert gate(manifest, "max_reject_ratio") == {"name": "max_reject_ratio", "passed": False,
                                                  "figure": round(10 / 80, 4), "threshold": 0.05}
    assert manifest["gates_passed"] is False


def test_a_killed_run_counts_with_the_records_it_finished(tmp_path):
    root, jobdir = tmp_path / "dataset", tmp_path / "job"
    write_run(root, [record("1"), record("2"), record("3", answer=None)], QA_RUN_ID=PREVIOUS)
    previous_run(root, jobdir, None, {})
    assert written_counts(root, PREVIOUS)["validate/passed"] == 3
    assert written_counts(root, PREVIOUS)["coverage/answer"] == 2
    assert written_counts(root, PREVIOUS)["coverage/asker.gender"] == 3
    # The resumed run skips the 3 stored records and fetches the broken page again: alone 1 reject in 3.
    own = {"validate/passed": 2, "rejects/stage/parse": 1, "coverage/answer": 2, "incremental/skipped_unchanged": 3}
    thresholds = {**GATES, "max_reject_ratio": 0.2, "coverage": {"answer": 0.75}}
    assert not all(result.passed for result in gates.evaluate(own, thresholds))
    manifest = finish_run(root, jobdir, own, thresholds)
    assert manifest["resumes"] == PREVIOUS
    assert gate(manifest, "max_reject_ratio")["figure"] == round(1 / 6, 4)
    assert gate(manifest, "min_records")["figure"] == 5  # the 3 skipped are the killed run's, counted once
    assert gate(manifest, "coverage.answer")["figure"] == 0.8
    assert manifest["gates_passed"] is True


def test_after_a_finished_run_the_next_run_is_judged_alone_and_records_itself(tmp_path):
    root, jobdir = tmp_path / "dataset", tmp_path / "job"
    previous_run(root, jobdir, "finished", {"validate/passed": 3000, "rejects/stage/parse": 0, "coverage/answer": 3000})
    manifest = finish_run(root, jobdir, OWN)
    assert manifest["resumes"] is None
    assert gate(manifest, "max_reject_ratio")["figure"] == round(4 / 44, 4)
    assert manifest["gates_passed"] is False
    # Written when the run opened, so a kill -9 cannot lose which run the next one resumes.
    assert json.loads((jobdir / STATE_FILE).read_text()) == {"run_id": CURRENT, "earlier": {}}


def test_a_chain_of_three_adds_up_and_keeps_the_first_runs_unchanged_skips():
    first = {"validate/passed": 10, "rejects/stage/parse": 1, "incremental/skipped_unchanged": 100}
    second = {"validate/passed": 20, "rejects/stage/fetch": 2, "incremental/skipped_unchanged": 110}
    third = {"validate/passed": 30, "incremental/skipped_unchanged": 130}
    assert combine(combine(first, second), third) == {
        "validate/passed": 60, "rejects/stage/parse": 1, "rejects/stage/fetch": 2, "incremental/skipped_unchanged": 100}


def test_a_queue_file_a_kill_left_without_its_header_does_not_break_the_resumed_run(tmp_path):
    """SIGKILL between creating a priority's queue file and writing its header left a zero-length file; the
    resumed run's first request of that priority failed in Scrapy's scheduler and the run ended with an ERROR."""
    site = DoctorQnaSite(pages=40, seed=4)
    out, jobdir = tmp_path / "dataset", tmp_path / "job"
    with SandboxServer(site) as server:
        slot = jobdir / "requests.queue" / _path_safe(urlsplit(server.base_url).hostname)
        slot.mkdir(parents=True)
        (jobdir / "requests.queue" / "active.json").write_text("{}")
        for priority in ("0", "-1", "-2"):
            (slot / priority).write_bytes(b"")
        result = run_cli("crawl", "doctorqna", "--base-url", server.base_url, "--out", str(out), "--jobdir",
                         str(jobdir), timeout=120)  # before the fix the run never ended
    assert result.returncode == 0, result.stdout + result.stderr[-2000:]
    manifest = json.loads(sorted((out / "runs").glob("*.json"))[-1].read_text())
    assert manifest["stats"]["resume/headless_queue_files_removed"] == 3
    assert manifest["stats"].get("log_count/ERROR", 0) == 0
