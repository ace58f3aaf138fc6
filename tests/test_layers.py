"""The package's layers stay apart: what a crawl imports never includes the sandbox (3,000 lines a crawl of a
real site does not need) nor the report, export and command line; the read API does not import the crawl."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT

CRAWL_PATH = [
    "qacrawler.crawl.settings", "qacrawler.crawl.process", "qacrawler.crawl.spiders.loader",
    "qacrawler.crawl.spiders.tw_ehospital",
    "qacrawler.crawl.pipelines.validate", "qacrawler.crawl.pipelines.privacy", "qacrawler.crawl.pipelines.taxonomy",
    "qacrawler.crawl.pipelines.coverage", "qacrawler.crawl.pipelines.dedupe", "qacrawler.crawl.pipelines.parquet",
    "qacrawler.crawl.extensions.manifest", "qacrawler.crawl.extensions.progress", "qacrawler.crawl.extensions.resume",
    "qacrawler.crawl.incremental", "qacrawler.crawl.request_policy", "qacrawler.crawl.retry_after",
    "qacrawler.crawl.charset_labels",
    "qacrawler.crawl.ledger", "qacrawler.crawl.dupefilter", "qacrawler.crawl.logformatter",
]


def imported_by(modules: list[str], setup: str = "") -> set[str]:
    code = (f"import importlib, sys\n{setup}\nfor name in {modules!r}:\n    importlib.import_module(name)\n"
            "print('\\n'.join(sorted(name for name in sys.modules if name.startswith('qacrawler'))))")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120,
                            check=True)
    return set(result.stdout.split())


def test_the_crawl_path_imports_no_sandbox_report_export_or_cli():
    loaded = imported_by(CRAWL_PATH)
    assert "qacrawler.crawl.spiders.base" in loaded  # the list above reaches the spiders
    assert not {name for name in loaded if name.startswith("qacrawler.sandbox")}
    assert not loaded & {"qacrawler.dataset.report", "qacrawler.dataset.export", "qacrawler.cli"}


def test_the_read_api_does_not_import_the_compaction_command_or_the_crawl():
    loaded = imported_by(["qacrawler.dataset"])
    assert "qacrawler.dataset.compact" not in loaded
    assert not {name for name in loaded if name.startswith(("qacrawler.crawl.spiders", "qacrawler.crawl.pipelines"))}


def test_the_cli_takes_its_errors_from_no_spider():
    source = (ROOT / "qacrawler" / "cli.py").read_text("utf-8")
    assert "from qacrawler.crawl.spiders" not in source
