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
import zlib
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
from qacrawler.page.pool import InvalidPage, ParsePool, page_records
from qacrawler.page.records import QARecord, Reject, make_reject
from qacrawler.page.sites.errors import NotAnArticle
from qacrawler.page.sites.site import Site, is_loopback

ARCHIVE = "archive"
SITE_HEADER = "Qacrawler-Site"
LASTMOD_HEADER = "Qacrawler-Lastmod"
REQUESTED_URL_HEADER = "Qacrawler-Requested-URL"
PAGES_IN_FLIGHT_PER_PROCESS = 8  # enough queued pages that no worker waits for the reader
UNREADABLE = (ArchiveLoadFailed, OSError, EOFError, ValueError, zlib.error)  # a damaged gzip member or body


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
    parsed: ``read_response``). A record that cannot be read ends the file there, counted in
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


class BodyTooLarge(ValueError):
    """A decoded body over DOWNLOAD_MAXSIZE: a crawl would have refused it (a foreign WARC may hold anything)."""


def read_response(page: ArchivedPage, max_bytes: int) -> tuple[bytes, str]:
    """The body and Content-Type of an archived response, read again at its offset; chunked and gzip bodies
    (as wget stores them) decoded, at most ``max_bytes`` of them (a gzip bomb stops there)."""
    with page.path.open("rb") as stream:
        stream.seek(page.offset)
        record = next(iter(ArchiveIterator(stream)))
        assert record.http_headers is not None  # scanned as a response with HTTP headers
        body = record.content_stream().read(max_bytes + 1)
        if len(body) > max_bytes:
            raise BodyTooLarge(page.url)
        return body, record.http_headers.get_header("Content-Type") or ""


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
        window = PAGES_IN_FLIGHT_PER_PROCESS * (self.pool.processes if self.pool else 1)
        in_flight: deque[tuple[ArchivedPage, bytes, str, Future[list[QARecord]]]] = deque()
        max_bytes = self.crawler.settings.getint("DOWNLOAD_MAXSIZE")
        for page in self.pages:
            try:
                body, content_type = read_response(page, max_bytes)
            except BodyTooLarge:
                stats.inc_value("reparse/skipped_too_large")
                continue
            except UNREADABLE:
                stats.inc_value("reparse/unreadable_records")
                continue
            in_flight.append((page, body, content_type, self.parse_later(page, body, content_type)))
            while len(in_flight) >= window:
                for item in await self.outcome(*in_flight.popleft()):
                    yield item
        while in_flight:
            for item in await self.outcome(*in_flight.popleft()):
                yield item

    def parse_later(self, page: ArchivedPage, body: bytes, content_type: str) -> Future[list[QARecord]]:
        if self.pool is not None:
            return self.pool.submit(self.site.id, body, page.url, crawled_at=page.fetched_at,
                                    content_type=content_type)
        done: Future[list[QARecord]] = Future()
        try:
            done.set_result(page_records(self.site, body, page.url, crawled_at=page.fetched_at,
                                         content_type=content_type,
                                         keep_names=self.crawler.settings.getbool("QA_KEEP_ASKER_NAMES")))
        except (NotAnArticle, InvalidPage) as error:
            done.set_exception(error)
        return done

    async def outcome(self, page: ArchivedPage, body: bytes, content_type: str,
                      parsed: Future[list[QARecord]]) -> list[QARecord | Reject]:
        """The page's records, or its reject as a crawl would make it (stage "parse", with an excerpt)."""
        self.crawler.stats.inc_value("reparse/pages")
        try:
            records = await asyncio.wrap_future(parsed)
        except (NotAnArticle, InvalidPage) as error:
            reasons = error.reasons if isinstance(error, InvalidPage) else [error.reason]
            self.crawler.stats.inc_value("spider/reject/parse")
            excerpt = page_excerpt(TextResponse(page.url, body=body, headers={"Content-Type": content_type}))
            reject = make_reject(page.url, self.site.id, "parse", reasons, excerpt, page.lastmod, page.fetched_at)
            return [with_provenance(reject, page)]
        self.crawler.stats.inc_value("spider/articles_parsed")
        if len(records) > 1:
            self.crawler.stats.inc_value("spider/multi_record_pages")
        return [with_provenance(record.model_copy(update={"source_lastmod": page.lastmod}), page)
                for record in records]


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
