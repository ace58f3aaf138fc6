"""Hostile page content a sandbox site serves when asked (``hostile=True``), with what each must become.

What a crawler meets on sites nobody here has seen, planted so it stays tested end to end:

- **odd charset labels** (``hex``, ``base64``, ``rot13``, ``undefined``, ``idna``, empty, 10,000
  characters, non-ASCII…) in the Content-Type header or a ``<meta>`` of some good articles, whose
  bytes stay as they are: each must still become its record, equal to the site's truth;
- **hostile links** on every listing page, placed *before* its article links: malformed URLs
  (``http://[::1/…``, a port of 20 digits, control characters, ``javascript:``, a 5 MB href on one
  page) and an article id of 4,400 digits. Each is skipped (the long id counted as no article id):
  the articles after them must all be fetched;
- **trick articles** at ids the site does not use, linked from the listings after the hostile links:
  10^5 attributes on one tag, 10^4 nested elements, and a page that is no article, declares
  ``charset=idna`` and holds bytes no charset decodes. Each must become a parse reject naming why.

:meth:`HostilePages.expectations` is the ground truth. Everything is deterministic and off by
default: without the option a site serves every page byte for byte as before.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import escape
from typing import Literal

Response = tuple[int, dict[str, str], bytes]

LONG_ID = "9" * 4400
"""An article id past Python's int() limit of 4,300 digits."""
BIG_HREF_BYTES = 5 * 2**20
ATTRIBUTES = 100_000
NESTING = 10_000  # past libxml2's depth limit of 256, within the parser's tag limit (MAX_TAGS)

CHARSET_TRICKS: tuple[tuple[str | None, str | None], ...] = (
    # (Content-Type charset label, <meta> markup); None: not declared there
    ("hex", None),
    ("base64", None),
    ("rot13", None),
    ("undefined", None),
    ("idna", None),
    ("x-user-defined", None),
    ("", None),
    ("x" * 10_000, None),
    ("ünïcödé", None),
    (None, '<meta charset="zlib">'),
    (None, '<meta http-equiv="Content-Type" content="text/html; charset=bz2">'),
    ("uu", '<meta charset="quopri">'),
    (None, '<meta charset="' + "y" * 10_000 + '">'),
)
"""One per disguised article: labels that name no text charset; the page must decode as if undeclared."""

MALFORMED_HREFS = (
    "http://[::1/en/article/1",  # an unclosed IPv6 bracket: urlsplit raises ValueError
    "http://[fe80::1%25eth0]/en/article/1",  # an IPv6 zone id
    "http://a:b:c/en/article/1",  # no valid port
    "http://127.0.0.1:99999999999999999999/en/article/1",  # a port out of range
    "javascript:alert(1)",
    "data:text/html,<p>x</p>",
    "mailto:someone@example.org",
    "\x01\x1b/en/article/\x07",  # control characters
    "http://xn--/en/article/1",  # an empty IDNA label
    "http://\u2603.example/en/article/1",
    "//[::1",
    "http://%zz%/",
    "../../../../../../etc/passwd",
)
"""Links that are no URL or no URL of the site: skipped (malformed ones counted), never a crash."""

_CHARSET_META = re.compile(rb"<meta\b[^>]*charset[^>]*>\n?", re.IGNORECASE)
_HEAD = re.compile(rb"<head\b[^>]*>\n?", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Expectation:
    """What one hostile URL must become in a crawl: ``record`` (equal to the site's truth for
    ``article_id``), ``reject`` (stage parse, ``reason`` in its reasons) or ``skipped`` (never requested)."""

    path: str
    outcome: Literal["record", "reject", "skipped"]
    what: str
    article_id: int | None = None
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class _Trick:
    what: str
    reason: str
    content_type: str
    body: bytes


class HostilePages:
    """The hostile pages of one site. ``article_href`` is the site's article URL with ``{id}``;
    ``encoding`` what its pages are written in; ``disguised_ids`` good, listed articles that get the
    charset tricks (one each, in order); ``trick_ids`` ids the site does not use, for the trick articles."""

    def __init__(self, article_href: str, encoding: str, disguised_ids: list[int], trick_ids: tuple[int, int, int]):
        if len(disguised_ids) < len(CHARSET_TRICKS):
            raise ValueError(f"hostile pages need {len(CHARSET_TRICKS)} good listed articles to disguise")
        self.article_href, self.encoding = article_href, encoding
        self._disguised = dict(zip(disguised_ids[: len(CHARSET_TRICKS)], CHARSET_TRICKS, strict=True))
        attributes, nesting, undecodable = trick_ids
        self._tricks = {
            attributes: _Trick(f"{ATTRIBUTES} attributes on one tag", "attributes", "text/html", self._page(
                f"<p {' '.join(f'a{i}=1' for i in range(ATTRIBUTES))}>Ask Date: 2020/01/01</p>")),
            nesting: _Trick(f"{NESTING} nested elements", "Excessive depth", "text/html",
                            self._page("<div>" * NESTING + "Ask Date: 2020/01/01")),
            undecodable: _Trick("no article, charset=idna, bytes no charset decodes", "do not decode",
                                "text/html; charset=idna",
                                self._page("<p>Nothing to see here.</p>").replace(b"Nothing", b"\xff\xfe\xff Nothing")),
        }

    def _page(self, body: str) -> bytes:
        return f"<html><head><title>Hostile</title></head><body>{body}</body></html>".encode(self.encoding)

    def path(self, article_id: int | str) -> str:
        return self.article_href.format(id=article_id)

    # --- serving -----------------------------------------------------------------------------

    def article(self, article_id: str) -> Response | None:
        """The response for an article id the site itself does not serve: a trick article, or a 404 for an
        id too long to be a number (the site's own int() would fail on it); None for every other id."""
        if len(article_id) > 18:
            body = b"<html><body><p>Article not found</p></body></html>"
            return 404, {"Content-Type": "text/html", "Content-Length": str(len(body))}, body
        trick = self._tricks.get(int(article_id)) if article_id.isdigit() else None
        if trick is None:
            return None
        return 200, {"Content-Type": trick.content_type, "Content-Length": str(len(trick.body))}, trick.body

    def disguise(self, article_id: int, response: Response) -> Response:
        """A good article's response with its charset declarations replaced by a charset trick (when it is
        one of the disguised articles); the bytes of its text are unchanged."""
        trick = self._disguised.get(article_id)
        if trick is None:
            return response
        status, headers, body = response
        label, meta = trick
        body = _CHARSET_META.sub(b"", body)
        if meta is not None:
            head = _HEAD.search(body)
            at = head.end() if head else 0
            body = body[:at] + meta.encode("ascii") + b"\n" + body[at:]
        content_type = "text/html" if label is None else f"text/html; charset={label}"
        return status, {**headers, "Content-Type": content_type, "Content-Length": str(len(body))}, body

    def links_html(self, *, with_big_href: bool = False) -> str:
        """Markup for a listing, to go before its article links: the hostile links, then the trick
        articles. ``with_big_href`` adds the 5 MB href (one page of the site is enough)."""
        hrefs = [*MALFORMED_HREFS, self.path(LONG_ID)]
        if with_big_href:
            hrefs.append("/en/" + "a" * BIG_HREF_BYTES)
        links = "".join(f'<li><a href="{escape(href)}">hostile link</a></li>\n' for href in hrefs)
        links += '<li><a href="&#0;/x">a NUL character</a></li>\n'
        links += "".join(f'<li><a href="{escape(self.path(number))}">{escape(trick.what)}</a></li>\n'
                         for number, trick in self._tricks.items())
        return f'<ul class="hostile">\n{links}</ul>\n'

    # --- ground truth ------------------------------------------------------------------------

    def expectations(self) -> list[Expectation]:
        """What every hostile URL must become (paths as the site links them)."""
        expected = [
            Expectation(self.path(number), "record", f"charset label {label!r:.30} and meta {meta!r:.50}", number)
            for number, (label, meta) in self._disguised.items()
        ]
        expected += [Expectation(self.path(number), "reject", trick.what, reason=trick.reason)
                     for number, trick in self._tricks.items()]
        expected.append(Expectation(self.path(LONG_ID), "skipped", f"an article id of {len(LONG_ID)} digits"))
        return expected
