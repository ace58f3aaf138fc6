"""Scrapy's spider loader for qacrawler: one spider per registered site (qacrawler.page.sites.registry), so
``scrapy list`` and ``scrapy crawl <site>`` know every site, those of QA_SITE_MODULES and QA_SITE_FILES included."""

from __future__ import annotations

import builtins

from scrapy import Request, Spider
from scrapy.settings import BaseSettings

from qacrawler.crawl.spiders.base import spider_for
from qacrawler.page.sites.registry import all_sites, load_site_modules, register_site_files


class SiteSpiderLoader:
    def __init__(self, settings: BaseSettings):
        load_site_modules(settings.getlist("QA_SITE_MODULES"))
        register_site_files(settings.getlist("QA_SITE_FILES"))
        self._spiders: dict[str, type[Spider]] = {site.id: spider_for(site) for site in all_sites()}

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> SiteSpiderLoader:
        return cls(settings)

    def load(self, spider_name: str) -> type[Spider]:
        try:
            return self._spiders[spider_name]
        except KeyError:
            raise KeyError(f"Spider not found: {spider_name}") from None

    def list(self) -> builtins.list[str]:
        return sorted(self._spiders)

    def find_by_request(self, request: Request) -> builtins.list[str]:
        return [name for name, spider in self._spiders.items() if spider.handles_request(request)]
