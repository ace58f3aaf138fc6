"""Shared fixtures: a sandbox site served on 127.0.0.1 and running the command line in a subprocess."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from qacrawler.sandbox import DoctorQnaSite, SandboxServer

ROOT = Path(__file__).resolve().parents[1]


def run_cli(*args: str, timeout: float = 300, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    """Each crawl gets its own process: Scrapy's reactor cannot restart within one."""
    return subprocess.run([sys.executable, "-m", "qacrawler.cli", *args], capture_output=True, text=True,
                          timeout=timeout, cwd=cwd)


def query(sql: str) -> list[tuple]:
    """DuckDB 2 relations keep no results; a fresh connection's fetchall() does."""
    return duckdb.connect().execute(sql).fetchall()


def records_glob(out: Path) -> str:
    return (out / "records" / "**" / "*.parquet").as_posix()


@pytest.fixture(scope="session")
def small_site() -> DoctorQnaSite:
    return DoctorQnaSite(pages=150, seed=11)


@pytest.fixture(scope="session")
def small_sandbox(small_site: DoctorQnaSite) -> Iterator[SandboxServer]:
    with SandboxServer(small_site) as server:
        yield server
