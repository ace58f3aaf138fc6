"""`qacrawler fixture save`: turn one page into a parser fixture folder for a human to review.

A fixture folder `<root>/<site>/<name>/` holds page.html (the raw bytes as served), url.txt, meta.json
(the HTTP Content-Type when known and the fixed `crawled_at` the record is parsed under) and
expected.json: the current parser's record without the fields a crawl sets, or
`{"not_an_article": reason}`. The parser wrote expected.json, so it proves nothing until a person has
read the page and corrected it; the test runner (tests/test_fixtures.py) then holds the parser to it.
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime
from http.client import HTTPMessage
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

from pydantic import ValidationError

from qacrawler.arguments import UsageError
from qacrawler.crawl import settings
from qacrawler.crawl.spiders.base import mebibytes, user_agent
from qacrawler.page.records import validation_reasons
from qacrawler.page.sites.errors import NotAnArticle
from qacrawler.page.sites.registry import UnknownSite, get_site
from qacrawler.page.sites.site import Site

FIXTURE_CRAWLED_AT = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
# set by the crawl, not read from the page
CRAWL_FIELDS = ("crawled_at", "source_lastmod", "warc_file", "warc_offset", "warc_length")
FETCH_TIMEOUT = 30.0
_CASE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,79}")


@dataclass(frozen=True)
class Page:
    body: bytes
    url: str
    content_type: str | None


def parser_for(site_id: str) -> Site:
    """The registered site whose `parse(html, url, *, crawled_at, content_type)` reads its pages."""
    try:
        return get_site(site_id)
    except UnknownSite as error:
        raise UsageError(f"{error}; Try: qacrawler sites") from None


def expected_of(site: Site, page: Page) -> dict[str, Any]:
    """What the parser reads from the page now, in expected.json's form."""
    try:
        record = site.parse(page.body, page.url, crawled_at=FIXTURE_CRAWLED_AT, content_type=page.content_type)
    except NotAnArticle as error:
        return {"not_an_article": error.reason}
    except ValidationError as error:
        raise UsageError(f"the parser's record is invalid ({'; '.join(validation_reasons(error))}); "
                         "fix the parser or save the page by hand") from None
    return {name: value for name, value in record.model_dump(mode="json").items() if name not in CRAWL_FIELDS}


class _HttpOnlyRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req: urllib.request.Request, fp: IO[bytes], code: int, msg: str, headers: HTTPMessage,
                         newurl: str) -> urllib.request.Request | None:
        if urlsplit(newurl).scheme not in ("http", "https"):
            fp.close()
            raise UsageError(f"{req.full_url} redirects to {newurl!r}, which is not http(s)")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def fetch_page(url: str) -> Page:
    """One GET with the crawler's User-Agent, capped at DOWNLOAD_MAXSIZE like a crawl. robots.txt is not
    read: this is one page a person asked for, not a crawl."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(f"{url!r} is not an http(s) URL")
    limit = settings.DOWNLOAD_MAXSIZE
    request = urllib.request.Request(url, headers={"User-Agent": user_agent(settings.QA_CONTACT)})
    opener = urllib.request.build_opener(_HttpOnlyRedirects)
    try:
        with opener.open(request, timeout=FETCH_TIMEOUT) as response:
            body = response.read(limit + 1)
            content_type = response.headers.get("Content-Type")
    except urllib.error.HTTPError as error:
        error.close()
        if 300 <= error.code < 400:  # urllib refuses a redirect to another scheme this way
            raise UsageError(f"{url} redirects to {error.headers.get('Location')!r}, which is not http(s)") from None
        raise UsageError(f"{url} answered HTTP {error.code}; save the page to a file and pass it with --url") from None
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", None) or error
        raise UsageError(f"cannot fetch {url}: {reason}") from None
    if len(body) > limit:
        raise UsageError(f"{url} is larger than {mebibytes(limit)} (DOWNLOAD_MAXSIZE)")
    return Page(body, url, content_type)


def read_page(path: Path, url: str | None, content_type: str | None) -> Page:
    if not url:
        raise UsageError(f"saving the file {path} needs --url: the page's address goes into url.txt")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(f"--url {url!r} is not an http(s) URL")
    try:
        return Page(path.read_bytes(), url, content_type)
    except OSError as error:
        raise UsageError(f"cannot read {path}: {error.strerror or error}") from None


def case_folder(root: Path, site: str, name: str, force: bool) -> Path:
    if not _CASE_NAME.fullmatch(name):
        raise UsageError(f"fixture name {name!r} must be 1-80 letters, digits, '_' or '-', starting with a letter "
                         "or digit (it is a folder name)")
    folder = root / site / name
    if folder.exists() and not force:
        raise UsageError(f"{folder} exists; pass --force to replace it")
    return folder


def write_case(folder: Path, page: Page, expected: dict[str, Any]) -> None:
    """Write the four files beside the final folder, then move them in, so a failure leaves no half case."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    meta: dict[str, str] = {"crawled_at": FIXTURE_CRAWLED_AT.isoformat().replace("+00:00", "Z")}
    if page.content_type:
        meta["content_type"] = page.content_type
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    try:
        (staging / "page.html").write_bytes(page.body)
        (staging / "url.txt").write_text(page.url + "\n", encoding="utf-8")
        (staging / "meta.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
        (staging / "expected.json").write_text(json.dumps(expected, indent=2, ensure_ascii=False) + "\n",
                                               encoding="utf-8")
        if folder.exists():
            shutil.rmtree(folder)
        staging.rename(folder)
    finally:
        if staging.exists():
            shutil.rmtree(staging)


def save_fixture(site_id: str, source: str, name: str, *, url: str | None = None, content_type: str | None = None,
                 root: Path = Path("tests/fixtures"), force: bool = False) -> tuple[Path, dict[str, Any]]:
    """Save `source` (an http(s) URL or a file) as fixture `name` of `site_id`; returns the folder and
    expected.json's content."""
    site = parser_for(site_id)
    folder = case_folder(root, site_id, name, force)
    if "://" in source:
        page = fetch_page(source)
        if url or content_type:
            page = Page(page.body, url or page.url, content_type or page.content_type)
    else:
        page = read_page(Path(source), url, content_type)
    expected = expected_of(site, page)
    write_case(folder, page, expected)
    return folder, expected
