"""Parser fixture folders of every site, found on disk: a new `tests/fixtures/<site>/` needs no code.

tests/fixtures/<site>/<case>/: page.html (the raw page bytes), url.txt, meta.json (`crawled_at`, fixed, and
`content_type`, the HTTP header passed to the parser, when the case has one) and expected.json: the record
(`model_dump(mode="json")` without the crawl's own fields, `crawled_at` and `source_lastmod`) checked by
hand against the page, or `{"not_an_article": "<part of the reason>"}`; a list of records for a page that is
several (an FAQ page whose site keeps its pairs). `qacrawler fixture save` writes such a folder.

The site of a folder is the registered site of its name, or one declared for fixtures only (tests/qapage_site.py).
A site declared by a site file keeps that file as tests/fixtures/<site>/site.toml: it is registered before its
cases are read.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from qacrawler.fixture_save import CRAWL_FIELDS, FIXTURE_CRAWLED_AT, parser_for
from qacrawler.page.records import QARecord
from qacrawler.page.sites.registry import register_site_files
from qacrawler.page.sites.site import Site
from tests.qapage_site import FIXTURE_SITES

FIXTURES_ROOT = Path(__file__).parent / "fixtures"
CRAWLED_AT = FIXTURE_CRAWLED_AT
RECORD_FIELDS = [name for name in QARecord.model_fields if name not in CRAWL_FIELDS]


@dataclass(frozen=True)
class Case:
    site: str
    name: str
    folder: Path

    @property
    def id(self) -> str:
        return f"{self.site}/{self.name}"

    @functools.cached_property
    def expected(self) -> Any:
        return json.loads((self.folder / "expected.json").read_text(encoding="utf-8"))

    @property
    def is_article(self) -> bool:
        return "not_an_article" not in self.expected

    @property
    def records(self) -> list[dict[str, Any]]:
        """The expected records: one, or a list for a page that is several."""
        expected = self.expected
        return expected if isinstance(expected, list) else [expected]

    @functools.cached_property
    def url(self) -> str:
        return (self.folder / "url.txt").read_text(encoding="utf-8").strip()

    @functools.cached_property
    def page(self) -> bytes:
        return (self.folder / "page.html").read_bytes()

    @functools.cached_property
    def meta(self) -> dict[str, Any]:
        return json.loads((self.folder / "meta.json").read_text(encoding="utf-8"))

    @property
    def content_type(self) -> str | None:
        return self.meta.get("content_type")

    @property
    def crawled_at(self) -> datetime:
        return datetime.fromisoformat(self.meta["crawled_at"])


def site_of(site_id: str) -> Site:
    """The site that parses a fixture folder: declared for fixtures only, else registered."""
    return FIXTURE_SITES.get(site_id) or parser_for(site_id)


def dumps(records: list[QARecord]) -> list[dict[str, Any]]:
    """A page's records as expected.json's."""
    return [record.model_dump(mode="json") for record in records]


def cases_of(root: Path, site: str) -> list[Case]:
    folder = root / site
    if (folder / "site.toml").is_file():
        register_site_files([folder / "site.toml"])
    return [Case(site, path.name, path) for path in sorted(folder.iterdir()) if (path / "expected.json").is_file()]


def fixture_sites(root: Path = FIXTURES_ROOT) -> list[str]:
    return sorted(path.name for path in root.iterdir() if path.is_dir() and not path.name.startswith((".", "_")))


def all_cases(root: Path = FIXTURES_ROOT) -> list[Case]:
    return [case for site in fixture_sites(root) for case in cases_of(root, site)]


class FixtureSet:
    """One site's cases by name, for the site's own tests."""

    def __init__(self, site: str):
        self.root = FIXTURES_ROOT / site
        self._cases = {case.name: case for case in cases_of(FIXTURES_ROOT, site)}
        self.cases = sorted(self._cases)
        self.articles = [name for name, case in self._cases.items() if case.is_article]
        self.not_articles = [name for name, case in self._cases.items() if not case.is_article]

    def expected(self, case: str) -> dict[str, Any]:
        return self._cases[case].expected

    def url(self, case: str) -> str:
        return self._cases[case].url

    def page(self, case: str) -> bytes:
        return self._cases[case].page

    def content_type(self, case: str) -> str | None:
        return self._cases[case].content_type
