"""Responses whose declared charset is no text encoding are read with one that is, before anything reads them.

A hostile or broken page may declare ``charset=hex``, ``base64``, ``rot13``, ``undefined`` or ``idna``
in its Content-Type or ``<meta>``. Scrapy resolves such labels through Python's codec registry and
``response.text`` (and every selector, Scrapy's meta-refresh check, a reject's excerpt) then raises
LookupError or UnicodeError. The parsers decode the bytes themselves and ignore such labels
(qacrawler.page.sites.encoding.text_codec); this middleware makes Scrapy's reading agree, so the same page
parses into a record and its links are still read.
"""

from __future__ import annotations

import codecs

from scrapy.crawler import Crawler
from scrapy.http import Request, Response, TextResponse
from w3lib.encoding import html_body_declared_encoding, http_content_type_encoding, read_bom

from qacrawler.page.sites.encoding import text_codec

FALLBACK_ENCODING = "utf-8"
"""What a response is read as when none of its declared labels is usable (bad bytes become U+FFFD)."""


class CharsetLabelMiddleware:
    """Downloader middleware, placed between HTTP decompression (590) and meta refresh (580): it must see
    the decompressed body and run before anything reads ``response.text``. Counts ``charset/unusable_label``."""

    def __init__(self, crawler: Crawler):
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CharsetLabelMiddleware:
        return cls(crawler)

    def process_response(self, request: Request, response: Response) -> Response:
        if not isinstance(response, TextResponse) or read_bom(response.body)[0]:
            return response  # a byte-order mark wins over every label: Scrapy reads it first
        declared = [
            http_content_type_encoding((response.headers.get("Content-Type") or b"").decode("latin-1")),
            html_body_declared_encoding(response.body),
        ]
        declared = [label for label in declared if label]
        usable = [codec for codec in map(text_codec, declared) if codec]
        if len(usable) == len(declared):
            return response
        self.stats.inc_value("charset/unusable_label")
        encoding = usable[0] if usable else FALLBACK_ENCODING
        return response.replace(encoding=codecs.lookup(encoding).name)
