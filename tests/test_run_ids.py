"""Run ids become file names inside the dataset (runs/<id>.json, part-<id>-*.parquet): only plain names pass."""

from __future__ import annotations

import subprocess
import sys

import pytest

from qacrawler.crawl.run import InvalidRunId, check_run_id, new_run_id
from tests.conftest import ROOT, run_cli


@pytest.mark.parametrize("text", [new_run_id(), "nightly-2026.11.30", "a", "A_1", "x" * 64])
def test_plain_names_are_run_ids(text):
    assert check_run_id(text) == text


@pytest.mark.parametrize("text", ["../../x", "..", "a..b", "a/b", "a\\b", "/etc/cron.d/x", ".hidden", "-rf", "",
                                  "a\x00b", "run id", "x" * 65, "ab\n"])
def test_paths_and_odd_names_are_refused(text):
    with pytest.raises(InvalidRunId, match="is not allowed"):
        check_run_id(text)


def test_plain_scrapy_crawl_refuses_a_path_as_run_id_before_writing_anything(tmp_path):
    out = tmp_path / "dataset" / "deep"
    result = subprocess.run(
        [sys.executable, "-m", "scrapy", "crawl", "doctorqna", "-a", "base_url=http://127.0.0.1:9",
         "-s", f"QA_OUTPUT_DIR={out}", "-s", "QA_RUN_ID=../../x"],
        cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert "run id '../../x' is not allowed" in result.stderr
    assert list(tmp_path.iterdir()) == []  # neither the dataset nor a manifest two folders up


def test_the_command_line_names_the_run_as_asked(tmp_path, small_sandbox):
    out = tmp_path / "dataset"
    result = run_cli("crawl", "doctorqna", "--base-url", small_sandbox.base_url, "--out", str(out), "--max-pages", "5",
                     "-s", "QA_RUN_ID=nightly-2026.11.30", timeout=120)
    assert result.returncode in (0, 2), result.stderr[-2000:]  # a 5-page crawl may fail its gates; it still ran
    assert [path.name for path in (out / "runs").glob("*.json")] == ["nightly-2026.11.30.json"]
