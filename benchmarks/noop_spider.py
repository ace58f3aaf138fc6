"""The framework's own ceiling: a Scrapy spider that fetches the pages `qacrawler crawl doctorqna` fetches,
under the same settings, and does nothing with them.

It is handed the list of pages (every page reachable on the benchmark sandbox, as
``python -m benchmarks.sandbox --urls-out`` wrote it: robots.txt, the sitemaps, the home page, the
department listings, the articles) and requests each once, articles at the same priority as
qacrawler's. Same settings as a qacrawler crawl of a loopback site (qacrawler.crawl.settings, then
QA_LOCAL_SETTINGS) and the same garbage-collector tuning (qacrawler.crawl.process.tuned_garbage_collector); no
parsing, no link extraction, no items, no pipelines, no extensions.

``python -m benchmarks.noop_spider --base-url URL --urls FILE --stats FILE [--log FILE] [-s NAME=VALUE]...``
writes the crawl's stats as JSON.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlsplit

from scrapy import Request, Spider
from scrapy.crawler import Crawler, CrawlerProcess
from scrapy.http import Response
from scrapy.settings import Settings

from qacrawler.crawl.process import tuned_garbage_collector
from qacrawler.crawl.spiders.base import user_agent


class NoopSpider(Spider):
    name = "noop"

    def __init__(self, base_url: str, paths: list[str], **kwargs):
        super().__init__(**kwargs)
        self.base_url = base_url.rstrip("/")
        self.paths = paths
        self.allowed_domains = [urlsplit(self.base_url).hostname]

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args, **kwargs) -> NoopSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        settings = crawler.settings  # what QASpider does for a loopback base_url
        if not settings.get("USER_AGENT"):
            settings.set("USER_AGENT", user_agent(settings.get("QA_CONTACT")), priority="spider")
        for name, value in settings.getdict("QA_LOCAL_SETTINGS").items():
            settings.set(name, value, priority="spider")
        return spider

    async def start(self) -> AsyncIterator[Request]:
        for path in self.paths:
            if path != "/robots.txt":  # fetched by the robots.txt middleware, as in a qacrawler crawl
                yield Request(self.base_url + path, callback=self.parse_any,
                              priority=1 if path.startswith("/en/article/") else 0)

    def parse_any(self, response: Response) -> None:
        return None


def noop_settings(log_file: Path | None) -> Settings:
    settings = Settings()
    settings.setmodule("qacrawler.crawl.settings", priority="project")
    for name in ("ITEM_PIPELINES", "DOWNLOADER_MIDDLEWARES", "EXTENSIONS"):
        settings.set(name, {}, priority="cmdline")
    if log_file is not None:
        settings.set("LOG_FILE", str(log_file), priority="cmdline")
    return settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.noop_spider")
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--urls", type=Path, required=True,
                        help="paths to fetch, one a line (python -m benchmarks.sandbox --urls-out)")
    parser.add_argument("--stats", type=Path, required=True)
    parser.add_argument("--log", type=Path)
    parser.add_argument("-s", "--set", action="append", default=[], metavar="NAME=VALUE", help="a Scrapy setting")
    args = parser.parse_args(argv)
    settings = noop_settings(args.log)
    for pair in args.set:
        name, _, value = pair.partition("=")
        settings.set(name, value, priority="cmdline")
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(NoopSpider)
    process.crawl(crawler, base_url=args.base_url, paths=args.urls.read_text().split())
    with tuned_garbage_collector():  # as a qacrawler crawl: the comparison is then of the work done per page
        process.start()
    stats = {key: value.isoformat() if hasattr(value, "isoformat") else value
             for key, value in crawler.stats.get_stats().items()}
    elapsed = crawler.stats.get_value("finish_time") - crawler.stats.get_value("start_time")
    stats["elapsed_seconds"] = elapsed.total_seconds()
    args.stats.write_text(json.dumps(stats, indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
