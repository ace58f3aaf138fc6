"""The dataset folder under its lock: the demo clears it only holding the lock, and the next run removes what
a killed run left under hidden temporary names, never the files of a run that is still writing."""

from __future__ import annotations

import json

from qacrawler.dataset.files import dataset_lock, remove_leftovers
from tests.conftest import run_cli


def plant_leftovers(root):
    """What a SIGKILL can leave: the writer's, the manifest's and the card's temporary files, a compaction's staging."""
    paths = [
        root / "records" / "site=doctorqna" / "ask_year=2018" / ".part-20261127T080000Z-aaaaaa-00003.parquet.tmp",
        root / "rejects" / ".part-20261127T080000Z-aaaaaa.parquet.tmp",
        root / "runs" / ".20261127T080000Z-aaaaaa.json.tmp",
        root / ".README.md.tmp",
        root / ".records-compact-20261127T080000Z-bbbbbb" / "site=doctorqna" / "ask_year=2018" / "part-x.parquet",
    ]
    for path in paths:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"PAR1 half written")
    return paths


def plant_keepers(root):
    """Files that look alike but are not leftovers of this package's writers."""
    paths = [root / "records" / "site=doctorqna" / "ask_year=2018" / "part-kept.parquet", root / "notes.tmp",
             root / "runs" / ".keep", root / "exports" / ".qa-pairs.csv.tmp"]
    for path in paths:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("keep")
    return paths


def test_leftovers_of_killed_runs_are_removed_and_nothing_else(tmp_path):
    leftovers, keepers = plant_leftovers(tmp_path), plant_keepers(tmp_path)
    with dataset_lock(tmp_path):
        removed = remove_leftovers(tmp_path)
    assert len(removed) == len(leftovers)
    assert not any(path.exists() for path in leftovers)
    assert not (tmp_path / ".records-compact-20261127T080000Z-bbbbbb").exists()
    assert all(path.read_text() == "keep" for path in keepers)


def test_the_next_crawl_removes_leftovers_and_counts_them(tmp_path, small_sandbox):
    out = tmp_path / "dataset"
    leftovers = plant_leftovers(out)
    result = run_cli("crawl", "doctorqna", "--base-url", small_sandbox.base_url, "--out", str(out), "--max-pages", "5",
                     "-s", "QA_RUN_ID=after-the-kill", timeout=120)
    assert result.returncode in (0, 2), result.stderr[-2000:]  # a 5-page crawl may fail its gates; it still ran
    assert not any(path.exists() for path in leftovers)
    manifest = json.loads((out / "runs" / "after-the-kill.json").read_text())
    assert manifest["stats"]["parquet/leftovers_removed"] == len(leftovers)


def test_a_live_writers_temporary_files_are_safe_because_it_holds_the_lock(tmp_path):
    out = tmp_path / "dataset"
    live = plant_leftovers(out)  # as a running crawl holds them
    with dataset_lock(out):
        result = run_cli("crawl", "doctorqna", "--base-url", "http://127.0.0.1:9", "--out", str(out), timeout=60)
    assert result.returncode == 3
    assert all(path.exists() for path in live)


def test_demo_takes_the_lock_before_clearing_its_folder(tmp_path):
    out = tmp_path / "demo"
    out.mkdir()
    (out / ".qacrawler-demo").write_text("written by `qacrawler demo`")
    running = out / "records" / "site=doctorqna" / "ask_year=2018" / "part-of-the-running-demo.parquet"
    running.parent.mkdir(parents=True)
    running.write_text("a running demo's file")
    with dataset_lock(out):  # a demo still running in this folder
        result = run_cli("demo", "--out", str(out), "--pages", "5", timeout=120)
    assert result.returncode == 3, result.stderr
    assert "is being written by another run" in result.stderr
    assert running.read_text() == "a running demo's file"  # not deleted under the running demo
