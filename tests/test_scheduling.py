"""The scheduling examples in deploy/ are real configuration: checked by systemd and a cron grammar."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

DEPLOY = ROOT / "deploy"
INSTALLED_QACRAWLER = "/opt/qacrawler/.venv/bin/qacrawler"
CRON_RANGES = [(0, 59), (0, 23), (1, 31), (1, 12), (0, 7)]


def cron_field_ok(field: str, low: int, high: int) -> bool:
    for part in field.split(","):
        match = re.fullmatch(r"(\*|(\d+)(?:-(\d+))?)(?:/(\d+))?", part)
        if not match:
            return False
        start, end, step = match.group(2), match.group(3), match.group(4)
        numbers = [int(value) for value in (start, end) if value is not None]
        if any(not low <= number <= high for number in numbers) or (step is not None and int(step) == 0):
            return False
        if start is not None and end is not None and int(start) > int(end):
            return False
    return True


def test_crontab_lines_parse():
    lines = [line for line in (DEPLOY / "crontab").read_text().splitlines()
             if line.strip() and not line.startswith("#")]
    assert lines
    for line in lines:
        fields = line.split(None, 5)
        assert len(fields) == 6, f"not five schedule fields and a command: {line}"
        for field, (low, high) in zip(fields[:5], CRON_RANGES, strict=True):
            assert cron_field_ok(field, low, high), f"bad cron field {field!r} in: {line}"
        assert "%" not in fields[5], "cron turns % into a newline"
        assert "qacrawler " in fields[5]


def test_the_cron_grammar_check_can_fail():
    assert not cron_field_ok("61", 0, 59)
    assert not cron_field_ok("5-2", 0, 59)
    assert not cron_field_ok("*/0", 0, 59)
    assert cron_field_ok("*/15,30-40", 0, 59)


def test_the_crontab_commands_are_valid_qacrawler_invocations():
    from qacrawler.cli import build_parser

    for line in (DEPLOY / "crontab").read_text().splitlines():
        if line.startswith("#") or not line.strip():
            continue
        command = line.split(None, 5)[5].split("&&", 1)[1].split(">>", 1)[0].split()
        assert command[0] == INSTALLED_QACRAWLER
        build_parser().parse_args(command[1:])  # exits 2 on a wrong argument


@pytest.mark.skipif(shutil.which("systemd-analyze") is None,
                    reason="systemd-analyze not installed (.ci/run installs it)")
def test_systemd_units_verify(tmp_path):
    for unit in DEPLOY.glob("*.service"):
        text = unit.read_text().replace(INSTALLED_QACRAWLER, str(Path(sys.executable).with_name("qacrawler")))
        (tmp_path / unit.name).write_text(text)
    for unit in DEPLOY.glob("*.timer"):
        shutil.copy(unit, tmp_path / unit.name)
    result = subprocess.run(["systemd-analyze", "verify", *sorted(map(str, tmp_path.iterdir()))],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == "", result.stderr
    for unit in DEPLOY.glob("*.timer"):
        calendar = re.search(r"^OnCalendar=(.+)$", unit.read_text(), re.MULTILINE).group(1)
        check = subprocess.run(["systemd-analyze", "calendar", calendar], capture_output=True, text=True, timeout=30)
        assert check.returncode == 0, check.stderr


def test_the_service_runs_a_valid_crawl_command():
    from qacrawler.cli import build_parser

    exec_start = re.search(r"^ExecStart=(.+)$", (DEPLOY / "qacrawler-doctorqna.service").read_text(), re.MULTILINE)
    command = exec_start.group(1).split()
    assert command[0] == INSTALLED_QACRAWLER
    assert build_parser().parse_args(command[1:]).command == "crawl"
