"""Parser fixture folders, shared by every site's parser tests.

tests/fixtures/<site>/<case>/: page.html (the raw page bytes), url.txt, optional content_type.txt (the
HTTP header passed to the parser) and expected.json: the record (`model_dump(mode="json")` without the
crawl's own fields, `crawled_at` and `source_lastmod`) written by hand, or `{"not_an_article": "<part of
the reason>"}`.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from qacrawler.records import QARecord

CRAWLED_AT = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
CRAWL_FIELDS = ("crawled_at", "source_lastmod")  # set by the crawl, not read from the page
RECORD_FIELDS = [name for name in QARecord.model_fields if name not in CRAWL_FIELDS]


class FixtureSet:
    def __init__(self, site: str):
        self.root = Path(__file__).parent / "fixtures" / site
        self.cases = sorted(path.name for path in self.root.iterdir() if (path / "expected.json").is_file())
        self.articles = [case for case in self.cases if "not_an_article" not in self.expected(case)]
        self.not_articles = [case for case in self.cases if "not_an_article" in self.expected(case)]

    def expected(self, case: str) -> dict[str, Any]:
        return json.loads((self.root / case / "expected.json").read_text(encoding="utf-8"))

    def url(self, case: str) -> str:
        return (self.root / case / "url.txt").read_text(encoding="utf-8").strip()

    def page(self, case: str) -> bytes:
        return (self.root / case / "page.html").read_bytes()

    def content_type(self, case: str) -> str | None:
        path = self.root / case / "content_type.txt"
        return path.read_text(encoding="utf-8").strip() if path.is_file() else None
