"""doctorqna.com English article pages (``/en/article/<id>``) -> QARecord. Pure: no Scrapy, no I/O.

The parser reads the page as a reader does (``page_text.page_lines``: visible lines in reading
order) and anchors on the visible labels of docs/sites/doctorqna.md, never on tags or classes:

    [<SEO title> - <Department>]  [Share to: …links…]
    <title>
    <question paragraphs…>
    <name>, <lo>~<hi> year old <gender>. Ask Date: YYYY/MM/DD      (Ask Date part may be its own line)
    Dr. <Name> reply <Department>
    <answer paragraphs…, sign-off included>
    Reply Date: YYYY/MM/DD
    More Info / Similar Q&A / Related FAQ sections

One small function per field, each working on the lines; ``parse`` wires them together.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from qacrawler.records import QARecord
from qacrawler.sites.build import build_record
from qacrawler.sites.encoding import decode_html
from qacrawler.sites.errors import NotAnArticle, PageMissing
from qacrawler.sites.fields import MAX_INT_DIGITS, absolute_url, find_ymd_date, parse_int, parse_ymd_date
from qacrawler.sites.page_text import Line, page_lines
from qacrawler.sites.site import Discovery, Site
from qacrawler.taxonomy import specialty_for

__all__ = ["SITE", "PARSER_VERSION", "LANGUAGE", "parse", "source_id_from_url"]

SITE = "doctorqna"
PARSER_VERSION = "1.0"
LANGUAGE = "en"

ASK_DATE_LABEL = "Ask Date:"
REPLY_DATE_LABEL = "Reply Date:"
SHARE_LABEL = "Share to:"
READ_MORE = "[Read More]"
MORE_INFO, SIMILAR, RELATED_FAQ = "More Info", "Similar Q&A", "Related FAQ"
SECTION_LABELS = (MORE_INFO, SIMILAR, RELATED_FAQ)
NOT_FOUND_PHRASES = ("Article not found", "Page not found")

_ARTICLE_PATH = re.compile(r"/en/article/([0-9]+)(?=[/?#]|$)")
# "<name>, <lo>~<hi> year old <gender>." — the name is split on the LAST ", " before the age (greedy).
_AGE_PART = r",\s*(?P<lo>[0-9]{1,3})\s*(?:~\s*(?P<hi>[0-9]{1,3})\s*)?years?[\s-]*old(?:\s+(?P<gender>[A-Za-z]+))?"
_ASKER = re.compile(rf"^(?P<name>.*){_AGE_PART}\s*\.?$")
# the same in page text whose line breaks were lost (a reject's excerpt): before Ask Date or the cut
_ASKER_IN_TEXT = re.compile(rf"{_AGE_PART}\s*\.?\s*(?={re.escape(ASK_DATE_LABEL)}|$)")
_NAME_WORDS = 4  # at most this many words before ", <age> year old" are taken for the name in flat text
_SENTENCE_END = re.compile(r"[.!?:。！？：]$")
_TITLE_WORD = re.compile(r"^(?:Mr|Mrs|Ms|Miss|Mx|Dr)\.$", re.IGNORECASE)
_REPLY_HEADER = re.compile(r"^Dr\.\s*(?P<name>\S.*?)\s+reply\s+(?P<department>\S.*)$")
_FAQ_ENTRY = re.compile(r"^(?P<topic>.*?)\s*\((?P<department>[^()]*)\)$")
_URL_TEXT = re.compile(r"^(?:https?://|www\.)\S+$", re.IGNORECASE)


# --- page structure ---------------------------------------------------------------------------


@dataclass(frozen=True)
class AskerLine:
    """Where the asker line is: ``first`` is the line holding the asker part (or the Ask Date line when
    there is no asker part), ``end`` the index just after the Ask Date value."""

    first: int
    end: int
    asker_text: str | None
    date_text: str | None
    complete: bool  # the asker part matches "<name>, <lo>~<hi> year old <gender>."


@dataclass(frozen=True)
class ReplyHeader:
    index: int
    doctor_name: str
    department: str


@dataclass
class Layout:
    lines: list[Line]
    source_id: str
    asker: AskerLine
    title_index: int
    reply: ReplyHeader | None
    sections: dict[str, list[Line]] = field(default_factory=dict)
    answer_end: int = 0  # index of the first line after the answer


def source_id_from_url(url: str) -> str | None:
    """The article id of ``…/en/article/<id>``; None for any other URL, and for an id of more than
    MAX_INT_DIGITS digits (no site numbers its articles so: a hostile or broken link)."""
    match = _ARTICLE_PATH.search(url or "")
    if match is None or len(match.group(1).lstrip("0")) > MAX_INT_DIGITS:
        return None
    return match.group(1)


def _asker_lines(lines: list[Line]) -> list[AskerLine]:
    """Every asker line on the page (non-link lines holding ``Ask Date:``), in order."""
    found: list[AskerLine] = []
    for index, line in enumerate(lines):
        text = line.text
        if ASK_DATE_LABEL not in text or line.link_only:
            continue
        at = text.find(ASK_DATE_LABEL)
        before = text[:at].strip()
        after = text[at + len(ASK_DATE_LABEL) :].strip()
        end = index + 1
        if not after and end < len(lines) and parse_ymd_date(lines[end].text):
            after, end = lines[end].text, end + 1  # label and value in separate blocks
        first = index
        if not before and index > 0 and _ASKER.match(lines[index - 1].text) and not lines[index - 1].link_only:
            first, before = index - 1, lines[index - 1].text  # asker part in its own block
        found.append(AskerLine(first, end, before or None, after or None, bool(before and _ASKER.match(before))))
    return found


def asker_name_spans(text: str) -> list[tuple[int, int]]:
    """Where asker names are in page text whose line breaks were lost (a reject's excerpt): the words before
    each "<lo>~<hi> year old <gender>.", back to the end of the sentence before them. The start of a name is
    not marked there, so a span may take a few words of the question with it (at most _NAME_WORDS)."""
    spans = []
    for match in _ASKER_IN_TEXT.finditer(text):
        start = end = match.start()
        for word in reversed(list(re.finditer(r"\S+", text[:end]))[-_NAME_WORDS:]):
            if _SENTENCE_END.search(word.group()) and not _TITLE_WORD.match(word.group()):
                break
            start = word.start()
        if start < end:
            spans.append((start, end))
    return spans


def _is_chrome_line(line: Line, source_id: str) -> bool:
    """A ``Share to:`` line, or a line made only of links (menu, share buttons, breadcrumb) — unless
    its links are bare URLs or point at this very article (a question paragraph, a title permalink)."""
    if line.text.startswith(SHARE_LABEL):
        return True
    if not line.link_only:
        return False
    for link in line.links:
        if _URL_TEXT.match(link.text) or source_id_from_url(link.href or "") == source_id:
            return False
    return True


def _reply_header(line: Line) -> ReplyHeader | None:
    match = _REPLY_HEADER.match(line.text)
    if not match:
        return None
    return ReplyHeader(-1, match["name"].strip(), match["department"].strip())


def _title_index(lines: list[Line], asker: AskerLine, source_id: str, department: str | None) -> int:
    """Index of the question title: just after the last chrome line before the asker line, then past
    the page heading ``<SEO title> - <Department>`` when more than title + question follow it."""
    start = 0
    for index in range(asker.first):
        if _is_chrome_line(lines[index], source_id):
            start = index + 1
    if asker.first - start >= 3 and _is_page_heading(lines[start].text, department):
        start += 1
    return start


def _is_page_heading(text: str, department: str | None) -> bool:
    if department:
        return text.endswith(" - " + department)
    head, sep, tail = text.rpartition(" - ")  # no reply header: any known department name
    return bool(sep and head.strip() and specialty_for(tail.strip()))


def _find_reply(lines: list[Line], asker: AskerLine, source_id: str) -> ReplyHeader | None:
    """The reply header is the first line after the asker line that is not chrome; anything else there
    (a section heading, answer text without a header) means the page has no reply header."""
    for index in range(asker.end, len(lines)):
        line = lines[index]
        header = _reply_header(line)
        if header is not None:
            return ReplyHeader(index, header.doctor_name, header.department)
        if not _is_chrome_line(line, source_id):
            return None
    return None


_LABEL_OF = {text: label for label in SECTION_LABELS for text in (label, label + ":", label + " :")}


def _section_label(line: Line) -> str | None:
    """A section heading is a non-link line whose whole text is the label (a trailing colon allowed)."""
    label = _LABEL_OF.get(line.text)
    return None if label is None or line.links else label


def _layout(lines: list[Line], source_id: str, raw: Any) -> Layout:
    askers = _asker_lines(lines)
    if not askers:
        raise NotAnArticle(_why_no_asker(lines, raw))
    complete = [asker for asker in askers if asker.complete]
    if len(complete) > 1:
        raise NotAnArticle(f"{len(complete)} asker lines with '{ASK_DATE_LABEL}' found: a listing, not one article")
    asker = complete[0] if complete else askers[0]
    reply = _find_reply(lines, asker, source_id)
    title_index = _title_index(lines, asker, source_id, reply.department if reply else None)
    if title_index >= asker.first:
        raise NotAnArticle(f"no question title before the asker line with '{ASK_DATE_LABEL}'")
    if title_index + 1 >= asker.first:
        raise NotAnArticle(f"no question body between the title and the asker line with '{ASK_DATE_LABEL}'")

    layout = Layout(lines, source_id, asker, title_index, reply)
    _find_sections(layout, reply.index + 1 if reply else asker.end)
    return layout


def _find_sections(layout: Layout, begin: int) -> None:
    """Section headings count from ``begin`` (after the reply header) on; each section runs to the
    next heading or the end. A label seen a second time is content, not a new section."""
    lines = layout.lines
    marks: dict[str, int] = {}
    for index in range(begin, len(lines)):
        label = _section_label(lines[index])
        if label and label not in marks:
            marks[label] = index
    starts = sorted(marks.values())
    layout.answer_end = starts[0] if starts else len(lines)
    for label, index in marks.items():
        stop = next((start for start in starts if start > index), len(lines))
        layout.sections[label] = lines[index + 1 : stop]


def _why_no_asker(lines: list[Line], raw: Any) -> str:
    if not lines:
        return "empty document: no visible text"
    head = raw[:1024] if isinstance(raw, (str, bytes, bytearray)) else ""
    if isinstance(head, (bytes, bytearray)):
        head = bytes(head).removeprefix(b"\xef\xbb\xbf").decode("latin-1")
    if head.lstrip("\ufeff \t\r\n").startswith("<?xml") and "<html" not in head.lower():
        return "document is XML, not an HTML article page (no asker line with 'Ask Date:')"
    for line in lines[:40]:
        for phrase in NOT_FOUND_PHRASES:
            if phrase.lower() in line.text.lower():
                raise PageMissing(f"page says '{phrase}'")
    return f"no asker line with '{ASK_DATE_LABEL}' found"


# --- fields -----------------------------------------------------------------------------------


def title(layout: Layout) -> str:
    return layout.lines[layout.title_index].text


def _joined(lines: list[Line]) -> str | None:
    """Lines are already whitespace-normalised: paragraphs joined by a newline; None when there are none."""
    return "\n".join([line.text for line in lines]) or None


def question(layout: Layout) -> str | None:
    return _joined(layout.lines[layout.title_index + 1 : layout.asker.first])


def asker(layout: Layout) -> dict[str, Any]:
    text = layout.asker.asker_text or ""
    match = _ASKER.match(text)
    if not match:  # an asker part not in the "<name>, <lo>~<hi> year old <gender>." form: keep it as the name
        return {"name": text.rstrip(". ") or None}
    gender = (match["gender"] or "").lower()
    low = parse_int(match["lo"])
    return {
        "name": match["name"].strip() or None,
        "gender": gender if gender in ("female", "male") else None,
        "age_min": low,
        "age_max": parse_int(match["hi"]) if match["hi"] else low,
    }


def ask_date(layout: Layout) -> date | None:
    return find_ymd_date(layout.asker.date_text)


def doctor(layout: Layout) -> dict[str, Any]:
    return {"name": layout.reply.doctor_name if layout.reply else None, "hospital": None}


def department(layout: Layout) -> str | None:
    return layout.reply.department if layout.reply else None


def _reply_date_index(layout: Layout) -> int | None:
    if not layout.reply:
        return None
    for index in range(layout.reply.index + 1, layout.answer_end):
        if layout.lines[index].text.startswith(REPLY_DATE_LABEL):
            return index
    return None


def answer(layout: Layout) -> str | None:
    """The lines after the reply header up to ``Reply Date:`` (else up to the first section heading).
    A ``Reply Date:`` line right under the header is skipped: the answer then follows it."""
    if not layout.reply:
        return None
    start, stop = layout.reply.index + 1, _reply_date_index(layout)
    if stop == start:
        start, stop = stop + 1, layout.answer_end
        if layout.lines[start - 1].text == REPLY_DATE_LABEL and start < stop:
            start += parse_ymd_date(layout.lines[start].text) is not None  # its value in the next block
    return _joined(layout.lines[start : layout.answer_end if stop is None else stop])


def reply_date(layout: Layout) -> date | None:
    index = _reply_date_index(layout)
    if index is None:
        return None
    value = layout.lines[index].text[len(REPLY_DATE_LABEL) :].strip()
    if not value and index + 1 < layout.answer_end:
        return parse_ymd_date(layout.lines[index + 1].text)  # label and value in separate blocks
    return find_ymd_date(value)


def more_info(layout: Layout) -> str | None:
    section = list(layout.sections.get(MORE_INFO, ()))
    while section and _is_chrome_line(section[-1], layout.source_id):  # a menu after the content
        section.pop()
    return _joined(section)


@dataclass
class _Similar:
    """One Similar Q&A entry being read; its texts are line texts (already normalised)."""

    url: str
    title: str
    question_lines: list[str] = field(default_factory=list)
    header: ReplyHeader | None = None
    header_text: str | None = None
    answer_lines: list[str] = field(default_factory=list)
    done: bool = False


def _article_link(line: Line, base_url: str) -> str | None:
    for link in line.links:
        if source_id_from_url(link.href or ""):
            resolved = absolute_url(base_url, link.href)
            if resolved:
                return resolved
    return None


def _answer_excerpt(text: str, entry_title: str) -> str:
    """Text before ``[Read More]`` (the line goes on with the linked title again)."""
    rest = text
    if entry_title and rest.endswith(entry_title):
        rest = rest[: -len(entry_title)].rstrip()
    if rest.endswith(READ_MORE):
        return rest[: -len(READ_MORE)].strip()
    return text[: text.find(READ_MORE)].strip()


def similar_questions(layout: Layout, base_url: str) -> list[dict[str, Any]]:
    """Entries: linked title line / question excerpt / ``Dr. X reply Dept`` / answer excerpt +
    ``[Read More]`` link. An entry starts at a link-only line linking to an article."""
    entries: list[_Similar] = []
    current: _Similar | None = None
    for line in layout.sections.get(SIMILAR, ()):
        if current is not None and not current.done and READ_MORE in line.text:
            current.answer_lines.append(_answer_excerpt(line.text, current.title))
            current.done = True
        elif line.link_only:  # a new entry's linked title; other link-only lines are chrome
            if link := _article_link(line, base_url):
                current = _Similar(link, line.text)
                entries.append(current)
        elif current is None or current.done:
            continue
        elif (header := _reply_header(line)) is not None and not current.answer_lines:
            if current.header_text is not None:  # an excerpt that looked like a header
                current.question_lines.append(current.header_text)
            current.header, current.header_text = header, line.text
        elif current.header is None:
            current.question_lines.append(line.text)
        else:
            current.answer_lines.append(line.text)
    return [
        {
            "url": entry.url,
            "title": entry.title,
            "doctor_name": entry.header.doctor_name if entry.header else None,
            "department": entry.header.department if entry.header else None,
            "question_excerpt": "\n".join(filter(None, entry.question_lines)) or None,
            "answer_excerpt": "\n".join(filter(None, entry.answer_lines)) or None,
        }
        for entry in entries
    ]


def related_faqs(layout: Layout, base_url: str) -> list[dict[str, Any]]:
    """Each link ``<Topic>(<Department>)``; the department's own entry ``(<Department>)`` has no topic."""
    entries: list[dict[str, Any]] = []
    for line in layout.sections.get(RELATED_FAQ, ()):
        for link in line.links:
            match = _FAQ_ENTRY.match(link.text) if link.text.endswith(")") else None
            if match:
                entries.append(
                    {
                        "topic": match["topic"].strip() or None,
                        "department": match["department"].strip() or None,
                        "url": absolute_url(base_url, link.href),
                    }
                )
    return entries


# --- entry point ------------------------------------------------------------------------------


def parse(html: str | bytes, url: str, *, site: Site | None = None, crawled_at: datetime | None = None,
          content_type: str | None = None) -> QARecord:
    """The record of one article page; bytes are decoded strictly by their declared charset (or UTF-8).

    Raises NotAnArticle(reason) for anything that is not a Q&A article (not-found page, listing,
    home, FAQ topic page, empty document, XML, a page cut before its asker line, undecodable bytes),
    and pydantic.ValidationError when an extracted value breaks the model (e.g. age_min > age_max).
    """
    source_id = source_id_from_url(url)
    if source_id is None:
        raise NotAnArticle(
            f"URL is not an article URL /en/article/<id> (id of 1-{MAX_INT_DIGITS} digits): {url[:200]!r}"
        )
    if isinstance(html, (bytes, bytearray)):
        html = decode_html(html, content_type)
    layout = _layout(page_lines(html), source_id, html)
    return build_record(
        site=site or DECLARATION,
        source_id=source_id,
        url=url,
        crawled_at=crawled_at,
        title=title(layout),
        question=question(layout),
        asker=asker(layout),
        ask_date=ask_date(layout),
        reply_date=reply_date(layout),
        department=department(layout),
        doctor=doctor(layout),
        answer=answer(layout),
        more_info=more_info(layout),
        similar_questions=similar_questions(layout, url),
        related_faqs=related_faqs(layout, url),
        categories=[],
        view_count=None,
    )


DECLARATION = Site(
    id=SITE,
    language=LANGUAGE,
    base_url="https://doctorqna.com",
    article=r"^/en/article/([0-9]+)/?(?=[?]|$)",
    article_template="/en/article/{id}",
    parser=parse,
    parser_version=PARSER_VERSION,
    description="doctorqna.com English article pages, translated from Taiwan e-Hospital",
    discovery=Discovery(sitemaps=("/sitemap.xml",), listings=("/en/",), listing_pattern=r"^/en/(department/[^/]+)?/?$"),
    required_fields=("answer", "reply_date", "doctor.name", "department"),
    gates={"coverage": {"asker.gender": 0.9, "asker.age_min": 0.9}},
    card_notes=(
        "doctorqna's `asker.gender` is a translation default (`female` on almost every page, even for \"Mr.\" "
        "askers): do not analyse it.",
        "doctorqna pages are English translations of Taiwan e-Hospital questions: a question and its translation "
        "are different texts, so they are not detected as duplicates and may land in different splits.",
    ),
    asker_name_spans=asker_name_spans,
    sandbox="qacrawler.sandbox.doctorqna:DoctorQnaSite",
)
