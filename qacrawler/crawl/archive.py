"""Every fetched response kept as WARC (request + response records, gzip per record), so a record's raw page
can be read back (qacrawler.dataset.raw_page) and pages re-parsed without fetching them again.

Layout: ``<dataset>/archive/site=<site id>/<run_id>-<nnnnn>.warc.gz`` (``<run_id>.<worker>-<nnnnn>`` on a shared
run), written as ``<name>.tmp`` and renamed when rotated (QA_ARCHIVE_MAX_BYTES) or closed; files 0600, folders 0700
(raw pages hold names and contact details). Each record is flushed as it is written, so a killed run's ``.tmp``
file holds every finished record: ``salvage_archives`` keeps them and renames it. Stats: ``archive/records``,
``archive/bytes``, ``archive/files``, ``archive/pruned_files``, ``archive/salvaged_files``.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from http import HTTPStatus
from io import BytesIO
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit
from weakref import WeakKeyDictionary

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from qacrawler import __version__
from qacrawler.crawl.distributed import file_tag
from qacrawler.crawl.request_policy import original_url
from qacrawler.crawl.run import output_dir, run_id
from qacrawler.dataset.warc import TEMP_SUFFIX, archive_files, make_private_dir, prune_archives, site_archive_dir

__all__ = ["ArchiveMiddleware", "RedirectArchiveMiddleware", "archive_files", "close_archive"]

# Scrapy hands over bodies already decoded: these headers would describe bytes the archive does not hold.
DECODED_HEADERS = {b"content-encoding", b"transfer-encoding", b"content-length"}
_WRITERS: WeakKeyDictionary[Crawler, ArchiveMiddleware] = WeakKeyDictionary()


def http_headers(protocol: str, status_line: str, headers: Any, body_length: int | None) -> StatusAndHeaders:
    """Scrapy headers as the lines sent or received, less the encodings Scrapy undid, with the real length."""
    pairs = [(name.decode("latin-1"), value.decode("latin-1"))
             for name, values in headers.items() if name.lower() not in DECODED_HEADERS for value in values]
    if body_length is not None:
        pairs.append(("Content-Length", str(body_length)))
    return StatusAndHeaders(status_line, pairs, protocol=protocol)


class WarcFile:
    """One ``<run_id>-<nnnnn>.warc.gz`` being written under its temporary name."""

    def __init__(self, final: Path, writer_info: dict[str, str]):
        self.final = final
        self.temp = final.with_name(final.name + TEMP_SUFFIX)
        descriptor = os.open(self.temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        self.handle: IO[bytes] = os.fdopen(descriptor, "wb")
        self.writer = WARCWriter(self.handle, gzip=True)
        info = self.writer.create_warcinfo_record(final.name, writer_info)
        self.warcinfo_id = info.rec_headers.get_header("WARC-Record-ID")
        self.writer.write_record(info)

    def write(self, record: Any) -> tuple[int, int]:
        """Writes one record as its own gzip member; returns its (offset, length) in the file."""
        offset = self.handle.tell()
        self.writer.write_record(record)
        return offset, self.handle.tell() - offset

    def size(self) -> int:
        return self.handle.tell()

    def close(self) -> Path:
        self.handle.flush()
        os.fsync(self.handle.fileno())
        self.handle.close()
        os.replace(self.temp, self.final)
        return self.final


class ArchiveMiddleware:
    """A downloader middleware that writes every response reaching it to the site's WARC files and puts the
    response record's place in ``request.meta["warc"]`` ({"file", "offset", "length"}; the spider copies it
    onto the page's records and rejects).

    Placed after decompression (590) so bodies are the decoded bytes the parser reads, and before the charset
    relabelling (585) so headers are the server's. Redirects never get that far (RedirectMiddleware, 600, turns
    them into requests first): ``RedirectArchiveMiddleware`` at 601 archives those through the same writer.
    """

    def __init__(self, crawler: Crawler):
        if not crawler.settings.getbool("QA_ARCHIVE"):
            raise NotConfigured("QA_ARCHIVE is off")
        self.crawler = crawler
        self.stats = crawler.stats
        self.max_bytes = crawler.settings.getint("QA_ARCHIVE_MAX_BYTES")
        self.keep_days = crawler.settings.getfloat("QA_ARCHIVE_KEEP_DAYS")
        self.file: WarcFile | None = None
        self.serial = 0
        self.closed = False
        _WRITERS[crawler] = self
        if salvaged := crawler.settings.getint("QA_ARCHIVE_SALVAGED"):
            self.stats.set_value("archive/salvaged_files", salvaged)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArchiveMiddleware:
        return cls(crawler)

    def process_response(self, request: Request, response: Response) -> Request | Response:
        if 300 <= response.status < 400 and "Location" in response.headers:
            return response  # archived by RedirectArchiveMiddleware, before RedirectMiddleware
        self.archive(request, response)
        return response

    def archive(self, request: Request, response: Response) -> None:
        if self.closed:
            return
        spider = self.crawler.spider
        assert spider is not None  # responses arrive only while the spider is open
        site = getattr(getattr(spider, "site", None), "id", spider.name)
        warc_file = self.open_file(site)
        protocol = response.protocol or "HTTP/1.1"
        target = request.url
        request_record = warc_file.writer.create_warc_record(
            target, "request", payload=BytesIO(request.body), length=len(request.body),
            http_headers=http_headers(protocol, f"{request.method} {request_path(target)}", request.headers,
                                      len(request.body) or None),
            warc_headers_dict=self.common_headers(warc_file, response))
        response_headers = self.common_headers(warc_file, response)
        # The fetch's moment, to the microsecond: the records made of the page carry it as crawled_at, so a
        # re-parse of this WARC record dates its rows exactly like the crawl's
        fetched_at = datetime.now(UTC)
        response_headers["WARC-Date"] = fetched_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        response_headers["WARC-Identified-Payload-Type"] = payload_type(response)
        response_headers["Qacrawler-Site"] = site
        if lastmod := request.meta.get("lastmod"):
            response_headers["Qacrawler-Lastmod"] = str(lastmod)
        if (asked := original_url(request)) != target:
            response_headers["Qacrawler-Requested-URL"] = asked
        response_record = warc_file.writer.create_warc_record(
            target, "response", payload=BytesIO(response.body), length=len(response.body),
            http_headers=http_headers(protocol, status_line(response.status), response.headers, len(response.body)),
            warc_headers_dict=response_headers)
        request_record.rec_headers.replace_header("WARC-Date", response_record.rec_headers.get_header("WARC-Date"))
        request_record.rec_headers.add_header("WARC-Concurrent-To",
                                              response_record.rec_headers.get_header("WARC-Record-ID"))
        _, request_length = warc_file.write(request_record)
        offset, length = warc_file.write(response_record)
        warc_file.handle.flush()  # a killed run's file then holds every finished record
        root = output_dir(self.crawler)
        request.meta["warc"] = {"file": str(warc_file.final.relative_to(root)), "offset": offset, "length": length,
                                "fetched_at": fetched_at}
        self.stats.inc_value("archive/records", 2)
        self.stats.inc_value("archive/bytes", request_length + length)
        if warc_file.size() >= self.max_bytes:
            self.close_file()

    def common_headers(self, warc_file: WarcFile, response: Response) -> dict[str, str]:
        headers = {"WARC-Warcinfo-ID": warc_file.warcinfo_id}
        if response.ip_address is not None:
            headers["WARC-IP-Address"] = str(response.ip_address)
        return headers

    def open_file(self, site: str) -> WarcFile:
        if self.file is None:
            folder = site_archive_dir(output_dir(self.crawler), site)
            make_private_dir(folder)
            self.serial += 1
            name = file_tag(self.crawler, run_id(self.crawler))  # a shared run's workers each write their own files
            self.file = WarcFile(folder / f"{name}-{self.serial:05d}.warc.gz", {
                "software": f"qacrawler/{__version__}", "format": "WARC File Format 1.1",
                "isPartOf": run_id(self.crawler)})
        return self.file

    def close_file(self) -> None:
        if self.file is not None:
            self.file.close()
            self.file = None
            self.stats.inc_value("archive/files")

    def close(self) -> None:
        """Closes the current file and prunes expired archives; the manifest calls it before listing files."""
        if self.closed:
            return
        self.closed = True
        self.close_file()
        if self.keep_days > 0:
            pruned = prune_archives(output_dir(self.crawler), self.keep_days * 86400)
            if pruned:
                self.stats.inc_value("archive/pruned_files", len(pruned))

    def spider_closed(self, spider: Spider) -> None:
        self.close()


class RedirectArchiveMiddleware:
    """Archives the redirects RedirectMiddleware (600) would consume, through the crawl's ArchiveMiddleware."""

    def __init__(self, crawler: Crawler):
        if not crawler.settings.getbool("QA_ARCHIVE"):
            raise NotConfigured("QA_ARCHIVE is off")
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RedirectArchiveMiddleware:
        return cls(crawler)

    def process_response(self, request: Request, response: Response) -> Request | Response:
        writer = _WRITERS.get(self.crawler)
        if writer is not None and 300 <= response.status < 400 and "Location" in response.headers:
            writer.archive(request, response)
        return response


def close_archive(crawler: Crawler) -> None:
    """Finishes the crawl's archive (if it has one) so its files are final when the run manifest lists them."""
    writer = _WRITERS.get(crawler)
    if writer is not None:
        writer.close()


def request_path(url: str) -> str:
    parts = urlsplit(url)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def status_line(status: int) -> str:
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return str(status)


def payload_type(response: Response) -> str:
    content_type = (response.headers.get("Content-Type") or b"").decode("latin-1")
    return content_type.split(";", 1)[0].strip().lower() or "application/octet-stream"


