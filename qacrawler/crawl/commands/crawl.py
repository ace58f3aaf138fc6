"""`scrapy crawl` exiting as `qacrawler crawl` does: a scheduler sees a failed quality gate (2) or a crawl that
ended without a manifest (1), where Scrapy's own command exits 0 whenever the crawl started."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from scrapy.commands.crawl import Command as ScrapyCrawlCommand

from qacrawler.crawl.run import output_dir, run_id
from qacrawler.dataset.files import RUNS

if TYPE_CHECKING:
    import argparse

    from scrapy.crawler import Crawler


class Command(ScrapyCrawlCommand):
    crawler: Crawler | None = None

    def _create_crawler(self, spname: Any) -> Crawler:
        self.crawler = super()._create_crawler(spname)
        return self.crawler

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        super().run(args, opts)
        if self.exitcode or self.crawler is None or self.crawler.spider is None:
            return
        manifest = output_dir(self.crawler) / RUNS / f"{run_id(self.crawler)}.json"
        if not manifest.exists():
            self.exitcode = 1
        elif not json.loads(manifest.read_text("utf-8"))["gates_passed"]:
            self.exitcode = 2
