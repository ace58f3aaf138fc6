"""An HTML page as a reader sees it: its visible lines in reading order, with the links in each line.

Shared by every site parser. Parsers anchor on visible labels ("Ask Date:", "發問者") rather than on
tags or CSS classes, so they work on markup they have never seen; this module is what turns any
markup into the same list of lines.

Rules (the labels each parser reads from these lines: docs/sites/<site>.md):

- block elements (p, div, li, tr, td, h1-h6, section, article, aside, dt/dd, blockquote, pre…) and
  ``<br>`` end the current line; inline elements (span, a, b, font, em, strong…) concatenate without
  adding whitespace (source whitespace is kept, then collapsed);
- every line is whitespace-normalised (runs of any whitespace, NBSP included, become one space;
  stripped); empty lines are dropped;
- chrome is dropped with its whole subtree: script, style, noscript, template, head, nav, header,
  footer, elements with a ``hidden`` attribute, ``role="navigation"`` or an inline
  ``display:none`` / ``visibility:hidden`` style, comments and processing instructions (their tail
  text is kept), plus embedded/fallback content (iframe, object, svg…) and form ``select`` lists,
  whose text is not read as page text. ``<aside>`` is NOT chrome;
- a link is an ``<a>`` with an ``href``; an ``<a name=…>`` anchor is plain text.

Speed: one lxml parse, then one pass over the tree. For documents given as text or bytes the pass
is an XSLT transform (C speed) that writes the text with private-use marker characters at block and
link boundaries, split here into lines. A tree handed in by the caller (lxml element, parsel
Selector), or a document that itself contains the marker characters, is read by an equivalent
iterative tree walk (``etree.iterwalk``: no recursion, deep trees are safe). Tests keep the two
passes equal.

Input limits: a document over :data:`MAX_PAGE_BYTES` or with more than :data:`MAX_TAGS` tags, a tag
with more than :data:`MAX_TAG_ATTRIBUTES` attributes (libxml2 checks attribute names pairwise: 10^5
of them take 15 s) or markup beyond libxml2's own limits (nesting deeper than 256 elements, a text
node over 10 MB: libxml2 silently drops the rest) raises :class:`MarkupTooComplex`, so such a page
becomes a reject that says why instead of a slow parse or a record read from half a page.
"""

from __future__ import annotations

import itertools
import re
import threading
from typing import Any, NamedTuple

from lxml import etree

from qacrawler.page.sites.encoding import decode_html
from qacrawler.page.sites.errors import NotAnArticle

__all__ = [
    "BLOCK_TAGS",
    "CHROME_TAGS",
    "MAX_PAGE_BYTES",
    "MAX_TAGS",
    "MAX_TAG_ATTRIBUTES",
    "Line",
    "Link",
    "MarkupTooComplex",
    "check_limits",
    "normalize_space",
    "page_lines",
    "parse_html",
]


class Link(NamedTuple):
    """The part of one link that falls on one line (a link spanning blocks yields one Link per line)."""

    text: str
    href: str | None


class Line(NamedTuple):
    text: str
    """Visible text, whitespace-normalised, never empty."""
    links: tuple[Link, ...]
    """Links in the line, in order of their end (links with no visible text on the line are left out)."""
    link_only: bool
    """True when the line has links and every letter or digit of it is link text
    (separators such as ``|``, ``>`` or ``·`` between links do not count): menus, share buttons."""


BLOCK_TAGS = frozenset(
    """
    address article aside blockquote body caption center dd details dialog dir div dl dt fieldset
    figcaption figure form frameset h1 h2 h3 h4 h5 h6 hgroup hr html legend li listing main menu
    ol optgroup option p plaintext pre search section summary table tbody td tfoot th thead tr ul xmp
    """.split()
)
"""Elements that start and end a line. ``br`` breaks a line too (handled apart)."""

CHROME_TAGS = frozenset(
    """
    script style noscript template head nav header footer title
    iframe object embed svg canvas audio video select datalist
    """.split()
)
"""Elements whose whole subtree is not page text."""

_NEW = tuple.__new__  # builds Line/Link without the Python-level NamedTuple constructor
_NO_LINKS: tuple[Link, ...] = ()
_WORD = re.compile(r"[^\W_]")
_ASCII_UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_STYLE_FOLD = str.maketrans(_ASCII_UPPER, _ASCII_UPPER.lower(), " \t\r\n")

# Marker characters (Supplementary Private Use Area-B, never seen in real text) the XSLT pass writes.
_BREAK, _LINK, _HREF_END, _LINK_END = "\U000f0000", "\U000f0001", "\U000f0002", "\U000f0003"
_LINK_MARKS = re.compile("([\U000f0001-\U000f0003])")
# One link and nothing else marked, split as _simple_link_line's loop splits it: text before the link
# (no _LINK), href (up to the first _HREF_END), link text (no mark), text after (no mark).
_ONE_LINK = re.compile(
    "([^\U000f0001]*)\U000f0001([^\U000f0001\U000f0002]*)\U000f0002([^\U000f0001-\U000f0003]*)\U000f0003"
    "([^\U000f0001-\U000f0003]*)"
)
_MARKER_REF = re.compile(rb"&#(?:[xX]0*[fF]000[0-3]|0*98304[0-3])(?![0-9a-fA-F])")

_local = threading.local()

MAX_PAGE_BYTES = 8 * 2**20
"""Largest document parsed (bytes, or UTF-8 bytes of text): Q&A pages are 20-200 KB."""
MAX_TAGS = 50_000
"""Most tags (counted as ``<`` characters) a document may have; Q&A pages have a few thousand, and the
parsers' work grows with the element count (10^5 empty elements take a second)."""
MAX_TAG_ATTRIBUTES = 1000
"""Most attributes one tag may have; real tags have a handful."""
_LONG_TAG_CHARS = 2 * MAX_TAG_ATTRIBUTES  # the shortest attribute is " a": shorter tags cannot be over the limit
_START_TAG = re.compile(rb"<[A-Za-z](?:[^>\"']+|\"[^\"]*\"|'[^']*')*")  # quoted values may hold "<" and ">"
_QUOTED_VALUE = re.compile(rb"\"[^\"]*\"|'[^']*'")
_ATTRIBUTE_NAME = re.compile(rb"[\s/]+[^\s/>=\"']")
_PARSER_ADVICE = re.compile(r",\s*(?:use|try) XML_PARSE_HUGE.*$")  # libxml2's advice to lift its limit


class MarkupTooComplex(NotAnArticle):
    """A document beyond the parser's input limits (see the module docstring): refused, not read in part."""


def normalize_space(text: str) -> str:
    """Collapse every run of whitespace (NBSP, tabs, newlines included) to one space; strip."""
    return " ".join(text.split())


# --- parsing ----------------------------------------------------------------------------------


def _parser(encoding: str | None = None) -> etree.HTMLParser:
    """lxml parsers must not be shared between threads: one per thread and encoding."""
    cache = getattr(_local, "parsers", None)
    if cache is None:
        cache = _local.parsers = {}
    parser = cache.get(encoding)
    if parser is None:
        parser = cache[encoding] = etree.HTMLParser(
            encoding=encoding, remove_comments=True, remove_pis=True, no_network=True, collect_ids=False
        )
    return parser


def check_limits(data: bytes) -> None:
    """Raise MarkupTooComplex for what would be slow to parse: too many bytes or tags, too many
    attributes on a tag. Cheap (one regex pass): page_lines and parse_html call it, and so can
    callers that parse with another parser (Scrapy's selectors)."""
    if len(data) > MAX_PAGE_BYTES:
        raise MarkupTooComplex(f"page of {len(data)} bytes is over the parser's limit of {MAX_PAGE_BYTES} bytes")
    tags = data.count(b"<")
    if tags > MAX_TAGS:
        raise MarkupTooComplex(f"page of {tags} tags is over the parser's limit of {MAX_TAGS} tags")
    for tag in _START_TAG.finditer(data):
        if tag.end() - tag.start() < _LONG_TAG_CHARS:
            continue
        names = _ATTRIBUTE_NAME.finditer(_QUOTED_VALUE.sub(b" ", tag.group()))  # a="1"b="2": two names
        if next(itertools.islice(names, MAX_TAG_ATTRIBUTES, None), None) is not None:
            raise MarkupTooComplex(f"a tag with more than {MAX_TAG_ATTRIBUTES} attributes")


def _parse_utf8(data: bytes) -> etree._Element | None:
    """lxml reads UTF-8 bytes directly (a BOM skipped, invalid bytes become U+FFFD; the explicit
    encoding overrides any <meta charset> or XML declaration in the page). Raises MarkupTooComplex
    beyond the input limits."""
    data = data.removeprefix(b"\xef\xbb\xbf")
    if not data.strip():
        return None
    check_limits(data)
    parser = _parser("utf-8")
    try:
        root = etree.fromstring(data, parser)
    except (ValueError, etree.LxmlError):
        root = None
    for error in parser.error_log.filter_types([etree.ErrorTypes.ERR_RESOURCE_LIMIT]):
        limit = _PARSER_ADVICE.sub("", error.message.strip())
        raise MarkupTooComplex(f"markup beyond the HTML parser's limits (nesting, text node size): {limit}")
    return root


def _utf8(document: str | bytes | bytearray, encoding: str | None) -> bytes:
    """The document as UTF-8 bytes: text encoded (lone surrogates become "?"); bytes decoded strictly by
    qacrawler.page.sites.encoding.decode_html (``encoding``, else a BOM or ``<meta charset>``, else UTF-8),
    which raises UndecodablePage rather than guess."""
    if len(document) > MAX_PAGE_BYTES:  # before decoding: a 1 GB body is not copied twice
        raise MarkupTooComplex(f"page of {len(document)} bytes is over the parser's limit of {MAX_PAGE_BYTES} bytes")
    if isinstance(document, str):
        return document.encode("utf-8", errors="replace")
    return decode_html(bytes(document), f"text/html; charset={encoding}" if encoding else None).encode("utf-8")


def parse_html(document: str | bytes, *, encoding: str | None = None) -> etree._Element | None:
    """One lxml parse of a whole document (comments and PIs dropped); None for an empty document.
    Raises MarkupTooComplex beyond the input limits, UndecodablePage for bytes that do not decode."""
    return _parse_utf8(_utf8(document, encoding))


def _root_of(document: Any) -> etree._Element:
    root = getattr(document, "root", document)  # parsel.Selector -> its lxml element
    if isinstance(root, etree._ElementTree):
        root = root.getroot()
    if isinstance(root, etree._Element):
        return root
    raise TypeError(f"cannot read page text from {type(document).__name__}")


# --- the fast pass: XSLT ------------------------------------------------------------------------


_STYLESHEET = (
    '<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">'
    '<xsl:output method="text" encoding="UTF-8"/>'
    '<xsl:template match="/"><xsl:apply-templates select="*"/></xsl:template>'  # text outside elements: none
    f'<xsl:template priority="9" match="{"|".join(sorted(CHROME_TAGS))}"/>'
    f'<xsl:template priority="5" match="{"|".join(sorted(BLOCK_TAGS))}">'
    "&#xF0000;<xsl:apply-templates/>&#xF0000;</xsl:template>"
    '<xsl:template priority="5" match="br">&#xF0000;</xsl:template>'
    '<xsl:template priority="5" match="a[@href]">&#xF0001;<xsl:value-of select="@href"/>&#xF0002;'
    "<xsl:apply-templates/>&#xF0003;</xsl:template>"
    "</xsl:stylesheet>"
)
"""Text of the page with markers: _BREAK at block boundaries and <br>, _LINK href _HREF_END … _LINK_END
around links; chrome elements write nothing. Hidden elements are removed before (see _drop_hidden).
Every top-level element is read: libxml2 puts content found after ``</html>`` in a second ``<html>``."""


def _transform() -> etree.XSLT:
    transform = getattr(_local, "transform", None)
    if transform is None:
        transform = _local.transform = etree.XSLT(etree.XML(_STYLESHEET))
    return transform


def _has_markers(source: bytes) -> bool:
    """Whether the page could hold a marker character itself: a character of U+C0000…U+FFFFF (UTF-8
    lead byte F3) or a character reference to one of the markers."""
    if b"\xf3" in source:
        return True
    return b"&#" in source and _MARKER_REF.search(source) is not None


def _marked_lines(marked: str) -> list[Line]:
    """Split the XSLT output (text + markers) into lines."""
    lines: list[Line] = []
    append = lines.append
    open_links: list[list[Any]] = []  # per open link: [href, its text pieces on the current line]
    for segment in marked.split(_BREAK):
        if not open_links and _LINK not in segment:  # the common case: a line without links
            text = segment.strip()
            if text:
                if not text.isprintable() or "  " in text:  # printable: no whitespace but " "
                    text = " ".join(text.split())
                append(_NEW(Line, (text, _NO_LINKS, False)))
            continue
        line = None if open_links else _simple_link_line(segment)
        if line is None:
            line = _link_line(segment, open_links)
        if line is not None:
            append(line)
    return lines


def _simple_link_line(segment: str) -> Line | None:
    """A line whose links neither nest nor cross a line break (nearly all): read with str.partition.
    None when it is not that simple (or has no text)."""
    one = _ONE_LINK.fullmatch(segment)
    if one is not None:  # the commonest case, one link: the loop below in one regex match
        before, href, text, after = one.groups()
        line_text = " ".join(f"{before}{text}{after}".split())
        if not line_text:
            return None
        text = " ".join(text.split())
        if not text:
            return _NEW(Line, (line_text, _NO_LINKS, False))
        words_outside = _WORD.search(before) is not None or _WORD.search(after) is not None
        return _NEW(Line, (line_text, (_NEW(Link, (text, href)),), not words_outside))
    parts = segment.split(_LINK)
    pieces = [parts[0]]
    words_outside = _WORD.search(parts[0]) is not None
    links: list[Link] = []
    for part in parts[1:]:
        href, found_href, rest = part.partition(_HREF_END)
        text, found_end, after = rest.partition(_LINK_END)
        if not found_href or not found_end or _HREF_END in href or _HREF_END in rest or _LINK_END in after:
            return None
        pieces.append(text)
        pieces.append(after)
        text = " ".join(text.split())
        if text:
            links.append(_NEW(Link, (text, href)))
        if not words_outside and after and _WORD.search(after):
            words_outside = True
    text = " ".join("".join(pieces).split())
    if not text:
        return None
    return _NEW(Line, (text, tuple(links), bool(links) and not words_outside))


def _link_line(segment: str, open_links: list[list[Any]]) -> Line | None:
    """Any line with link marks, nested links or a link open across line breaks (``open_links``,
    updated in place)."""
    pieces: list[str] = []
    links: list[Link] = []
    words_outside = False
    expect_href = False
    href = ""
    for index, token in enumerate(_LINK_MARKS.split(segment)):  # text, mark, text, …, mark, text
        if index % 2:
            if token == _LINK and not expect_href:
                expect_href = True
            elif token == _HREF_END and expect_href:
                open_links.append([href, []])
                expect_href = False
            elif token == _LINK_END and open_links and not expect_href:
                link_href, part = open_links.pop()
                if part:
                    links.append(_NEW(Link, (" ".join("".join(part).split()), link_href)))
            else:
                raise _Unmarked
        elif expect_href:
            href = token
        elif token:
            pieces.append(token)
            if open_links:
                for part in open_links:
                    part[1].append(token)
            elif not words_outside and _WORD.search(token):
                words_outside = True
    if expect_href:
        raise _Unmarked
    text = " ".join("".join(pieces).split())
    line = None
    if text:
        for part in open_links:  # a link spanning a line break: its part on this line
            if part[1]:
                links.append(_NEW(Link, (" ".join("".join(part[1]).split()), part[0])))
        found = tuple(link for link in links if link.text)
        line = _NEW(Line, (text, found, bool(found) and not words_outside))
    for part in open_links:
        part[1] = []
    return line


class _Unmarked(Exception):
    """The XSLT output does not have the expected marker structure: read the tree instead."""


def _may_hide(source: bytes) -> bool:
    """False when no element can be hidden by attribute or style: the source has no "hidden"
    (attribute, visibility:hidden), "navigation" (role) nor "display" with "none", in any case."""
    folded = source.lower()
    return b"hidden" in folded or b"navigation" in folded or (b"display" in folded and b"none" in folded)


def _drop_hidden(root: etree._Element) -> bool:
    """Remove hidden elements (``_is_hidden``) from a document this module parsed, keeping their
    tails; False when a top-level element itself is hidden (it cannot be removed)."""
    tops = _top_elements(root)
    hidden = [element for top in tops for element in top.iter() if element.attrib and _is_hidden(element)]
    for element in hidden:
        parent = element.getparent()
        if parent is None:
            return False
        tail = element.tail
        if tail:
            previous = element.getprevious()
            if previous is not None:
                previous.tail = (previous.tail or "") + tail
            else:
                parent.text = (parent.text or "") + tail
        parent.remove(element)
    return True


def _xslt_lines(root: etree._Element, source: bytes) -> list[Line] | None:
    """The fast pass, on a tree this module parsed from ``source`` (hidden elements are removed from
    it); None when it cannot be trusted (the caller then walks the tree)."""
    try:
        if _may_hide(source) and not _drop_hidden(root):
            return None
        return _marked_lines(bytes(_transform()(root)).decode("utf-8", errors="replace"))
    except (etree.XSLTError, _Unmarked):
        return None


# --- the reference pass: a tree walk ------------------------------------------------------------


def _is_hidden(element: etree._Element) -> bool:
    get = element.get
    if get("hidden") is not None:
        return True
    role = get("role")
    if role is not None and role.strip(" \t\r\n").translate(_STYLE_FOLD) == "navigation":
        return True
    style = get("style")
    if style is None or ("none" not in style.lower() and "hidden" not in style.lower()):
        return False
    folded = style.translate(_STYLE_FOLD)
    return "display:none" in folded or "visibility:hidden" in folded


def _walk_lines(root: etree._Element) -> list[Line]:
    lines: list[Line] = []
    pieces: list[str] = []  # raw text of the current line
    links: list[Link] = []  # finished link parts of the current line
    open_links: list[list[Any]] = []  # per open link: [href, raw text pieces on the current line]
    anchors: list[bool] = []  # per open <a>: whether it is a link (has an href)
    words_outside = False  # a letter or digit outside any link on the current line

    def flush() -> None:
        nonlocal words_outside
        if pieces:
            text = " ".join("".join(pieces).split())
            if text:
                for part in open_links:  # a link spanning a line break: close its part on this line
                    if part[1]:
                        links.append(_NEW(Link, (" ".join("".join(part[1]).split()), part[0])))
                found = tuple(link for link in links if link.text)
                lines.append(_NEW(Line, (text, found, bool(found) and not words_outside)))
            pieces.clear()
        links.clear()
        for part in open_links:
            part[1] = []
        words_outside = False

    def add(text: str) -> None:
        nonlocal words_outside
        pieces.append(text)
        if open_links:
            for part in open_links:
                part[1].append(text)
        elif not words_outside and _WORD.search(text):
            words_outside = True

    for top in _top_elements(root):
        walker = etree.iterwalk(top, events=("start", "end", "comment", "pi"))
        skipped: etree._Element | None = None
        for event, element in walker:
            tag = element.tag
            if event == "start":
                if not isinstance(tag, str):  # an entity reference: only its tail is text
                    continue
                tag = tag.lower()
                if tag in CHROME_TAGS or (element.attrib and _is_hidden(element)):
                    walker.skip_subtree()
                    skipped = element
                    continue
                if tag in BLOCK_TAGS or tag == "br":
                    flush()
                elif tag == "a":
                    href = element.get("href")
                    anchors.append(href is not None)
                    if href is not None:
                        open_links.append([href, []])
                if element.text:
                    add(element.text)
            elif event == "end":
                if element is skipped:
                    skipped = None
                elif isinstance(tag, str):
                    tag = tag.lower()
                    if tag in BLOCK_TAGS:
                        flush()
                    elif tag == "a" and anchors and anchors.pop() and open_links:
                        href, part = open_links.pop()
                        if part:
                            links.append(_NEW(Link, (" ".join("".join(part).split()), href)))
                if element.tail and element is not top:
                    add(element.tail)
            elif element.tail:  # comment or processing instruction: invisible, but its tail is text
                add(element.tail)
    flush()
    return lines


def _top_elements(root: etree._Element) -> list[etree._Element]:
    """The root; for a document's root element, every top-level element (libxml2 parses content
    found after ``</html>`` into a second ``<html>`` element)."""
    if root.getparent() is not None:
        return [root]
    return [*reversed(list(root.itersiblings(preceding=True))), root, *root.itersiblings()]


# --- entry point --------------------------------------------------------------------------------


def page_lines(document: Any, *, encoding: str | None = None) -> list[Line]:
    """The visible lines of a page in reading order.

    ``document``: HTML text; HTML bytes (decoded by ``encoding``, else BOM / ``<meta charset>`` /
    UTF-8); an lxml element or tree, or a parsel Selector (read as is, not modified). An empty
    document has no lines. For text and bytes raises only NotAnArticle: MarkupTooComplex beyond the
    input limits, UndecodablePage for bytes that do not decode.
    """
    if isinstance(document, (str, bytes, bytearray)):
        data = _utf8(document, encoding)
        root = _parse_utf8(data)
        if root is None:
            return []
        if not _has_markers(data):
            lines = _xslt_lines(root, data)
            if lines is not None:
                return lines
        return _walk_lines(root)
    return _walk_lines(_root_of(document))
