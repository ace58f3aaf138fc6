"""schema.org QAPage pages (JSON-LD, microdata, RDFa) -> QARecord: the parser of every site declared by a site
file. Pure: no Scrapy, no I/O. The page contract (what is read from where, what is refused): docs/sites/qapage.md.

qacrawler.page.structured_data turns the page into schema.org nodes; this module reads the record's fields from
them, one small function per field. The question is the ``mainEntity`` of a ``QAPage`` (the first syntax of
``syntaxes`` that has one wins: sites often publish the same question in two); an FAQPage is no patient's
question and is refused, or split into records of kind ``faq`` when the site keeps them.
"""

from __future__ import annotations

import html as html_module
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cssselect import HTMLTranslator, SelectorError
from lxml import etree

from qacrawler.page.records import Answer, Asker, Doctor, QARecord
from qacrawler.page.sites.build import build_record
from qacrawler.page.sites.encoding import decode_html
from qacrawler.page.sites.errors import NotAnArticle
from qacrawler.page.sites.fields import MAX_INT_DIGITS, absolute_url, clean_text, find_ymd_date, parse_int
from qacrawler.page.sites.page_text import page_lines, parse_html
from qacrawler.page.structured_data import PARAGRAPH, Node, StructuredData, element_text, extract, schema_name

if TYPE_CHECKING:
    from qacrawler.page.sites.site import Site

__all__ = ["DEFAULT_SYNTAXES", "FAQ_REFUSAL", "OVERRIDABLE_FIELDS", "PARSER_VERSION", "SYNTAXES", "FieldRule",
           "QAPageParser", "plain_text"]

PARSER_VERSION = "1.0"
SYNTAXES = ("json-ld", "microdata", "rdfa")  # what a site file may list in `syntaxes`
DEFAULT_SYNTAXES = ("json-ld", "microdata")  # RDFa is slow (15 ms a page): only when a site file asks
OVERRIDABLE_FIELDS = ("title", "question", "asker_name", "ask_date", "reply_date", "department", "doctor_name",
                      "view_count", "categories")
FAQ_REFUSAL = "FAQPage: an FAQ, not a patient's question (keep_faq = true in the site file keeps its pairs)"

_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]*)?/?>")
_NUMBER = re.compile(r"[0-9][0-9,]*")
_VIEW_ACTIONS = frozenset({"ViewAction", "WatchAction"})


@dataclass(frozen=True)
class FieldRule:
    """A site file's rule for one field the structured data lacks: a CSS selector or an XPath on the page."""

    css: str | None = None
    xpath: str | None = None

    def __post_init__(self) -> None:
        if (self.css is None) == (self.xpath is None):
            raise ValueError("give one of css or xpath")
        _compiled(self)  # a selector that does not compile is the site file's error, not every page's


@lru_cache(maxsize=256)
def _compiled(rule: FieldRule) -> etree.XPath:
    try:
        return etree.XPath(HTMLTranslator().css_to_xpath(rule.css) if rule.css is not None else rule.xpath or "")
    except SelectorError as error:
        raise ValueError(f"css {rule.css!r} is not a CSS selector ({error})") from None
    except etree.XPathSyntaxError as error:
        raise ValueError(f"xpath {rule.xpath!r} is not an XPath ({error})") from None


# --- reading values -----------------------------------------------------------------------------


def _values(node: Any, key: str) -> list[Any]:
    """A property's values as a list (schema.org allows one or many everywhere); empty when absent."""
    if not isinstance(node, dict):
        return []
    value = node.get(key)
    if value is None:
        return []
    return [item for item in value if item is not None] if isinstance(value, list) else [value]


def _first(node: Any, *keys: str) -> Any:
    for key in keys:
        for value in _values(node, key):
            return value
    return None


def _is(node: Any, *types: str) -> bool:
    return isinstance(node, dict) and any(name in types for name in node.get("@type", ()))


def _string(value: Any) -> str | None:
    """A scalar value as text; a node's ``name`` (an author, a specialty given as an object)."""
    if isinstance(value, dict):  # a node, or a bare reference to a URL (RDFa's link to an author page)
        ref = value.get("@id")
        value = ref if len(value) == 1 and isinstance(ref, str) and not ref.startswith("_:") else _first(value, "name")
    if isinstance(value, bool) or value is None or isinstance(value, (dict, list)):
        return None
    return str(value)


def plain_text(value: Any) -> str | None:
    """Text that may hold HTML -> plain text: tags removed, block ends and ``<br>`` as line breaks, entities
    decoded, whitespace normalised in each line, empty lines dropped; plain text keeps its own line breaks."""
    text = _string(value)
    if text is None:
        return None
    if _TAG.search(text):
        lines = [line.text for line in page_lines(f"<div>{text}</div>")]
    elif PARAGRAPH in text:
        lines = [clean_text(line) or "" for line in text.split(PARAGRAPH)]
    else:
        lines = [clean_text(line) or "" for line in html_module.unescape(text).splitlines()]
    return "\n".join(line for line in lines if line) or None


def _name(value: Any) -> str | None:
    """A Person/Organization given as an object with a name, or as a plain string."""
    return clean_text(plain_text(value.get("name") if isinstance(value, dict) else value))


def _count(value: Any) -> int | None:
    """A count written as a number or as text ("2", "1,234"); None for a negative, huge or unreadable one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):  # at most MAX_INT_DIGITS digits, as parse_int: the dataset's columns are int64
        return value if 0 <= value < 10**MAX_INT_DIGITS else None
    if isinstance(value, float) and value.is_integer():
        return _count(int(value))
    return parse_int(_string(value))


def _date(value: Any, zone: ZoneInfo | None) -> date | None:
    """The calendar date of an ISO 8601 date or timestamp as the page wrote it (its own offset); a UTC
    timestamp is moved to ``zone`` when the site has one. Unreadable: the leading YYYY-MM-DD, else None."""
    text = _string(value)
    if not text:
        return None
    text = text.strip()
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return find_ymd_date(text[:10])
    if zone is not None and moment.utcoffset() == timedelta(0):
        try:
            moment = moment.astimezone(zone)
        except OverflowError:  # 0001-01-01T00:00Z west of Greenwich: before the first representable day
            return None
    return moment.date()


# --- the question and its page ----------------------------------------------------------------------


@dataclass
class _Page:
    """What the fields are read from: the question node, every node of the page (nested ones too), the page's
    tree and URL."""

    question: Node
    nodes: list[Node]
    root: etree._Element
    url: str


def _main_questions(page_node: Node) -> list[Node]:
    return [entity for entity in _values(page_node, "mainEntity") if _is(entity, "Question")]


def _questions(data: StructuredData, syntaxes: tuple[str, ...]) -> tuple[str | None, list[Node]]:
    """The QAPage questions of the first syntax that has any, and that syntax (one site publishing the same
    question twice, in JSON-LD and microdata, is one question)."""
    for syntax in syntaxes:
        nodes = data.every_node(syntax)
        found: dict[int, Node] = {}
        for node in nodes:
            if _is(node, "QAPage"):
                found.update((id(question), question) for question in _main_questions(node))
        if not found and any(_is(node, "QAPage") for node in nodes):  # no mainEntity: the Question beside it
            faq_questions = {id(question) for node in nodes if _is(node, "FAQPage")
                             for question in _main_questions(node)}
            found.update((id(node), node) for node in nodes
                         if _is(node, "Question") and id(node) not in faq_questions)
        if found:
            return syntax, list(found.values())
    return None, []


def _faq_pages(data: StructuredData) -> list[Node]:
    return [node for node in data.every_node() if _is(node, "FAQPage")]


# --- answers ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Reply:
    answer: Answer
    node: Node
    order: tuple[int, int]  # where the page shows it: (document position when known, listing position)


def _answer(node: Node, accepted: bool, position: int, page: _Page, zone: ZoneInfo | None) -> _Reply | None:
    text = plain_text(_first(node, "text"))
    if text is None:
        return None
    author = _first(node, "author")
    author_url = absolute_url(page.url, _string(_first(author, "url"))) if isinstance(author, dict) else None
    answer = Answer(text=text, author_name=_name(author), author_url=author_url,
                    date=_date(_first(node, "dateCreated", "datePublished"), zone),
                    upvotes=_count(_first(node, "upvoteCount")), accepted=accepted)
    order = node.get("@order")
    return _Reply(answer, node, (order if isinstance(order, int) else position, position))


def _answers(page: _Page, zone: ZoneInfo | None) -> list[_Reply]:
    """Every answer of the question in page order, each once (AnsPress marks one item both suggested and
    accepted); ``accepted`` from ``acceptedAnswer``, wherever it sits in the list."""
    question = page.question
    accepted_ids = {id(node) for node in _values(question, "acceptedAnswer") if isinstance(node, dict)}
    listed = [node for key in ("acceptedAnswer", "suggestedAnswer") for node in _values(question, key)
              if isinstance(node, dict)]
    replies: dict[int, _Reply] = {}
    for position, node in enumerate(listed):
        if id(node) in replies:
            continue
        reply = _answer(node, id(node) in accepted_ids, position, page, zone)
        if reply is not None:
            replies[id(node)] = reply
    unique: dict[tuple[str, str | None, date | None], _Reply] = {}
    for reply in sorted(replies.values(), key=lambda reply: reply.order):
        key = (reply.answer.text, reply.answer.author_name, reply.answer.date)
        kept = unique.get(key)
        if kept is None or (reply.answer.accepted and not kept.answer.accepted):
            unique[key] = reply if kept is None else _Reply(reply.answer, reply.node, kept.order)
    return sorted(unique.values(), key=lambda reply: reply.order)


def _chosen(replies: list[_Reply]) -> _Reply | None:
    """The answer a record's ``answer`` holds: the accepted one, else the best-voted, else the first."""
    if not replies:
        return None
    accepted = [reply for reply in replies if reply.answer.accepted]
    if accepted:
        return accepted[0]
    return max(replies, key=lambda reply: reply.answer.upvotes or 0)


# --- the other fields, one function each --------------------------------------------------------


def _title(page: _Page) -> str | None:
    return clean_text(plain_text(_first(page.question, "name", "headline")))


def _question(page: _Page) -> str | None:
    return plain_text(_first(page.question, "text"))


def _asker_name(page: _Page) -> str | None:
    return _name(_first(page.question, "author"))


def _ask_date(page: _Page, zone: ZoneInfo | None) -> date | None:
    return _date(_first(page.question, "dateCreated", "datePublished"), zone)


def _specialty_name(value: Any) -> str | None:
    """``"Cardiology"``, ``{"name": "Cardiology"}`` or an enumeration URL ``https://schema.org/Cardiovascular``."""
    name = _string(value)
    if name is None and isinstance(value, dict):  # a MedicalSpecialty node given by its @id only
        name = _string(value.get("@id"))
    if name is None:
        return None
    return clean_text(schema_name(name).rsplit("/", 1)[-1] if "://" in name else schema_name(name))


def _crumb(item: Node) -> tuple[str | None, str | None]:
    """A ListItem's name and URL (``item`` is a URL or a Thing with a name and an @id/url)."""
    target = _first(item, "item")
    url = _string(target.get("@id") or _first(target, "url")) if isinstance(target, dict) else _string(target)
    return _name(_first(item, "name")) or (_name(target) if isinstance(target, dict) else None), url


def _breadcrumb_department(page: _Page, title: str | None) -> str | None:
    """The crumb above the page: the last one that is neither the site's home (a URL of path /) nor the page
    itself (no URL, the page's URL, or the question's title)."""
    for node in page.nodes:
        if not _is(node, "BreadcrumbList"):
            continue
        items = [item for item in _values(node, "itemListElement") if isinstance(item, dict)]
        items.sort(key=lambda item: _count(_first(item, "position")) or 0)
        crumbs = [crumb for crumb in map(_crumb, items) if not (crumb[1] and urlsplit(crumb[1]).path in ("", "/"))]
        if crumbs and (crumbs[-1][1] is None or crumbs[-1][0] == title
                       or crumbs[-1][1].rstrip("/") == page.url.rstrip("/")):
            crumbs = crumbs[:-1]
        if crumbs and crumbs[-1][0]:
            return crumbs[-1][0]
    return None


def _department(page: _Page, doctor: Node | None, title: str | None) -> str | None:
    """The page's ``specialty`` (MedicalWebPage, or any other WebPage type), else the answering doctor's
    ``medicalSpecialty``, else the breadcrumb."""
    for node in page.nodes:
        if any(name.endswith("Page") for name in node.get("@type", ())):
            for value in _values(node, "specialty"):
                name = _specialty_name(value)
                if name:
                    return name
    for value in _values(doctor, "medicalSpecialty"):
        name = _specialty_name(value)
        if name:
            return name
    return _breadcrumb_department(page, title)


def _view_count(page: _Page) -> int | None:
    for holder in (page.question, *[node for node in page.nodes if _is(node, "QAPage", "WebPage")]):
        for statistic in _values(holder, "interactionStatistic"):
            kind = _first(statistic, "interactionType")
            kind_name = _string(kind.get("@type", [None])[0]) if isinstance(kind, dict) else _string(kind)
            if kind_name and schema_name(kind_name) in _VIEW_ACTIONS:
                count = _count(_first(statistic, "userInteractionCount"))
                if count is not None:
                    return count
    return None


def _categories(page: _Page) -> list[str]:
    """``keywords`` (a list, or text separated by commas) and the names of what the question is ``about``."""
    found: list[str] = []
    for value in _values(page.question, "keywords"):
        text = _string(value) or ""
        if "://" in text:  # microdata on a tag link reads its href: the tag is the URL's last segment
            text = unquote(urlsplit(text).path.rstrip("/").rsplit("/", 1)[-1])
        found.extend(part for part in (clean_text(part) for part in text.split(",")) if part)
    found.extend(name for name in (_name(value) for value in _values(page.question, "about")) if name)
    return list(dict.fromkeys(found))


# --- overrides from the site file ---------------------------------------------------------------


def _matches(root: etree._Element, rule: FieldRule) -> list[str]:
    """The texts the rule finds on the page, in document order: an element's lines (block ends, ``<br>``), a
    string or attribute whitespace-normalised; empty ones dropped."""
    try:
        result = _compiled(rule)(root)
    except etree.XPathError:
        return []
    items = result if isinstance(result, list) else [result]
    texts = [element_text(item) if isinstance(item, etree._Element) else clean_text(str(item)) for item in items]
    return [text for text in texts if text]


def _overridden(fields: dict[str, Any], root: etree._Element, overrides: Mapping[str, FieldRule],
                zone: ZoneInfo | None) -> None:
    """The site file's rules win over the structured data for their field, when they find something."""
    for name, rule in overrides.items():
        found = _matches(root, rule)
        if not found:
            continue
        if name == "question":  # the one field of several lines
            fields["question"] = found[0]
            continue
        texts = [clean_text(text) or "" for text in found]
        if name == "categories":
            fields["categories"] = list(dict.fromkeys(texts))
        elif name in ("ask_date", "reply_date"):
            fields[name] = _date(texts[0], zone) or find_ymd_date(texts[0]) or fields[name]
        elif name == "view_count":
            number = _NUMBER.search(texts[0])
            fields[name] = parse_int(number.group()) if number else fields[name]
        elif name == "asker_name":
            fields["asker"] = Asker(name=texts[0])
        elif name == "doctor_name":
            fields["doctor"] = Doctor(name=texts[0])
        else:
            fields[name] = texts[0]


# --- the parser ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class QAPageParser:
    syntaxes: tuple[str, ...] = DEFAULT_SYNTAXES
    keep_faq: bool = False  # FAQPage pairs become records of kind "faq" instead of the page being refused
    timezone: str | None = None  # IANA zone of the site: a UTC timestamp's calendar date is taken there
    overrides: Mapping[str, FieldRule] = field(default_factory=dict)

    def __post_init__(self) -> None:
        unknown = [name for name in self.syntaxes if name not in SYNTAXES]
        if unknown or not self.syntaxes:
            raise ValueError(f"syntaxes {list(self.syntaxes)!r}: choose from {', '.join(SYNTAXES)}")
        fields = [name for name in self.overrides if name not in OVERRIDABLE_FIELDS]
        if fields:
            raise ValueError(f"fields {', '.join(fields)}: not overridable "
                             f"(choose from {', '.join(OVERRIDABLE_FIELDS)})")
        self.zone  # noqa: B018 - an unknown zone is the site file's error, said once

    @property
    def zone(self) -> ZoneInfo | None:
        if self.timezone is None:
            return None
        try:
            return ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"timezone {self.timezone!r} is not an IANA time zone (e.g. Europe/Berlin)") from None

    def parse(self, html: str | bytes, url: str, *, site: Site, crawled_at: datetime | None = None,
              content_type: str | None = None) -> QARecord | list[QARecord]:
        """The record of a QAPage page; for an FAQ page of a site that keeps FAQ pairs, one record per pair.
        Raises NotAnArticle (why) or pydantic.ValidationError (fields the record refuses)."""
        source_id = site.source_id_from_url(url)
        if source_id is None:
            raise NotAnArticle(f"{url[:200]} does not match the article pattern {site.article}")
        data, root = self.read(html, url, content_type=content_type)
        return self.records(data, root, site.canonical_url(url), source_id, site=site, crawled_at=crawled_at)

    def read(self, html: str | bytes, url: str, *, content_type: str | None = None
             ) -> tuple[StructuredData, etree._Element]:
        """The page's schema.org nodes of this parser's syntaxes, and its tree (for the site file's rules).
        Raises NotAnArticle for bytes that do not decode and markup beyond the parser's limits."""
        text = decode_html(html, content_type)
        root = parse_html(text)
        if root is None:
            raise NotAnArticle("empty document: no markup")
        return extract(root, self.syntaxes, base_url=url, html=text), root

    def records(self, data: StructuredData, root: etree._Element, url: str, source_id: str, *, site: Site,
                crawled_at: datetime | None = None) -> QARecord | list[QARecord]:
        nodes = data.every_node()
        _, questions = _questions(data, self.syntaxes)
        if len(questions) > 1:
            raise NotAnArticle(f"{len(questions)} QAPage questions: a listing, not one question")
        if questions:
            page = _Page(questions[0], nodes, root, url)
            return build_record(site=site, source_id=source_id, url=url, crawled_at=crawled_at,
                                **self.question_fields(page))
        if _faq_pages(data):
            if not self.keep_faq:
                raise NotAnArticle(FAQ_REFUSAL)
            return self.faq_records(data, root, url, source_id, site=site, crawled_at=crawled_at)
        raise NotAnArticle(self.why_no_question(data))

    def question_syntax(self, data: StructuredData) -> str | None:
        """The syntax the record's question is read from; None when the page has no QAPage question."""
        return _questions(data, self.syntaxes)[0]

    def why_no_question(self, data: StructuredData) -> str:
        types = data.type_counts()
        broken = f"; {data.broken_blocks} JSON-LD block(s) not JSON" if data.broken_blocks else ""
        if not types:
            return f"no schema.org structured data ({', '.join(self.syntaxes)}){broken}"
        return f"no schema.org QAPage: found {', '.join(sorted(types))}{broken}"

    def question_fields(self, page: _Page) -> dict[str, Any]:
        question = _question(page)
        if question is None:
            raise NotAnArticle("QAPage question without text: nothing was asked")
        zone = self.zone
        replies = _answers(page, zone)
        chosen = _chosen(replies)
        answer = chosen.answer if chosen else None
        doctor = _first(chosen.node, "author") if chosen else None
        title = _title(page)
        fields: dict[str, Any] = {
            "title": title,
            "question": question,
            "asker": Asker(name=_asker_name(page)),
            "ask_date": _ask_date(page, zone),
            "reply_date": answer.date if answer else None,
            "department": _department(page, doctor if isinstance(doctor, dict) else None, title),
            "doctor": Doctor(name=answer.author_name if answer else None),
            "answer": answer.text if answer else None,
            "answers": [reply.answer for reply in replies],
            "view_count": _view_count(page),
            "categories": _categories(page),
        }
        _overridden(fields, page.root, self.overrides, zone)
        return fields

    def faq_records(self, data: StructuredData, root: etree._Element, url: str, source_id: str, *, site: Site,
                    crawled_at: datetime | None = None) -> list[QARecord]:
        """One record of kind ``faq`` per Question of the FAQ page with an answer; ids ``<page id>#<n>``, n
        counting every Question of the page from 1, so an edited pair keeps its id."""
        zone = self.zone
        nodes = data.every_node()
        records = []
        pairs = [question for faq in _faq_pages(data) for question in _main_questions(faq)]
        for number, question in enumerate(pairs, start=1):
            page = _Page(question, nodes, root, url)
            accepted = [node for node in _values(question, "acceptedAnswer") if isinstance(node, dict)]
            reply = _answer(accepted[0], True, 0, page, zone) if accepted else None
            title = _title(page)
            if reply is None or title is None:
                continue
            fields: dict[str, Any] = {
                "kind": "faq",
                "title": title,
                "question": _question(page) or title,
                "ask_date": _ask_date(page, zone),
                "reply_date": reply.answer.date,
                "department": _department(page, None, title),
                "doctor": Doctor(name=reply.answer.author_name),
                "answer": reply.answer.text,
                "answers": [reply.answer],
                "categories": _categories(page),
            }
            records.append(build_record(site=site, source_id=f"{source_id}#{number}", url=url,
                                        crawled_at=crawled_at, **fields))
        if not records:
            raise NotAnArticle("FAQPage without a question that has an answer")
        return records
