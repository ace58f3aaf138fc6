"""The package's layers stay apart: what a crawl imports never includes the sandbox (3,000 lines a crawl of a
real site does not need) nor the report, export and command line; the read API does not import the crawl."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT

CRAWL_PATH = [
    "qacrawler.settings", "qacrawler.crawl", "qacrawler.spiders.loader", "qacrawler.spiders.tw_ehospital",
    "qacrawler.pipelines.validate", "qacrawler.pipelines.privacy", "qacrawler.pipelines.taxonomy",
    "qacrawler.pipelines.coverage", "qacrawler.pipelines.dedupe", "qacrawler.pipelines.parquet",
    "qacrawler.extensions.manifest", "qacrawler.extensions.progress", "qacrawler.extensions.resume",
    "qacrawler.incremental", "qacrawler.request_policy", "qacrawler.retry_after", "qacrawler.charset_labels",
    "qacrawler.ledger", "qacrawler.dupefilter", "qacrawler.logformatter",
]


def imported_by(modules: list[str], setup: str = "") -> set[str]:
    code = (f"import importlib, sys\n{setup}\nfor name in {modules!r}:\n    importlib.import_module(name)\n"
            "print('\\n'.join(sorted(name for name in sys.modules if name.startswith('qacrawler'))))")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120,
                            check=True)
    return set(result.stdout.split())


def test_the_crawl_path_imports_no_sandbox_report_export_or_cli():
    loaded = imported_by(CRAWL_PATH)
    assert "qacrawler.spiders.base" in loaded  # the list above reaches the spiders
    assert not {name for name in loaded if name.startswith("qacrawler.sandbox")}
    assert not loaded & {"qacrawler.report", "qacrawler.export", "qacrawler.cli"}


def test_the_read_api_does_not_import_the_compaction_command_or_the_crawl():
    loaded = imported_by(["qacrawler.dataset"])
    assert "qacrawler.compact" not in loaded
    assert not {name for name in loaded if name.startswith(("qacrawler.spiders", "qacrawler.pipelines"))}


def test_the_cli_takes_its_errors_from_no_spider():
    source = (ROOT / "qacrawler" / "cli.py").read_text("utf-8")
    assert "from qacrawler.spiders" not in source
