"""The doctorqna page template, in any language: one parser, one `Labels` table per site. Pure: no Scrapy, no I/O.

doctorqna.com (English) and adoctor.tw (Traditional Chinese) serve the same article template; only the
visible wording differs. The parser reads the page as a reader does (``page_text.page_lines``: visible
lines in reading order) and anchors on the labels of its table, never on tags or classes:

    [<SEO title> - <Department>]  [<share label> …links…]
    <title>
    <question paragraphs…>
    <asker line: name, age, gender> <ask date label> YYYY/MM/DD      (the date part may be its own line)
    <reply header: doctor and department>
    <answer paragraphs…, sign-off included>
    <reply date label> YYYY/MM/DD
    <more info> / <similar> / <related FAQ> sections

One small function per field, each working on the lines; ``TemplateParser.parse`` wires them together.
"""

from __future__ import annotations

import os.path
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from qacrawler.page.records import QARecord
from qacrawler.page.sites.build import build_record
from qacrawler.page.sites.encoding import decode_html
from qacrawler.page.sites.errors import NotAnArticle, PageMissing
from qacrawler.page.sites.fields import MAX_INT_DIGITS, absolute_url, find_ymd_date, parse_int, parse_ymd_date
from qacrawler.page.sites.page_text import Line, page_lines
from qacrawler.page.sites.site import Site, source_id_in
from qacrawler.page.taxonomy import specialty_for

__all__ = ["Labels", "TemplateParser"]


@dataclass(frozen=True)
class Labels:
    """Everything language-specific the template parser anchors on. Each text label is a tuple of the
    spellings the site uses (e.g. an ASCII and a full-width colon); the first one names it in reasons."""

    ask_date: tuple[str, ...]
    reply_date: tuple[str, ...]
    share: tuple[str, ...]
    more_info: str
    similar: str
    related_faq: str
    read_more: str
    not_found: tuple[str, ...]
    age_part: str
    """Regex of the asker line from the separator before the age on: groups ``lo``, ``hi`` (the range's
    upper bound), ``open`` (matched when the age is open-ended: age_max stays None), ``gender``."""
    asker_end: str
    """Regex of what may close the asker part before the ask date (English "." / Chinese ",")."""
    genders: dict[str, str]
    """The gender words, lower-cased, -> ``male`` / ``female``; any other word leaves gender None."""
    reply_header: str
    """Regex of the reply header "Dr. X reply Dept" / "X 醫師回覆-Dept": groups ``name``, ``department``."""
    reply_frame: tuple[str, str, str]
    """How the site writes a reply header: the text before the doctor, between doctor and department,
    and after it (the sandbox renders headers from it; ``reply_header`` must read what it writes)."""
    asker_form: str
    """How the site writes the asker part, as a ``str.format`` template of name, lo, hi and gender."""
    gender_words: dict[str, str]
    """``male`` / ``female`` -> the word the site shows (the inverse of ``genders``, for rendering)."""
    title_word: str
    """Regex of a whole word that ends in a sentence mark but does not end a sentence ("Dr.")."""
    sentence_end: str
    """Regex of a sentence mark in a word: anchored with ``$`` for languages that put spaces between
    sentences; unanchored for languages that do not (the name then starts just after the mark)."""
    heading_separator: str = " - "
    """Between the SEO title and the department in the page heading."""
    faq_entry: str = r"^(?P<topic>.*?)\s*\((?P<department>[^()]*)\)$"
    """Regex of a Related FAQ link "<Topic>(<Department>)"; the link text must end with ``faq_entry_ends``."""
    faq_entry_ends: tuple[str, ...] = (")",)
    name_words: int = 4
    """At most this many words before the age are taken for the name in flat text (a reject's excerpt)."""
    section_suffixes: tuple[str, ...] = ("", ":", " :")
    """What may follow a section title on its heading line."""


@dataclass(frozen=True)
class AskerLine:
    """Where the asker line is: ``first`` is the line holding the asker part (or the ask-date line when
    there is no asker part), ``end`` the index just after the ask-date value."""

    first: int
    end: int
    asker_text: str | None
    date_text: str | None
    complete: bool  # the asker part matches the table's "<name>, <age> <gender>" grammar


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


_URL_TEXT = re.compile(r"^(?:https?://|www\.)\S+$", re.IGNORECASE)
def _joined(lines: list[Line]) -> str | None:
    """Lines are already whitespace-normalised: paragraphs joined by a newline; None when there are none."""
    return "\n".join([line.text for line in lines]) or None


def _find_label(text: str, labels: tuple[str, ...]) -> tuple[int, str] | None:
    """Where the first of ``labels``' spellings found in ``text`` starts, and which it is."""
    for label in labels:
        at = text.find(label)
        if at >= 0:
            return at, label
    return None


class TemplateParser:
    """The article parser of the template, for one site's label table: ``parse`` has the signature a site
    declaration's parser needs (qacrawler.page.sites.site.PageParser), ``asker_name_spans`` finds names in a
    reject's flat excerpt. ``article`` is the declaration's article pattern (group 1 the id), used here to
    recognise links to other articles whatever their host; the host of the page itself is the declaration's
    business."""

    def __init__(self, *, labels: Labels, article: str):
        self.labels = labels
        self._article = re.compile(article)
        ask_dates = "|".join(map(re.escape, labels.ask_date))
        self._ask_date_mark = os.path.commonprefix(list(labels.ask_date))  # one cheap test per line first
        self._asker = re.compile(rf"^(?P<name>.*){labels.age_part}{labels.asker_end}$")
        self._open_age = "open" in self._asker.groupindex
        # the same in page text whose line breaks were lost (a reject's excerpt): before the ask date or the cut
        self._asker_in_text = re.compile(rf"{labels.age_part}{labels.asker_end}\s*(?={ask_dates}|$)")
        self._sentence_end = re.compile(labels.sentence_end)
        self._title_word = re.compile(labels.title_word, re.IGNORECASE)
        self._reply_header_pattern = re.compile(labels.reply_header)
        self._faq_entry = re.compile(labels.faq_entry)
        self._section_of = {
            text: label
            for label in (labels.more_info, labels.similar, labels.related_faq)
            for text in (label + suffix for suffix in labels.section_suffixes)
        }

    # --- page structure -----------------------------------------------------------------------

    def _linked_id(self, href: str) -> str | None:
        """The article id a link points at (relative or on any host), or None."""
        return source_id_in(self._article, href)

    def _asker_lines(self, lines: list[Line]) -> list[AskerLine]:
        """Every asker line on the page (non-link lines holding the ask-date label), in order."""
        found: list[AskerLine] = []
        asker, ask_date, mark = self._asker, self.labels.ask_date, self._ask_date_mark
        for index, line in enumerate(lines):
            text = line.text
            if mark not in text or line.link_only or (where := _find_label(text, ask_date)) is None:
                continue
            at, label = where
            before = text[:at].strip()
            after = text[at + len(label) :].strip()
            end = index + 1
            if not after and end < len(lines) and parse_ymd_date(lines[end].text):
                after, end = lines[end].text, end + 1  # label and value in separate blocks
            first = index
            if not before and index > 0 and asker.match(lines[index - 1].text) and not lines[index - 1].link_only:
                first, before = index - 1, lines[index - 1].text  # asker part in its own block
            found.append(AskerLine(first, end, before or None, after or None, bool(before and asker.match(before))))
        return found

    def asker_name_spans(self, text: str) -> list[tuple[int, int]]:
        """Where asker names are in page text whose line breaks were lost (a reject's excerpt): the words
        before each asker part, back to the end of the sentence before them. The start of a name is not
        marked there, so a span may take a few words of the question with it (at most ``name_words``)."""
        spans = []
        for match in self._asker_in_text.finditer(text):
            start = end = match.start()
            for word in reversed(list(re.finditer(r"\S+", text[:end]))[-self.labels.name_words :]):
                marks = list(self._sentence_end.finditer(word.group()))
                if marks and not self._title_word.match(word.group()):
                    if marks[-1].end() < len(word.group()):  # the sentence ends inside the word: the name follows
                        start = word.start() + marks[-1].end()
                    break
                start = word.start()
            if start < end:
                spans.append((start, end))
        return spans

    def _is_chrome_line(self, line: Line, source_id: str) -> bool:
        """A share line, or a line made only of links (menu, share buttons, breadcrumb) — unless its links
        are bare URLs or point at this very article (a question paragraph, a title permalink)."""
        if line.text.startswith(self.labels.share):
            return True
        if not line.link_only:
            return False
        for link in line.links:
            if _URL_TEXT.match(link.text) or self._linked_id(link.href or "") == source_id:
                return False
        return True

    def _reply_header(self, line: Line) -> ReplyHeader | None:
        match = self._reply_header_pattern.match(line.text)
        if not match:
            return None
        return ReplyHeader(-1, match["name"].strip(), match["department"].strip())

    def _title_index(self, lines: list[Line], asker: AskerLine, source_id: str, department: str | None) -> int:
        """Index of the question title: just after the last chrome line before the asker line, then past
        the page heading ``<SEO title> - <Department>`` when more than title + question follow it."""
        start = 0
        for index in range(asker.first):
            if self._is_chrome_line(lines[index], source_id):
                start = index + 1
        if asker.first - start >= 3 and self._is_page_heading(lines[start].text, department):
            start += 1
        return start

    def _is_page_heading(self, text: str, department: str | None) -> bool:
        separator = self.labels.heading_separator
        if department:
            return text.endswith(separator + department)
        head, sep, tail = text.rpartition(separator)  # no reply header: any known department name
        return bool(sep and head.strip() and specialty_for(tail.strip()))

    def _find_reply(self, lines: list[Line], asker: AskerLine, source_id: str) -> ReplyHeader | None:
        """The reply header is the first line after the asker line that is not chrome; anything else there
        (a section heading, answer text without a header) means the page has no reply header."""
        for index in range(asker.end, len(lines)):
            line = lines[index]
            header = self._reply_header(line)
            if header is not None:
                return ReplyHeader(index, header.doctor_name, header.department)
            if not self._is_chrome_line(line, source_id):
                return None
        return None

    def _layout(self, lines: list[Line], source_id: str, raw: Any) -> Layout:
        ask_label = self.labels.ask_date[0]
        askers = self._asker_lines(lines)
        if not askers:
            raise NotAnArticle(self._why_no_asker(lines, raw))
        complete = [asker for asker in askers if asker.complete]
        if len(complete) > 1:
            raise NotAnArticle(f"{len(complete)} asker lines with '{ask_label}' found: a listing, not one article")
        asker = complete[0] if complete else askers[0]
        reply = self._find_reply(lines, asker, source_id)
        title_index = self._title_index(lines, asker, source_id, reply.department if reply else None)
        if title_index >= asker.first:
            raise NotAnArticle(f"no question title before the asker line with '{ask_label}'")
        if title_index + 1 >= asker.first:
            raise NotAnArticle(f"no question body between the title and the asker line with '{ask_label}'")

        layout = Layout(lines, source_id, asker, title_index, reply)
        self._find_sections(layout, reply.index + 1 if reply else asker.end)
        return layout

    def _find_sections(self, layout: Layout, begin: int) -> None:
        """Section headings count from ``begin`` (after the reply header) on; each section runs to the
        next heading or the end. A label seen a second time is content, not a new section. A heading is a
        non-link line whose whole text is the label (a trailing colon allowed)."""
        lines = layout.lines
        section_of = self._section_of
        marks: dict[str, int] = {}
        for index in range(begin, len(lines)):
            line = lines[index]
            label = section_of.get(line.text)
            if label and not line.links and label not in marks:
                marks[label] = index
        starts = sorted(marks.values())
        layout.answer_end = starts[0] if starts else len(lines)
        for label, index in marks.items():
            stop = next((start for start in starts if start > index), len(lines))
            layout.sections[label] = lines[index + 1 : stop]

    def _why_no_asker(self, lines: list[Line], raw: Any) -> str:
        ask_label = self.labels.ask_date[0]
        if not lines:
            return "empty document: no visible text"
        head = raw[:1024] if isinstance(raw, (str, bytes, bytearray)) else ""
        if isinstance(head, (bytes, bytearray)):
            head = bytes(head).removeprefix(b"\xef\xbb\xbf").decode("latin-1")
        if head.lstrip("\ufeff \t\r\n").startswith("<?xml") and "<html" not in head.lower():
            return f"document is XML, not an HTML article page (no asker line with '{ask_label}')"
        for line in lines[:40]:
            for phrase in self.labels.not_found:
                if phrase.lower() in line.text.lower():
                    raise PageMissing(f"page says '{phrase}'")
        return f"no asker line with '{ask_label}' found"

    # --- fields ---------------------------------------------------------------------------------

    def title(self, layout: Layout) -> str:
        return layout.lines[layout.title_index].text

    def question(self, layout: Layout) -> str | None:
        return _joined(layout.lines[layout.title_index + 1 : layout.asker.first])

    def asker(self, layout: Layout) -> dict[str, Any]:
        text = layout.asker.asker_text or ""
        match = self._asker.match(text)
        if not match:  # an asker part not in the table's grammar: keep it as the name
            return {"name": text.rstrip(". ") or None}
        low = parse_int(match["lo"])
        open_ended = self._open_age and match["open"] is not None
        return {
            "name": match["name"].strip() or None,
            "gender": self.labels.genders.get((match["gender"] or "").lower()),
            "age_min": low,
            "age_max": None if open_ended else parse_int(match["hi"]) if match["hi"] else low,
        }

    def ask_date(self, layout: Layout) -> date | None:
        return find_ymd_date(layout.asker.date_text)

    def doctor(self, layout: Layout) -> dict[str, Any]:
        return {"name": layout.reply.doctor_name if layout.reply else None, "hospital": None}

    def department(self, layout: Layout) -> str | None:
        return layout.reply.department if layout.reply else None

    def _reply_date_line(self, layout: Layout) -> tuple[int, str] | None:
        """The line starting with the reply-date label after the reply header, and which spelling it is."""
        if not layout.reply:
            return None
        labels = self.labels.reply_date
        for index in range(layout.reply.index + 1, layout.answer_end):
            text = layout.lines[index].text
            if text.startswith(labels):
                for label in labels:
                    if text.startswith(label):
                        return index, label
        return None

    def answer(self, layout: Layout) -> str | None:
        """The lines after the reply header up to the reply date (else up to the first section heading).
        A reply-date line right under the header is skipped: the answer then follows it."""
        if not layout.reply:
            return None
        found = self._reply_date_line(layout)
        start, stop = layout.reply.index + 1, found[0] if found else None
        if found and stop == start:
            start, stop = start + 1, layout.answer_end
            if layout.lines[start - 1].text == found[1] and start < stop:
                start += parse_ymd_date(layout.lines[start].text) is not None  # its value in the next block
        return _joined(layout.lines[start : layout.answer_end if stop is None else stop])

    def reply_date(self, layout: Layout) -> date | None:
        found = self._reply_date_line(layout)
        if found is None:
            return None
        index, label = found
        value = layout.lines[index].text[len(label) :].strip()
        if not value and index + 1 < layout.answer_end:
            return parse_ymd_date(layout.lines[index + 1].text)  # label and value in separate blocks
        return find_ymd_date(value)

    def more_info(self, layout: Layout) -> str | None:
        section = list(layout.sections.get(self.labels.more_info, ()))
        while section and self._is_chrome_line(section[-1], layout.source_id):  # a menu after the content
            section.pop()
        return _joined(section)

    def _article_link(self, line: Line, base_url: str) -> str | None:
        for link in line.links:
            if self._linked_id(link.href or ""):
                resolved = absolute_url(base_url, link.href)
                if resolved:
                    return resolved
        return None

    def _answer_excerpt(self, text: str, entry_title: str) -> str:
        """Text before the read-more link (the line goes on with the linked title again)."""
        read_more = self.labels.read_more
        rest = text
        if entry_title and rest.endswith(entry_title):
            rest = rest[: -len(entry_title)].rstrip()
        if rest.endswith(read_more):
            return rest[: -len(read_more)].strip()
        return text[: text.find(read_more)].strip()

    def similar_questions(self, layout: Layout, base_url: str) -> list[dict[str, Any]]:
        """Entries: linked title line / question excerpt / reply header / answer excerpt + read-more
        link. An entry starts at a link-only line linking to an article. No section: no entries."""
        entries: list[_Similar] = []
        current: _Similar | None = None
        read_more, reply_header, article_link = self.labels.read_more, self._reply_header, self._article_link
        for line in layout.sections.get(self.labels.similar, ()):
            if current is not None and not current.done and read_more in line.text:
                current.answer_lines.append(self._answer_excerpt(line.text, current.title))
                current.done = True
            elif line.link_only:  # a new entry's linked title; other link-only lines are chrome
                if link := article_link(line, base_url):
                    current = _Similar(link, line.text)
                    entries.append(current)
            elif current is None or current.done:
                continue
            elif (header := reply_header(line)) is not None and not current.answer_lines:
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

    def related_faqs(self, layout: Layout, base_url: str) -> list[dict[str, Any]]:
        """Each link ``<Topic>(<Department>)``; the department's own entry ``(<Department>)`` has no topic."""
        entries: list[dict[str, Any]] = []
        ends = self.labels.faq_entry_ends
        for line in layout.sections.get(self.labels.related_faq, ()):
            for link in line.links:
                match = self._faq_entry.match(link.text) if link.text.endswith(ends) else None
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

    def parse(self, html: str | bytes, url: str, *, site: Site, crawled_at: datetime | None = None,
              content_type: str | None = None) -> QARecord:
        """The record of one article page; bytes are decoded strictly by their declared charset (or UTF-8).

        Raises NotAnArticle(reason) for anything that is not a Q&A article of this site (not-found page,
        listing, home, FAQ topic page, empty document, XML, a page cut before its asker line, undecodable
        bytes, another site's URL), and pydantic.ValidationError when an extracted value breaks the model
        (e.g. age_min > age_max).
        """
        source_id = site.source_id_from_url(url)
        if source_id is None:
            raise NotAnArticle(
                f"URL is not an article URL {site.article_path('<id>')} (id of 1-{MAX_INT_DIGITS} digits): "
                f"{url[:200]!r}"
            )
        if isinstance(html, (bytes, bytearray)):
            html = decode_html(html, content_type)
        layout = self._layout(page_lines(html), source_id, html)
        return build_record(
            site=site,
            source_id=source_id,
            url=url,
            crawled_at=crawled_at,
            title=self.title(layout),
            question=self.question(layout),
            asker=self.asker(layout),
            ask_date=self.ask_date(layout),
            reply_date=self.reply_date(layout),
            department=self.department(layout),
            doctor=self.doctor(layout),
            answer=self.answer(layout),
            more_info=self.more_info(layout),
            similar_questions=self.similar_questions(layout, url),
            related_faqs=self.related_faqs(layout, url),
            categories=[],
            view_count=None,
        )
