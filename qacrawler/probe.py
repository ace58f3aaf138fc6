"""`qacrawler probe URL-or-FILE`: which schema.org data a page carries and what record the QAPage parser makes
of it, so a user knows in one command whether a new site needs only a site file or a parser of its own.

Every syntax is read, RDFa included (a site file must ask for it: the verdict says so). A URL is fetched once
like `qacrawler fixture save` fetches it (the crawler's User-Agent, DOWNLOAD_MAXSIZE, a timeout, http(s)
only); a file is read from disk. Exit status: 0 when a site file is enough, 1 when it is not, 2 for bad input.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import ValidationError

from qacrawler.arguments import UsageError
from qacrawler.fixture_save import Page, fetch_page
from qacrawler.page.records import QARecord, validation_reasons
from qacrawler.page.sites.errors import NotAnArticle
from qacrawler.page.sites.qapage import DEFAULT_SYNTAXES, FAQ_REFUSAL, SYNTAXES, QAPageParser
from qacrawler.page.sites.site import Site
from qacrawler.page.structured_data import StructuredData

ENOUGH = "a site file is enough"
NEEDS_PARSER = "no QAPage data: this site needs a parser"
SHOWN_CHARS = 80


def load(source: str, url: str | None) -> Page:
    """The page: fetched when ``source`` is an http(s) URL, else read from the file (its URL from --url, the
    fixture folder's url.txt beside it, or a placeholder on localhost that only resolves relative links)."""
    scheme = urlsplit(source).scheme.lower()
    if scheme in ("http", "https"):
        return fetch_page(source)
    path = Path(source)
    if scheme and not path.exists():
        raise UsageError(f"{source!r} is not an http(s) URL")
    if url is not None and urlsplit(url).scheme not in ("http", "https"):
        raise UsageError(f"--url {url!r} is not an http(s) URL")
    beside = path.parent / "url.txt"
    try:
        body = path.read_bytes()
        page_url = url or (beside.read_text(encoding="utf-8").strip() if beside.is_file() else None)
    except OSError as error:
        raise UsageError(f"cannot read {source}: {error.strerror or error}") from None
    return Page(body, page_url or f"http://localhost/{path.name}", None)


def _syntax_line(data: StructuredData) -> str:
    found = [f"{syntax} ({len(data.nodes[syntax])} top-level node(s))" for syntax in SYNTAXES if syntax in data.nodes]
    if data.broken_blocks:
        found.append(f"{data.broken_blocks} JSON-LD block(s) not JSON, skipped")
    return ", ".join(found) or "none"


def _shown(value: object) -> str:
    text = str(value).replace("\n", " / ")
    return text if len(text) <= SHOWN_CHARS else f"{text[:SHOWN_CHARS]}… ({len(str(value))} chars)"


def _record_lines(record: QARecord) -> list[str]:
    accepted = sum(bool(answer.accepted) for answer in record.answers)
    fields = [("title", record.title), ("question", record.question), ("asker.name", record.asker.name),
              ("ask_date", record.ask_date), ("answer", record.answer), ("doctor.name", record.doctor.name),
              ("reply_date", record.reply_date), ("department", record.department),
              ("view_count", record.view_count), ("categories", ", ".join(record.categories) or None)]
    lines = [f"  {name}: {_shown(value) if value is not None else '-'}" for name, value in fields]
    return [*lines, f"  answers: {len(record.answers)} ({accepted} accepted)"]


def probe(source: str, url: str | None, emit: Callable[[str], None] = print) -> int:
    page = load(source, url)
    emit(f"page: {page.url} ({len(page.body)} bytes)")
    parser = QAPageParser(syntaxes=SYNTAXES)
    try:
        data, root = parser.read(page.body, page.url, content_type=page.content_type)
    except NotAnArticle as error:
        emit(f"refused: {error.reason}")
        emit("verdict: the page cannot be read as HTML")
        return 1
    types = data.type_counts()
    emit(f"structured data: {_syntax_line(data)}")
    emit(f"types: {', '.join(f'{name} {count}' for name, count in types.most_common()) or 'none'}")
    parts = urlsplit(page.url)
    site = Site(id="probe", language="und", base_url=f"{parts.scheme}://{parts.netloc}", article=r"^(.*)$",
                article_template="{id}", parser=parser.parse,
                parser_version="probe", description="the probed page")
    try:
        result = parser.records(data, root, page.url, "page", site=site)
    except NotAnArticle as error:
        emit(f"refused: {error.reason}")
        if error.reason == FAQ_REFUSAL:
            emit("verdict: an FAQ page, no patient's question; a site file with keep_faq = true keeps its pairs")
        elif "QAPage" in types:
            emit(f"verdict: QAPage data without what a record needs ({error.reason})")
        else:
            emit(f"verdict: {NEEDS_PARSER}")
        return 1
    except ValidationError as error:
        emit(f"refused: {'; '.join(validation_reasons(error))}")
        emit("verdict: QAPage data incomplete; [fields] rules in a site file may fill what is missing")
        return 1
    emit("record:")
    for line in _record_lines(result[0] if isinstance(result, list) else result):  # a list only with keep_faq
        emit(line)
    syntax = parser.question_syntax(data)
    emit(f"verdict: {ENOUGH}" + ("" if syntax in DEFAULT_SYNTAXES else
                                 f', with syntaxes = ["{syntax}"]: the question is only in {syntax}'))
    return 0
