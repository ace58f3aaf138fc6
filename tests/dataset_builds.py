"""A small two-site dataset for the dataset-API, card, report, export and notebook tests, built once per session.

`qacrawler demo` runs in a subprocess against both sandbox sites (150 pages each). The first test module
that asks pays for the crawl (about 15 s); the others reuse the folder. Tests must not modify it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import run_cli

DEMO_PAGES = 150
DEMO_SEED = 5
_built: dict[str, Path] = {}


def demo_dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if "demo" not in _built:
        out = tmp_path_factory.getbasetemp() / "shared-demo-dataset"
        result = run_cli("demo", "--out", str(out), "--pages", str(DEMO_PAGES), "--seed", str(DEMO_SEED))
        assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
        _built["demo"] = out
    return _built["demo"]
