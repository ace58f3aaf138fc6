"""A site's declaration: everything the crawl, the dataset and the sandbox ask about one site, in one object.

Adding a site is writing one (see README, "Adding a site"): the generic spider crawls it from its
``Discovery``, the incremental logic and the ledger name its records with ``record_id``, the gates and the
dataset card read their per-site parts here, and its sandbox mirror is named by import path, so the
sandbox never enters the crawl's imports.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import cached_property
from importlib import import_module
from typing import Any, Protocol
from urllib.parse import SplitResult, urlsplit

from qacrawler.page.records import QARecord
from qacrawler.page.sites.errors import NotAnArticle
from qacrawler.page.sites.fields import MAX_INT_DIGITS

MAX_ID_CHARS = 200  # a source id that is no number (an article path) longer than this is a broken or hostile link
# What a site may change of the crawl's politeness (Scrapy setting names): slower or faster within AutoThrottle's
# limits, never robots.txt or AutoThrottle itself.
POLITENESS_SETTINGS = ("DOWNLOAD_DELAY", "CONCURRENT_REQUESTS_PER_DOMAIN", "AUTOTHROTTLE_TARGET_CONCURRENCY",
                       "AUTOTHROTTLE_MAX_DELAY", "DOWNLOAD_TIMEOUT")


class PageParser(Protocol):
    """Page bytes (or text) and their URL -> a record, or a list of records for a page that holds several (an FAQ
    page kept as pairs); raises NotAnArticle (or PageMissing) otherwise."""

    def __call__(self, html: str | bytes, url: str, *, site: Site, crawled_at: datetime | None = None,
                 content_type: str | None = None) -> QARecord | list[QARecord]: ...


@dataclass(frozen=True)
class Discovery:
    """Where a crawl finds articles, as paths on the base URL. Every way is optional: a crawl also walks an id
    range (``-a min_id= -a max_id=``) and the links earlier runs stored but never fetched."""

    sitemaps: tuple[str, ...] = ()  # sitemap or sitemap index paths
    listings: tuple[str, ...] = ()  # start pages whose article links are followed
    listing_pattern: str | None = None  # further listing pages linked from a listing (regex on the path)
    article_links: bool = True  # follow article links found on article pages (similar questions)

    def describe(self, id_walk: bool = True) -> str:
        """The ways in one line; ``id_walk`` False for a site without article_template."""
        ways = [f"sitemap {path}" for path in self.sitemaps] + [f"listing {path}" for path in self.listings]
        if self.article_links:
            ways.append("article links")
        return ", ".join([*ways, "id walk"] if id_walk else ways)


@dataclass(frozen=True)
class Site:
    id: str  # the `site` column and the record_id prefix: never change it for a site with datasets
    language: str  # BCP 47, e.g. "en", "zh-Hant"
    base_url: str  # the real site; a crawl may point elsewhere with --base-url (a mirror)
    article: str  # regex on an article URL's path and query ("/a/1?x=2"): group 1 is the source id (see usable_id)
    article_template: str  # the canonical article path and query, with {id}; "" for none (see canonical_url)
    parser: PageParser
    parser_version: str  # bumped when a parser change alters records: rows differ by parser_version
    description: str  # one line for the dataset card and `qacrawler sites`
    hosts: tuple[str, ...] = ()  # hosts besides base_url's (and its www. twin) whose pages are this site's
    discovery: Discovery = Discovery()
    required_fields: tuple[str, ...] = ()  # beyond every site's (settings QA_REQUIRED_FIELDS["*"])
    gates: Mapping[str, Any] = field(default_factory=dict)  # thresholds over the defaults (settings QA_GATES)
    card_notes: tuple[str, ...] = ()  # what a dataset user must know about this site's fields
    asker_name_spans: Callable[[str], list[tuple[int, int]]] | None = None  # names in a reject's flat excerpt
    sandbox: str | None = None  # "module:Class" of its mirror (qacrawler.sandbox), for `qacrawler sandbox`
    spider: str | None = None  # "module:Class" when discovery needs code no Discovery expresses
    crawl_settings: Mapping[str, Any] = field(default_factory=dict)  # POLITENESS_SETTINGS for a real site's crawl
    source: str | None = None  # the site file that declared it; None for a declaration in Python

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[a-z][a-z0-9_]*", self.id):
            raise ValueError(f"site id {self.id!r}: lower-case letters, digits and _, starting with a letter")
        refused = sorted(set(self.crawl_settings) - set(POLITENESS_SETTINGS))
        if refused:
            raise ValueError(f"site {self.id}: crawl_settings may set only {', '.join(POLITENESS_SETTINGS)}, "
                             f"not {', '.join(refused)}")

    @cached_property
    def article_pattern(self) -> re.Pattern[str]:
        return re.compile(self.article)

    @cached_property
    def accepted_hosts(self) -> frozenset[str]:
        hosts = {urlsplit(self.base_url).hostname or "", *self.hosts}
        return frozenset(hosts | {f"www.{host}" for host in hosts} | {host.removeprefix("www.") for host in hosts})

    def at(self, base_url: str) -> Site:
        """The same site crawled at another address (a mirror, a staging host): its pages are accepted too."""
        host = urlsplit(base_url).hostname
        if not host or host in self.accepted_hosts:
            return self
        return replace(self, hosts=(*self.hosts, host))

    def is_own_url(self, url: str) -> bool:
        """On one of the site's hosts, on loopback (a mirror on this machine, never another public site), or
        relative (a link read from one of the site's pages)."""
        parts = split_url(url)
        return parts is not None and self._is_own(parts)

    def _is_own(self, parts: SplitResult) -> bool:
        host = parts.hostname or ""
        return host in self.accepted_hosts or is_loopback(host) or not (parts.scheme or parts.netloc)

    def article_match(self, url: str) -> re.Match[str] | None:
        """The article pattern's match on a URL of this site, whatever its id (a link with an id of 4,000
        digits matches); None for any other URL, another host's included."""
        parts = split_url(url) if url else None
        if parts is None or not self._is_own(parts):
            return None
        return self.article_pattern.search(path_and_query(parts))

    def source_id_from_url(self, url: str) -> str | None:
        """The article id in an article URL of this site; None for any other URL, another host's included,
        and for an id usable_id refuses (4,000 digits, a path of 5,000 characters: a broken link)."""
        return usable_id(self.article_match(url))

    def is_article_url(self, url: str) -> bool:
        return self.source_id_from_url(url) is not None

    def record_id(self, source_id: str) -> str:
        return f"{self.id}:{source_id}"

    def record_id_from_url(self, url: str) -> str | None:
        source_id = self.source_id_from_url(url)
        return self.record_id(source_id) if source_id is not None else None

    def article_path(self, source_id: str | int) -> str:
        """The article's canonical path; LookupError for a site without article_template (no id walk there)."""
        if not self.article_template:
            raise LookupError(f"site {self.id} has no article_template, so its articles cannot be walked by id")
        return self.article_template.format(id=source_id)

    def canonical_url(self, url: str) -> str:
        """The one URL of an article on the host it was found on, so links with extra parameters, another
        parameter order or a fragment do not fetch it twice; a URL that is not an article stays as it is.
        Without article_template it is the path and query up to the end of the article pattern's match."""
        match = self.article_match(url)
        source_id = usable_id(match)
        if match is None or source_id is None:
            return url
        parts = urlsplit(url)
        path = self.article_path(source_id) if self.article_template else match.string[:match.end()]
        return f"{parts.scheme}://{parts.netloc}{path}"

    def parse(self, html: str | bytes, url: str, *, crawled_at: datetime | None = None,
              content_type: str | None = None) -> QARecord:
        """The record of an article page that makes one (every page of a site that keeps no FAQ pairs)."""
        records = self.records(html, url, crawled_at=crawled_at, content_type=content_type)
        if len(records) != 1:
            raise NotAnArticle(f"the page makes {len(records)} records (FAQ pairs), not one: read it with "
                               "Site.records")
        return records[0]

    def records(self, html: str | bytes, url: str, *, crawled_at: datetime | None = None,
                content_type: str | None = None) -> list[QARecord]:
        """Every record of an article page: one, or one per pair of an FAQ page the site keeps. NotAnArticle
        for a URL of another host before the page is read, so two sites can never share a record_id (the
        parser says why any other URL is no article)."""
        if not self.is_own_url(url):
            raise NotAnArticle(f"{url[:200]} is not on {self.id}'s hosts ({', '.join(sorted(self.accepted_hosts))})")
        made = self.parser(html, url, site=self, crawled_at=crawled_at, content_type=content_type)
        if not isinstance(made, list):
            return [made]
        if not made:
            raise NotAnArticle("the parser found no record on the page")
        return made

    def sandbox_class(self) -> type:
        if self.sandbox is None:
            raise LookupError(f"site {self.id} has no sandbox mirror")
        mirror: type = import_object(self.sandbox)
        return mirror


def is_loopback(host: str) -> bool:
    """This machine: a mirror served here is never another public site."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def split_url(url: str) -> SplitResult | None:
    """The URL's parts; None for a malformed one (``http://[::1/``)."""
    try:
        return urlsplit(url)
    except ValueError:
        return None


def path_and_query(parts: SplitResult) -> str:
    """What an article pattern is matched on: "/a/1?x=2"."""
    return parts.path + (f"?{parts.query}" if parts.query else "")


def usable_id(match: re.Match[str] | None) -> str | None:
    """The source id an article pattern's match names: its group 1, or for a pattern without a group the path
    (and query, when the pattern reaches into it) up to the match's end. None without a match, for an empty
    id, for one of more than MAX_INT_DIGITS digits (no site numbers its articles so) and for any other of more
    than MAX_ID_CHARS characters or with whitespace, a control character or "#" (which marks an FAQ pair's
    record id, see page_record_id): a broken or hostile link."""
    if match is None:
        return None
    source_id = match.group(1) if match.re.groups else match.string[:match.end()]
    if not source_id:
        return None
    if source_id.isascii() and source_id.isdigit():
        return source_id if len(source_id.lstrip("0")) <= MAX_INT_DIGITS else None
    if len(source_id) > MAX_ID_CHARS or "#" in source_id or not source_id.isprintable() or " " in source_id:
        return None
    return source_id


def page_record_id(record_id: str) -> str:
    """The record id of the page a record came from: an FAQ pair's ``<site>:<page id>#<n>`` names its page's
    ``<site>:<page id>``; any other record id is its page's."""
    return record_id.partition("#")[0]


def source_id_in(pattern: re.Pattern[str], url: str) -> str | None:
    """The source id ``pattern`` finds in a URL of any host, or None."""
    parts = split_url(url)
    return usable_id(pattern.search(path_and_query(parts))) if parts is not None else None


def import_object(path: str) -> Any:
    """``"package.module:Name"`` -> the object."""
    module, _, name = path.partition(":")
    return getattr(import_module(module), name)
