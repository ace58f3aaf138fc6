"""schema.org QAPage pages (JSON-LD, microdata, RDFa) -> QARecord: the parser of every site declared by a site
file. INTERFACE ONLY: the parser itself is being written (issue 13); the signatures below are what the site-file
loader, the CLI and the sandbox rely on."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from qacrawler.page.records import QARecord
from qacrawler.page.sites.errors import NotAnArticle

if TYPE_CHECKING:
    from qacrawler.page.sites.site import Site

PARSER_VERSION = "1.0"
SYNTAXES = ("json-ld", "microdata", "rdfa")  # what a site file may list in `syntaxes`
DEFAULT_SYNTAXES = ("json-ld", "microdata")  # RDFa is slow (15 ms a page): only when a site file asks
OVERRIDABLE_FIELDS = ("title", "question", "asker_name", "ask_date", "reply_date", "department", "doctor_name",
                      "view_count", "categories")


@dataclass(frozen=True)
class FieldRule:
    """A site file's rule for one field the structured data lacks: a CSS selector or an XPath on the page."""

    css: str | None = None
    xpath: str | None = None


@dataclass(frozen=True)
class QAPageParser:
    syntaxes: tuple[str, ...] = DEFAULT_SYNTAXES
    keep_faq: bool = False  # FAQPage pairs become records of kind "faq" instead of the page being refused
    timezone: str | None = None  # IANA zone of the site: a UTC timestamp's calendar date is taken there
    overrides: Mapping[str, FieldRule] = field(default_factory=dict)

    def parse(self, html: str | bytes, url: str, *, site: Site, crawled_at: datetime | None = None,
              content_type: str | None = None) -> QARecord | list[QARecord]:
        raise NotAnArticle("the structured-data parser is not built yet")
