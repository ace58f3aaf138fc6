"""Taiwan e-Hospital (台灣e院) question pages ``/doctor/All/ShowDetail.php?q_no=<n>`` -> QARecord.

Pure: no Scrapy, no I/O. Pages are Big5 (CP950) bytes, often with no charset declared; they are
decoded strictly by :func:`qacrawler.page.sites.encoding.decode_html` and the punctuation Big5 decoders
disagree on is normalised, so bytes, a ``big5``-decoded and a ``cp950``-decoded string parse alike.

The page is read as a reader sees it (``page_text.page_lines``) and anchored on its visible labels
(docs/sites/tw_ehospital.md), which both markup generations share:

    #<q_no> <title>                                        (older li.subject; newer: two h2)
    瀏覽數：<n>   相關分類：<cat1>、<cat2>                    (anywhere)
    發問者：<name>／<男|女>／<age>, <date>                    (older li.asker)
      or  <name>／<男|女>／<age>,<date> 提問：               (newer w3-bar-item)
    <question paragraphs>                                  (older li.ask; newer first div.msg)
    答復者：[<hospital>／]<department>／<doctor>, <date>      (older li.doctor)
      or  [<hospital>／]<department>／<doctor>, <date> 回覆：  (newer w3-bar-item)
    <answer paragraphs>                                    (older li.ans; newer second div.msg)

A label may also stand alone with its value in the next block (``發問者`` / ``答復者``) or the
previous one (``提問：`` / ``回覆：``). The known containers (``li.ask``/``li.ans``, ``div.msg``)
delimit the question and answer when present; otherwise the text between the labels does, so a
redesign with other markup still parses. One small function per field; ``parse`` wires them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit, urlunsplit

from lxml import etree

from qacrawler.page.records import QARecord
from qacrawler.page.sites.build import build_record
from qacrawler.page.sites.encoding import decode_html, normalise_punctuation
from qacrawler.page.sites.errors import NotAnArticle, PageMissing
from qacrawler.page.sites.fields import MAX_INT_DIGITS, find_date, join_paragraphs, parse_int, parse_zh_age_range
from qacrawler.page.sites.page_text import Line, page_lines, parse_html
from qacrawler.page.sites.site import Discovery, Site

__all__ = [
    "DEFAULT_ENCODING",
    "FALLBACK_ENCODINGS",
    "LANGUAGE",
    "PARSER_VERSION",
    "SITE",
    "canonical_url",
    "decode_page",
    "parse",
    "source_id_from_url",
]

SITE = "tw_ehospital"
PARSER_VERSION = "1.0"
LANGUAGE = "zh-Hant"

DEFAULT_ENCODING = "cp950"
FALLBACK_ENCODINGS = ("big5hkscs", "utf-8")
"""Undeclared pages: CP950 (with Big5-HKSCS pairs), then Big5-HKSCS, then UTF-8 — each strictly."""

ASKER_LABEL = "發問者"
ASK_LABEL = "提問："
VIEWS_LABEL, CATEGORIES_LABEL = "瀏覽數", "相關分類"
NOT_FOUND = "不存在"
SEPARATOR = "／"

_PREFIX = re.compile(r"^(?P<label>發問者|答[復覆]者|回[復覆]者)\s*[：:]?\s*(?P<value>.*)$")
_SUFFIX = re.compile(r"^(?P<value>.*?)\s*(?P<label>提問|回[覆復]|答[覆復])\s*[：:]$")
_ASKER_LABELS = frozenset({"發問者", "提問"})
# an asker line in page text whose line breaks were lost (a reject's excerpt): "發問者：<parts>[, <date>]"
# or "<parts>, <date> 提問：", the parts written without spaces
_ASKER_IN_TEXT = re.compile(
    rf"{ASKER_LABEL}\s*[：:]?\s*(?P<prefixed>[^\s,，]+(?:[,，]\s*[^\s,，]+)?)"
    rf"|(?P<suffixed>[^\s,，]+[,，]\s*[^\s,，]+)\s*{ASK_LABEL[:-1]}\s*[：:]"
)
_SUBJECT = re.compile(r"^[#＃]\s*(?P<no>[0-9]+)(?![0-9])\s*(?P<rest>.*)$")
_META = re.compile(r"(?P<label>瀏覽次?數|相關分類)\s*[：:]?\s*")
_PARTS = re.compile(r"\s*[／∕]\s*")  # ∕ too, for text that reached us without normalisation
_COMMA = re.compile(r"[,，]")
_CATEGORY_SEPARATORS = re.compile(r"[、﹑､]")
_LEADING_INT = re.compile(r"^[0-9][0-9,]*")
_URL_TEXT = re.compile(r"^(?:https?://|www\.)\S+$", re.IGNORECASE)
_ARTICLE_HREF = re.compile(r"ShowDetail\.php\?(?:[^#]*&)?q_no=([0-9]+)", re.IGNORECASE)
_GENDERS = {"男": "male", "男性": "male", "女": "female", "女性": "female"}
_WITHHELD = frozenset({"", "保密", "不詳", "未填"})
_CHROME_ANCESTOR = (
    "ancestor-or-self::*[self::nav or self::header or self::footer or self::template or self::noscript or @hidden]"
)


# --- URL ----------------------------------------------------------------------------------------


def source_id_from_url(url: str) -> str | None:
    """The ``q_no`` query value of an article URL (leading zeros dropped); None when absent, not digits
    or longer than MAX_INT_DIGITS digits (no site numbers its questions so: a hostile or broken link)."""
    try:
        query = parse_qs(urlsplit(url or "").query)
    except ValueError:
        return None
    values = [value.strip() for value in query.get("q_no", []) if value.strip()]
    number = parse_int(values[0]) if values and values[0].isdigit() else None
    return None if number is None else str(number)


def canonical_url(url: str, q_no: str) -> str:
    """The page URL with only ``q_no`` in its query and no fragment (listing links add other parameters)."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, f"q_no={q_no}", ""))


def _article_id_or_raise(url: str) -> str:
    try:
        path = urlsplit(url or "").path.lower()
    except ValueError:  # a malformed host such as "http://[::1"
        raise NotAnArticle(f"URL is malformed: {url[:200]!r}") from None
    if path.endswith("/history.php"):
        raise NotAnArticle(f"department history listing (history.php), not an article: {url[:200]!r}")
    if path.endswith("/index1.php") or path.endswith("/index.php") or path.endswith("/doctor/"):
        raise NotAnArticle(f"home or department index page, not an article: {url[:200]!r}")
    q_no = source_id_from_url(url)
    if q_no is None:
        raise NotAnArticle(
            f"URL has no numeric q_no of 1-{MAX_INT_DIGITS} digits (…/ShowDetail.php?q_no=<n>): {url[:200]!r}"
        )
    return q_no


def decode_page(html: str | bytes, content_type: str | None = None) -> str:
    """Page text for parsing: bytes decoded strictly (UndecodablePage otherwise), Big5 punctuation
    variants normalised (a str is only normalised)."""
    return normalise_punctuation(
        decode_html(html, content_type, default=DEFAULT_ENCODING, fallbacks=FALLBACK_ENCODINGS)
    )


# --- page structure -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Anchor:
    """A labelled line: ``value`` is its text without the label; ``used`` the lines it takes up
    (two when the label stands alone and the value is the neighbouring block)."""

    index: int
    used: tuple[int, ...]
    value: str


@dataclass(frozen=True)
class Part:
    """``<a>／<b>[／<c>…], <date>``: the ／-separated parts and the date after the last comma."""

    parts: tuple[str, ...]
    date: date | None


@dataclass
class Page:
    lines: list[Line]
    q_no: str
    subject: int
    title_text: str
    title_index: int
    asker: Anchor
    doctor: Anchor | None
    meta: dict[int, dict[str, str]] = field(default_factory=dict)  # line index -> label -> value
    question_lines: list[str] | None = None  # from the known container, when there is one
    answer_lines: list[str] | None = None
    count_texts: list[str] = field(default_factory=list)  # li.count texts (view count without label)


def _is_chrome(line: Line) -> bool:
    """A line made only of links (menu, breadcrumb, share buttons) unless the links are bare URLs."""
    return line.link_only and not any(_URL_TEXT.match(link.text) for link in line.links)


def _looks_like_part(value: str) -> bool:
    return bool(_PARTS.search(value) or find_date(value))


def _find_anchor(lines: list[Line], asker: bool, start: int = 0) -> Anchor | None:
    """The first asker (``asker=True``) or doctor line from ``start``: a prefix label
    (發問者 / 答復者) or a suffix label (提問： / 回覆：) whose value reads as ``a／b…, date``."""
    used: tuple[int, ...]
    for index in range(start, len(lines)):
        text = lines[index].text
        match = _PREFIX.match(text)
        if match and (match["label"] in _ASKER_LABELS) == asker:
            value, used = match["value"], (index,)
            if not value and index + 1 < len(lines):
                value, used = lines[index + 1].text, (index, index + 1)
            return Anchor(index, used, value)
        match = _SUFFIX.match(text)
        if match and (match["label"] in _ASKER_LABELS) == asker:
            value, used = match["value"], (index,)
            if not value and index > start:
                value, used = lines[index - 1].text, (index - 1, index)
            if _looks_like_part(value):
                return Anchor(index, used, value)
    return None


def _find_subject(lines: list[Line], q_no: str) -> int | None:
    """The ``#<q_no>`` line of this question, else the first ``#<digits>`` line."""
    first: int | None = None
    for index, line in enumerate(lines):
        match = _SUBJECT.match(line.text)
        if match:
            if (match["no"].lstrip("0") or "0") == q_no:
                return index
            if first is None:
                first = index
    return first


def _meta_values(text: str) -> dict[str, str] | None:
    """``瀏覽數：12 相關分類：a、b`` -> {"瀏覽數": "12", "相關分類": "a、b"}; None unless a label starts
    the line."""
    matches = list(_META.finditer(text))
    if not matches or matches[0].start() != 0:
        return None
    values: dict[str, str] = {}
    for position, match in enumerate(matches):
        end = matches[position + 1].start() if position + 1 < len(matches) else len(text)
        label = CATEGORIES_LABEL if match["label"] == CATEGORIES_LABEL else VIEWS_LABEL
        values.setdefault(label, text[match.end() : end].strip())
    return values


def _meta_lines(lines: list[Line], taken: set[int]) -> dict[int, dict[str, str]]:
    meta: dict[int, dict[str, str]] = {}
    for index, line in enumerate(lines):
        if index in taken:
            continue
        values = _meta_values(line.text)
        if values is None:
            continue
        meta[index] = values
        for label, value in values.items():  # a label alone: its value is the next block
            if (not value and index + 1 < len(lines) and index + 1 not in taken
                    and _meta_values(lines[index + 1].text) is None):
                values[label] = lines[index + 1].text
                meta.setdefault(index + 1, {})
    return meta


def _elements(root: etree._Element | None, token: str) -> list[etree._Element]:
    """Elements whose class holds ``token``, outside chrome (nav, header, footer, hidden…)."""
    if root is None:
        return []
    elements: list[etree._Element] = root.xpath(
        f"//*[contains(concat(' ', normalize-space(@class), ' '), ' {token} ')][not({_CHROME_ANCESTOR})]"
    )
    return elements


def _container_lines(element: etree._Element | None) -> list[str] | None:
    if element is None:
        return None
    return [line.text for line in page_lines(element) if not _is_chrome(line)]


def _known_containers(root: etree._Element | None) -> tuple[list[str] | None, list[str] | None]:
    """Question and answer lines of the known markup: older ``li.ask`` / ``li.ans``, newer the first
    and second ``div.msg``. (None, None) when the page has neither."""
    asks, answers = _elements(root, "ask"), _elements(root, "ans")
    if asks:
        return _container_lines(asks[0]), _container_lines(answers[0] if answers else None)
    messages = _elements(root, "msg")
    if messages:
        return _container_lines(messages[0]), _container_lines(messages[1] if len(messages) > 1 else None)
    return None, None


def _title(lines: list[Line], subject: int, taken: set[int]) -> tuple[str | None, int]:
    """Text after ``#<q_no>`` on its line, else the next line (newer markup: two h2 elements)."""
    rest = _SUBJECT.match(lines[subject].text)["rest"].strip()  # type: ignore[index]
    if rest:
        return rest, subject
    following = subject + 1
    if (following < len(lines) and following not in taken and not _is_chrome(lines[following])
            and _meta_values(lines[following].text) is None):
        return lines[following].text, following
    return None, subject


def _why_not_article(lines: list[Line], q_no: str) -> str:
    if not lines:
        return "empty document: no visible text"
    for line in lines[:60]:
        if NOT_FOUND in line.text and not _SUBJECT.match(line.text) and len(line.text) <= 40:
            raise PageMissing(f"page says {line.text!r}: question q_no={q_no} does not exist ({NOT_FOUND})")
    hrefs = (link.href or "" for line in lines for link in line.links)
    linked = {match.group(1) for href in hrefs if (match := _ARTICLE_HREF.search(href))}
    linked.discard(q_no)
    if len(linked) >= 2:
        return f"a listing linking to {len(linked)} questions, not one article"
    return f"no question subject '#{q_no}' with an asker line ({ASKER_LABEL}… or …{ASK_LABEL}) found"


def _read_page(root: etree._Element | None, lines: list[Line], q_no: str) -> Page:
    subject = _find_subject(lines, q_no) if lines else None
    asker_anchor = _find_anchor(lines, asker=True, start=subject + 1) if subject is not None else None
    if asker_anchor is None and subject is not None:  # a layout with the asker line above the subject
        asker_anchor = _find_anchor(lines, asker=True)
    if subject is None or asker_anchor is None:
        raise NotAnArticle(_why_not_article(lines, q_no))
    doctor_anchor = _find_anchor(lines, asker=False, start=max(asker_anchor.used) + 1)
    taken = {subject, *asker_anchor.used, *(doctor_anchor.used if doctor_anchor else ())}
    title_text, title_index = _title(lines, subject, taken)
    if not title_text:
        raise NotAnArticle(f"no question title after '#{q_no}'")
    taken.add(title_index)
    page = Page(lines, q_no, subject, title_text, title_index, asker_anchor, doctor_anchor)
    page.meta = _meta_lines(lines, taken)
    question_lines, answer_lines = _known_containers(root)
    anchors = {page.subject, *asker_anchor.used, *(doctor_anchor.used if doctor_anchor else ())}
    known = {lines[index].text for index in anchors}  # a container holding a label line is not the body
    if question_lines and not known.intersection(question_lines):
        page.question_lines = question_lines
    if answer_lines and not known.intersection(answer_lines):
        page.answer_lines = answer_lines
    page.count_texts = [" ".join(element.xpath("string()").split()) for element in _elements(root, "count")]
    if question(page) is None:
        raise NotAnArticle(f"no question text for '#{q_no}'")
    return page


def _taken(page: Page) -> set[int]:
    used = {page.subject, page.title_index, *page.asker.used, *page.meta}
    if page.doctor:
        used.update(page.doctor.used)
    return used


def _region(page: Page, start: int, stop: int, skip_meta: bool) -> list[str]:
    """Lines from ``start`` up to ``stop``, past labelled lines; a menu line ends the region, and so
    does a 瀏覽數 / 相關分類 line unless ``skip_meta`` (they then sit inside the region)."""
    taken = _taken(page)
    found: list[str] = []
    for index in range(start, stop):
        line = page.lines[index]
        if index in page.meta and not skip_meta:
            break
        if _is_chrome(line):
            break
        if index in taken:
            continue
        found.append(line.text)
    return found


def _split_part(value: str) -> Part:
    """``a／b／c, 2018/03/08`` -> Part(("a", "b", "c"), 2018-03-08): the date follows the LAST comma
    (unless ／ follows it too: then the comma is inside a part and there is no date)."""
    value = value.strip()
    head, when = value, None
    commas = list(_COMMA.finditer(value))
    if commas and not _PARTS.search(value[commas[-1].end() :]):
        head, when = value[: commas[-1].start()], find_date(value[commas[-1].end() :])
    parts = tuple(part.strip() for part in _PARTS.split(head.strip()))
    return Part(parts, when)


# --- fields -------------------------------------------------------------------------------------


def title(page: Page) -> str:
    return page.title_text


def question(page: Page) -> str | None:
    if page.question_lines is not None:
        return join_paragraphs(page.question_lines)
    start = max(page.asker.used) + 1
    if page.doctor is not None:
        lines = _region(page, start, min(page.doctor.used), skip_meta=True)
    else:
        lines = _region(page, start, len(page.lines), skip_meta=False)
    if not lines and page.title_index < min(page.asker.used):  # a layout with the question above the asker line
        lines = _region(page, page.title_index + 1, min(page.asker.used), skip_meta=True)
    return join_paragraphs(lines)


def _gender(text: str) -> str | None:
    return _GENDERS.get(text.strip())


def _is_age(text: str) -> bool:
    return text.strip() in _WITHHELD or parse_zh_age_range(text) != (None, None)


def asker(page: Page) -> dict[str, Any]:
    return _asker_fields(page.asker.value)


def _asker_fields(value: str) -> dict[str, Any]:
    """``<name>／<男|女>／<age>``: name verbatim, gender male/female, age bounds (see parse_zh_age_range)."""
    parts = _split_part(value).parts
    name, gender, age = parts[0], "", ""
    if len(parts) >= 3:
        name, gender, age = SEPARATOR.join(parts[:-2]), parts[-2], parts[-1]
    elif len(parts) == 2:
        if _gender(parts[1]) or parts[1] in _WITHHELD:
            gender = parts[1]
        elif _is_age(parts[1]):
            age = parts[1]
        else:
            name = SEPARATOR.join(parts)
    age_min, age_max = parse_zh_age_range(age)
    return {"name": name or None, "gender": _gender(gender), "age_min": age_min, "age_max": age_max}


def asker_name_spans(text: str) -> list[tuple[int, int]]:
    """Where asker names are in page text whose line breaks were lost (a reject's excerpt), read from each
    asker line as the parser reads it (a name holding a space is found from its last word)."""
    spans = []
    for match in _ASKER_IN_TEXT.finditer(text):
        group = "prefixed" if match["prefixed"] else "suffixed"
        name = _asker_fields(match[group])["name"]
        at = match[group].find(name) if name else -1
        if at != -1:
            start = match.start(group) + at
            spans.append((start, start + len(name)))
    return spans


def ask_date(page: Page) -> date | None:
    return _split_part(page.asker.value).date


def _doctor_parts(page: Page) -> tuple[str | None, str | None, str | None]:
    """(hospital, department, doctor) of ``[<hospital>／]<department>／<doctor>``."""
    if page.doctor is None:
        return None, None, None
    parts = _split_part(page.doctor.value).parts
    if len(parts) >= 3:
        hospital, department_name, doctor_name = SEPARATOR.join(parts[:-2]), parts[-2], parts[-1]
    elif len(parts) == 2:
        hospital, department_name, doctor_name = None, parts[0], parts[1]
    else:
        hospital, department_name, doctor_name = None, None, parts[0]
    return hospital or None, department_name or None, doctor_name or None


def doctor(page: Page) -> dict[str, Any]:
    hospital, _, name = _doctor_parts(page)
    return {"name": name, "hospital": hospital}


def department(page: Page) -> str | None:
    return _doctor_parts(page)[1]


def reply_date(page: Page) -> date | None:
    return _split_part(page.doctor.value).date if page.doctor else None


def answer(page: Page) -> str | None:
    """The reply; null without a doctor line (an unanswered question has neither)."""
    if page.doctor is None:
        return None
    if page.answer_lines is not None:
        return join_paragraphs(page.answer_lines)
    return join_paragraphs(_region(page, max(page.doctor.used) + 1, len(page.lines), skip_meta=False))


def _meta_value(page: Page, label: str) -> str | None:
    for values in page.meta.values():
        if values.get(label):
            return values[label]
    return None


def view_count(page: Page) -> int | None:
    """The number after 瀏覽數, else an unlabelled ``li.count`` holding only a number."""
    value = _meta_value(page, VIEWS_LABEL)
    if value is not None:
        match = _LEADING_INT.match(value)
        return parse_int(match.group(0)) if match else None
    for text in page.count_texts:
        number = parse_int(text)
        if number is not None:
            return number
    return None


def categories(page: Page) -> list[str]:
    value = _meta_value(page, CATEGORIES_LABEL)
    if not value:
        return []
    return [name.strip() for name in _CATEGORY_SEPARATORS.split(value) if name.strip()]


# --- entry point --------------------------------------------------------------------------------


def parse(
    html: str | bytes,
    url: str,
    *,
    site: Site | None = None,
    crawled_at: datetime | None = None,
    content_type: str | None = None,
) -> QARecord:
    """The record of one question page.

    ``html``: the response bytes (decoded by ``content_type``'s charset, a ``<meta>`` charset, else
    CP950 / Big5-HKSCS / UTF-8, strictly) or already decoded text. Raises NotAnArticle(reason) for
    a listing or home URL, a URL without ``q_no``, undecodable bytes (UndecodablePage), an empty
    document, the 不存在 (does not exist) page, or a page with no ``#<q_no>`` subject, asker line or
    question text; pydantic.ValidationError when an extracted value breaks the model.
    """
    q_no = _article_id_or_raise(url)
    root = parse_html(decode_page(html, content_type))
    lines = page_lines(root) if root is not None else []
    page = _read_page(root, lines, q_no)
    return build_record(
        site=site or DECLARATION,
        source_id=q_no,
        url=canonical_url(url, q_no),
        crawled_at=crawled_at,
        title=title(page),
        question=question(page),
        asker=asker(page),
        ask_date=ask_date(page),
        reply_date=reply_date(page),
        department=department(page),
        doctor=doctor(page),
        answer=answer(page),
        more_info=None,
        similar_questions=[],
        related_faqs=[],
        categories=categories(page),
        view_count=view_count(page),
    )


DECLARATION = Site(
    id=SITE,
    language=LANGUAGE,
    base_url="https://sp1.hso.mohw.gov.tw",
    article=r"(?i)^/doctor/All/ShowDetail\.php\?(?:[^#]*&)?q_no=0*([0-9]+)(?:&|$)",
    article_template="/doctor/All/ShowDetail.php?q_no={id}",
    parser=parse,
    parser_version=PARSER_VERSION,
    description="Taiwan e-Hospital (台灣e院), the Chinese original, Big5 pages",
    discovery=Discovery(listings=("/doctor/Index1.php",), listing_pattern=r"/doctor/All/(history|index)\.php$"),
    gates={"coverage": {"answer": 0.8, "reply_date": 0.8, "department": 0.8, "doctor.name": 0.8}},
    card_notes=("tw_ehospital's `asker.gender` is as the asker gave it.",),
    asker_name_spans=asker_name_spans,
    sandbox="qacrawler.sandbox.tw_ehospital:TwEHospitalSite",
    spider="qacrawler.crawl.spiders.tw_ehospital:TwEHospitalSpider",  # listing pages are numbered by a <select>
)
