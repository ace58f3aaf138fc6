"""Re-parse: records rebuilt from archived pages (WARC) with the current parsers, without a request.

A re-parse is a Scrapy run whose spider makes no request: its ``start()`` reads the archived article responses
and yields what the parse pool (qacrawler.page.pool) makes of them, so validation, privacy, dedupe, the Parquet
writer, the ledger, the run manifest and the gates apply exactly as in a crawl. Dedupe then keeps a row only
where the record changed: new content, or a new parser version.

Two sources: a dataset's own archive (``<dataset>/archive/site=<id>/*.warc.gz``, the site named by each
response's ``Qacrawler-Site`` header), and WARC files made elsewhere (``wget --warc-file``, a Common Crawl
extract), whose site is chosen by URL. Of several fetches of one article the latest (WARC-Date) is parsed.
"""

from __future__ import annotations

import asyncio
from collections import Counter, deque
from collections.abc import AsyncIterator, Iterable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from scrapy.http import TextResponse
from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed
from warcio.recordloader import ArcWarcRecord

from qacrawler.arguments import UsageError
from qacrawler.crawl.spiders.base import QASpider, page_excerpt
from qacrawler.dataset.warc import UNREADABLE, BodyTooLarge, UnreadableRecord, read_response
from qacrawler.page.pool import InvalidPage, PageOutcome, ParsePool, archived_outcomes
from qacrawler.page.records import QARecord, Reject, make_reject
from qacrawler.page.sites.errors import NotAnArticle
from qacrawler.page.sites.site import Site, is_loopback

ARCHIVE = "archive"
SITE_HEADER = "Qacrawler-Site"
LASTMOD_HEADER = "Qacrawler-Lastmod"
REQUESTED_URL_HEADER = "Qacrawler-Requested-URL"
PAGES_PER_BATCH = 16  # pages a parse worker reads and parses in one task
BATCHES_IN_FLIGHT_PER_PROCESS = 2  # a batch queued behind each one parsed: no worker waits for the spider


@dataclass(frozen=True)
class ArchivedPage:
    """Where one article response is (read again when its turn comes: a few thousand bodies are not held)."""

    site_id: str
    url: str  # the URL the crawl asked for, which the parser and the record id go by
    fetched_at: datetime
    lastmod: str | None
    path: Path
    offset: int
    length: int
    warc_file: str  # as provenance: relative to the dataset root for its own archive, else as given


@dataclass
class ArchiveScan:
    """The latest fetch of every archived article, by site and canonical URL, and what was passed over."""

    pages: dict[str, dict[str, ArchivedPage]] = field(default_factory=dict)
    skipped: Counter[str] = field(default_factory=Counter)  # reparse/<reason> -> count

    def add(self, site: Site, page: ArchivedPage) -> None:
        latest = self.pages.setdefault(site.id, {})
        key = site.canonical_url(page.url)
        if key in latest:
            self.skipped["superseded_fetches"] += 1
            if latest[key].fetched_at >= page.fetched_at:
                return
        latest[key] = page


def warc_date(record: ArcWarcRecord) -> datetime:
    text = record.rec_headers.get_header("WARC-Date") or ""
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return datetime.now(UTC)  # a record without a usable date: fetched "now" is the safe side for incremental
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def response_records(path: Path, skipped: Counter[str]) -> Iterator[tuple[ArcWarcRecord, int, int]]:
    """Each response record of a WARC file with its offset and length in the file (its body is decoded only when
    parsed: qacrawler.dataset.warc.read_response). A record that cannot be read ends the file there, counted in
    ``reparse/unreadable_records``: with one gzip member per record the ones before it are sound, and what
    follows a broken member cannot be found reliably."""
    with path.open("rb") as stream:
        records = ArchiveIterator(stream)
        try:
            for record in records:
                if record.rec_type == "revisit":
                    skipped["skipped_revisits"] += 1
                    continue
                if record.rec_type != "response":
                    continue
                yield record, records.get_record_offset(), records.get_record_length()
        except UNREADABLE:
            skipped["unreadable_records"] += 1


def check_warc_file(path: Path) -> None:
    """One line for a file that is missing or no WARC at all, before a run starts."""
    try:
        with path.open("rb") as stream:
            next(iter(ArchiveIterator(stream)), None)
    except OSError as error:
        raise UsageError(f"--warc {path}: {error.strerror or error}") from None
    except (ArchiveLoadFailed, EOFError, ValueError) as error:
        raise UsageError(f"--warc {path} is not a WARC file ({str(error).splitlines()[0][:120]})") from None


def ok_status(record: ArcWarcRecord) -> bool:
    return record.http_headers is not None and record.http_headers.get_statuscode() == "200"


def scan_archive(root: Path, sites: Iterable[Site]) -> ArchiveScan:
    """The dataset's own archive: responses name their site (``Qacrawler-Site``); only those of ``sites``."""
    wanted = {site.id: site for site in sites}
    scan = ArchiveScan()
    for path in sorted((root / ARCHIVE).glob("site=*/*.warc.gz")):
        for record, offset, length in response_records(path, scan.skipped):
            site = wanted.get(record.rec_headers.get_header(SITE_HEADER) or "")
            url = (record.rec_headers.get_header(REQUESTED_URL_HEADER)
                   or record.rec_headers.get_header("WARC-Target-URI") or "")
            if site is None:
                continue
            if not ok_status(record):
                scan.skipped["skipped_status"] += 1
            elif not site.is_article_url(url):
                scan.skipped["skipped_not_article"] += 1
            else:
                scan.add(site, ArchivedPage(site.id, url, warc_date(record),
                                            record.rec_headers.get_header(LASTMOD_HEADER), path, offset, length,
                                            str(path.relative_to(root))))
    return scan


def site_of(url: str, sites: Iterable[Site]) -> Site | None:
    """The site an article URL of a foreign WARC belongs to: its host is one of the site's, and the path is an
    article's. Loopback addresses name no site here (every site accepts them for its mirrors)."""
    host = urlsplit(url).hostname or ""
    for site in sites:
        if host in site.accepted_hosts and not is_loopback(host) and site.is_article_url(url):
            return site
    return None


def scan_warc_files(paths: Iterable[Path], sites: Iterable[Site]) -> ArchiveScan:
    """WARC files made elsewhere: no Qacrawler-* headers, the site chosen by URL (``site_of``)."""
    candidates = list(sites)
    scan = ArchiveScan()
    for path in paths:
        for record, offset, length in response_records(path, scan.skipped):
            url = record.rec_headers.get_header("WARC-Target-URI") or ""
            site = site_of(url, candidates)
            if not ok_status(record):
                scan.skipped["skipped_status"] += 1
            elif site is None:
                scan.skipped["skipped_no_site"] += 1
            else:
                scan.add(site, ArchivedPage(site.id, url, warc_date(record), None, path, offset, length, str(path)))
    return scan


def with_provenance(item: QARecord | Reject, page: ArchivedPage) -> QARecord | Reject:
    """The item with the archived fetch it came from. The warc_* fields are set where the model declares them
    (the archive adds them to QARecord and Reject)."""
    provenance = {"warc_file": page.warc_file, "warc_offset": page.offset, "warc_length": page.length}
    return item.model_copy(update={name: value for name, value in provenance.items()
                                   if name in type(item).model_fields})


class ReparseSpider(QASpider):
    """Yields the records and rejects of archived pages of its site; requests nothing. ``pages`` come from a
    scan, ``pool`` parses them (None: in this process)."""

    mode = "reparse"

    def __init__(self, pages: list[ArchivedPage], pool: ParsePool | None, skipped: Counter[str] | None = None,
                 **kwargs: Any):
        super().__init__(**kwargs)
        self.pages = pages
        self.pool = pool
        self.skipped = skipped or Counter()

    def open_parse_pool(self) -> None:
        """Its pool is ``pool``, shared by the sites of one reparse: no crawl pool is started beside it."""
        self.crawler.stats.set_value("parse_pool/processes", 0)

    async def start(self) -> AsyncIterator[Any]:  # items, not requests
        stats = self.crawler.stats
        stats.set_value("reparse/processes", self.pool.processes if self.pool else 0)
        stats.set_value("reparse/archived_articles", len(self.pages))
        for reason, count in self.skipped.items():
            stats.set_value(f"reparse/{reason}", count)
        window = BATCHES_IN_FLIGHT_PER_PROCESS * (self.pool.processes if self.pool else 1)
        in_flight: deque[tuple[list[ArchivedPage], Future[list[PageOutcome]]]] = deque()
        for start in range(0, len(self.pages), PAGES_PER_BATCH):
            batch = self.pages[start:start + PAGES_PER_BATCH]
            in_flight.append((batch, self.parse_later(batch)))
            while len(in_flight) >= window:
                for item in await self.outcomes(*in_flight.popleft()):
                    yield item
        while in_flight:
            for item in await self.outcomes(*in_flight.popleft()):
                yield item

    @property
    def max_bytes(self) -> int:
        return self.crawler.settings.getint("DOWNLOAD_MAXSIZE")

    def parse_later(self, batch: list[ArchivedPage]) -> Future[list[PageOutcome]]:
        fetches = [(page.path, page.offset, page.url, page.fetched_at) for page in batch]
        if self.pool is not None:
            return self.pool.submit_archived(self.site.id, fetches, self.max_bytes)
        done: Future[list[PageOutcome]] = Future()
        done.set_result(archived_outcomes(self.site, fetches, self.max_bytes, keep_names=self.keep_names))
        return done

    async def outcomes(self, batch: list[ArchivedPage], parsed: Future[list[PageOutcome]]) -> list[QARecord | Reject]:
        """The batch's records, and each refused page's reject as a crawl would make it (stage "parse", with an
        excerpt); a body too large or a record unreadable is skipped and counted."""
        stats = self.crawler.stats
        items: list[QARecord | Reject] = []
        done: list[PageOutcome] = await asyncio.wrap_future(parsed)
        for page, outcome in zip(batch, done, strict=True):
            if isinstance(outcome, BodyTooLarge):
                stats.inc_value("reparse/skipped_too_large")
                continue
            if isinstance(outcome, UnreadableRecord):
                stats.inc_value("reparse/unreadable_records")
                continue
            stats.inc_value("reparse/pages")
            if isinstance(outcome, (NotAnArticle, InvalidPage)):
                items.append(self.parse_reject(page, outcome))
                continue
            stats.inc_value("spider/articles_parsed")
            if len(outcome) > 1:
                stats.inc_value("spider/multi_record_pages")
            items += [with_provenance(record.model_copy(update={"source_lastmod": page.lastmod}), page)
                      for record in outcome]
        return items

    def parse_reject(self, page: ArchivedPage, error: NotAnArticle | InvalidPage) -> QARecord | Reject:
        """A refused page's reject; its excerpt from the body, read again here (refusals are few)."""
        reasons = error.reasons if isinstance(error, InvalidPage) else [error.reason]
        self.crawler.stats.inc_value("spider/reject/parse")
        try:
            body, content_type = read_response(page.path, page.offset, self.max_bytes)
            excerpt = page_excerpt(TextResponse(page.url, body=body, headers={"Content-Type": content_type}))
        except (BodyTooLarge, UnreadableRecord):
            excerpt = None
        reject = make_reject(page.url, self.site.id, "parse", reasons, excerpt, page.lastmod, page.fetched_at)
        return with_provenance(reject, page)


def reparse_spider(site: Site) -> type[ReparseSpider]:
    class_name = "".join(part.capitalize() for part in site.id.split("_")) + "ReparseSpider"
    return type(class_name, (ReparseSpider,), {"name": site.id, "site": site, "__module__": __name__})


def base_url_of(pages: list[ArchivedPage]) -> str:
    """The address most of a site's archived pages were fetched at (a mirror's, for a sandbox archive)."""
    origins = Counter(f"{urlsplit(page.url).scheme}://{urlsplit(page.url).netloc}" for page in pages)
    return origins.most_common(1)[0][0]


def reparse_jobs(scan: ArchiveScan, sites: Iterable[Site],
                 pool: ParsePool | None) -> list[tuple[type[ReparseSpider], dict[str, Any]]]:
    """One spider per site with archived articles, in file order (pages are read sequentially). The scan's skips
    are counted in the first run's stats only, so the runs' stats add up."""
    jobs: list[tuple[type[ReparseSpider], dict[str, Any]]] = []
    for site in sites:
        pages = sorted(scan.pages.get(site.id, {}).values(), key=lambda page: (str(page.path), page.offset))
        if pages:
            jobs.append((reparse_spider(site), {"pages": pages, "pool": pool,
                                                "skipped": Counter() if jobs else scan.skipped,
                                                "base_url": base_url_of(pages)}))
    return jobs
