"""The archive of raw pages on disk, without Scrapy: finding, pruning and salvaging WARC files, and reading
one record back (qacrawler.crawl.archive writes them).
"""

from __future__ import annotations

import os
import time
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import Any

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed

ARCHIVE = "archive"
TEMP_SUFFIX = ".tmp"


def site_archive_dir(root: Path, site: str) -> Path:
    return root / ARCHIVE / f"site={site}"


def archive_files(root: Path, run: str) -> list[Path]:
    """The finished WARC files a run wrote, found on disk."""
    folder = root / ARCHIVE
    return sorted(folder.glob(f"site=*/{run}[-.]*.warc.gz")) if folder.is_dir() else []


def make_private_dir(path: Path) -> None:
    for folder in reversed([path, *path.parents]):
        if not folder.exists():
            folder.mkdir(mode=0o700)
    path.chmod(0o700)


def prune_archives(root: Path, max_age_seconds: float) -> list[Path]:
    """Removes finished WARC files last written longer ago than max_age_seconds; returns them."""
    folder = root / ARCHIVE
    cutoff = time.time() - max_age_seconds
    expired = [path for path in folder.glob("site=*/*.warc.gz") if path.stat().st_mtime < cutoff] \
        if folder.is_dir() else []
    for path in expired:
        path.unlink(missing_ok=True)
    return sorted(expired)


def complete_members_length(path: Path) -> int:
    """How many leading bytes of a gzip-per-record file are whole gzip members (a torn last one excluded),
    read in chunks: a file may be QA_ARCHIVE_MAX_BYTES long."""
    end = consumed = 0
    decompressor = zlib.decompressobj(zlib.MAX_WBITS | 16)
    pending = b""
    with open(path, "rb") as handle:
        while chunk := pending or handle.read(1 << 16):
            try:
                decompressor.decompress(chunk)
            except zlib.error:
                break
            pending = decompressor.unused_data
            consumed += len(chunk) - len(pending)
            if decompressor.eof:
                end = consumed
                decompressor = zlib.decompressobj(zlib.MAX_WBITS | 16)
    return end


def salvage_archives(root: Path) -> list[Path]:
    """Finishes the WARC files killed runs left as ``.tmp``: keeps every complete record, cuts a torn last
    one, renames the file. Call it holding the dataset's lock (no writer is then running). Returns the files."""
    folder = root / ARCHIVE
    salvaged = []
    for temp in sorted(folder.glob(f"site=*/*.warc.gz{TEMP_SUFFIX}")) if folder.is_dir() else []:
        keep = complete_members_length(temp)
        final = temp.with_name(temp.name.removesuffix(TEMP_SUFFIX))
        if keep == 0:
            temp.unlink()
            continue
        with open(temp, "r+b") as handle:
            handle.truncate(keep)
            os.fsync(handle.fileno())
        os.replace(temp, final)
        salvaged.append(final)
    return salvaged


# What reading a record back can raise on a damaged file: a broken gzip member, a torn body, a bad header.
UNREADABLE = (ArchiveLoadFailed, OSError, EOFError, ValueError, zlib.error)


class BodyTooLarge(ValueError):
    """A decoded body over DOWNLOAD_MAXSIZE: a crawl would have refused it (a foreign WARC may hold anything)."""


class UnreadableRecord(ValueError):
    """An archived response that cannot be read back at its offset (damaged since it was scanned)."""


def read_response(path: Path, offset: int, max_bytes: int) -> tuple[bytes, str]:
    """The body and Content-Type of the response record at ``offset``; chunked and gzip bodies (as wget stores
    them) decoded, at most ``max_bytes`` of them (a gzip bomb stops there): BodyTooLarge beyond."""
    try:
        with path.open("rb") as stream:
            stream.seek(offset)
            record = next(iter(ArchiveIterator(stream)))
            http = record.http_headers
            body = record.content_stream().read(max_bytes + 1) if http is not None else b""
    except (*UNREADABLE, StopIteration) as error:
        raise UnreadableRecord(f"{path} is damaged at offset {offset} ({error})") from None
    if http is None:
        raise UnreadableRecord(f"{path} holds no HTTP response at offset {offset}")
    if len(body) > max_bytes:
        raise BodyTooLarge(f"{path} at offset {offset}: body over {max_bytes} bytes")
    return body, http.get_header("Content-Type") or ""


class NoRawPage(LookupError):
    """A row's raw page cannot be read: it was never archived, or its file was pruned or is damaged."""


@dataclass(frozen=True)
class RawPage:
    url: str
    status: int
    status_line: str  # as stored: "HTTP/1.1 200 OK"
    headers: list[tuple[str, str]]
    body: bytes
    warc_date: str
    warc_file: str
    warc_offset: int


def _field(row: Any, name: str) -> Any:
    return row.get(name) if isinstance(row, Mapping) else getattr(row, name, None)


def read_raw_page(root: Path, row: Any) -> RawPage:
    """The page a record or reject (a model or a row mapping) was made from, read by seek and read of its one
    WARC record; NoRawPage says why there is none."""
    name = _field(row, "record_id") or _field(row, "url")
    file, offset, length = (_field(row, field) for field in ("warc_file", "warc_offset", "warc_length"))
    if file is None or offset is None or length is None:
        raise NoRawPage(f"{name} has no archived page (crawled with --no-archive or before qacrawler 0.3.0)")
    path = root / file
    if not path.is_file():
        raise NoRawPage(f"{name}: its WARC file {file} is gone (pruned by QA_ARCHIVE_KEEP_DAYS or removed)")
    with open(path, "rb") as handle:
        handle.seek(offset)
        data = handle.read(length)
    try:
        record = next(iter(ArchiveIterator(BytesIO(data))), None)
        if record is None or record.rec_type != "response" or record.http_headers is None:
            raise NoRawPage(f"{name}: {file} holds no WARC response record at offset {offset}")
        body = record.content_stream().read()
    except (ArchiveLoadFailed, OSError, EOFError, zlib.error) as error:
        raise NoRawPage(f"{name}: {file} is damaged at offset {offset} ({error})") from None
    status = record.http_headers.get_statuscode()
    return RawPage(
        url=record.rec_headers.get_header("WARC-Target-URI"),
        status=int(status) if str(status).isdigit() else 0,
        status_line=f"{record.http_headers.protocol} {record.http_headers.statusline}".strip(),
        headers=list(record.http_headers.headers),
        body=body,
        warc_date=record.rec_headers.get_header("WARC-Date"),
        warc_file=file,
        warc_offset=offset,
    )


@dataclass(frozen=True)
class PointerCheck:
    checked: int  # rows with a pointer
    missing_files: dict[str, int]  # WARC file (pruned or removed) -> rows pointing into it
    broken: list[str]  # one line per row whose pointer is in an existing file but reads no response record


def check_pointers(root: Path) -> PointerCheck:
    """Reads the raw page of every record and reject row that has a WARC pointer."""
    from qacrawler.dataset.files import RECORDS, REJECTS, read_columns

    columns = ["warc_file", "warc_offset", "warc_length"]
    tables = [read_columns(root / RECORDS, "site=*/ask_year=*/*.parquet", ["record_id", *columns]),
              read_columns(root / REJECTS, "*.parquet", ["url", *columns])]
    rows = [row for table in tables if table is not None for row in table.to_pylist() if row["warc_file"]]
    missing: dict[str, int] = {}
    broken = []
    for row in rows:
        if not (root / row["warc_file"]).is_file():
            missing[row["warc_file"]] = missing.get(row["warc_file"], 0) + 1
            continue
        try:
            read_raw_page(root, row)
        except NoRawPage as error:
            broken.append(str(error))
    return PointerCheck(len(rows), missing, broken)
