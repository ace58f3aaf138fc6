"""Bytes of a page to text, strictly: the declared charset, else a guess that must decode cleanly.

Pure (no I/O). Used by parsers of sites that do not serve UTF-8 (Taiwan e-Hospital serves Big5,
often undeclared). Unlike ``page_text.decode_html`` (which never raises and replaces bad bytes),
:func:`decode_html` here NEVER returns mojibake: bytes that do not decode under the chosen charset
raise :class:`UndecodablePage`, a :class:`~qacrawler.page.sites.errors.NotAnArticle`, so the page becomes
a reject with the offset of the bad bytes in its reason.

Order (see :func:`decode_html`): byte-order mark, HTTP ``Content-Type`` charset, ``<meta>`` charset
(or an XML declaration) in the first bytes, then ``default`` and each fallback. Big5 labels decode as
CP950 (Microsoft's Big5 superset: the ETEN extensions, the euro sign), with any pair CP950 lacks read
as Big5-HKSCS, so rare characters decode instead of failing.

Big5 decoders disagree on a few punctuation code points (the full-width slash ／ is U+FF0F with
Python's ``big5`` and U+2215 with ``cp950``): :func:`normalise_punctuation` maps every variant to one
form so a page decoded either way parses to the same record.
"""

from __future__ import annotations

import codecs
import re

from qacrawler.page.sites.errors import NotAnArticle

__all__ = [
    "BIG5_VARIANTS",
    "UndecodablePage",
    "charset_from_content_type",
    "charset_from_meta",
    "decode_html",
    "normalise_punctuation",
    "text_codec",
]

META_SCAN_BYTES = 4096
"""How far into the document a ``<meta>`` charset is looked for (browsers look at 1 KiB; head
sections of old sites are often longer)."""

_CONTENT_TYPE_CHARSET = re.compile(r"""charset\s*=\s*["']?\s*([^\s;"',]+)""", re.IGNORECASE)
_META_CHARSET = re.compile(rb"""<meta\b[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9_:.\-]+)""", re.IGNORECASE)
_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9_:.\-]+)""", re.IGNORECASE)

_BIG5_LABELS = frozenset(
    "big5 big-5 big5-tw big5tw csbig5 cn-big5 x-x-big5 x-big5 cp950 ms950 windows-950 x-windows-950 950".split()
)
_HKSCS_LABELS = frozenset("big5-hkscs big5hkscs hkscs big5_hkscs".split())
_BIG5 = "cp950"  # what every Big5 label decodes as (with Big5-HKSCS for the pairs CP950 lacks)
_HKSCS_ERRORS = "qacrawler.big5hkscs-pair"
MAX_LABEL_CHARS = 40
"""Longer charset labels are junk (the longest registered label has 45 characters, none in use on the web)."""
_NOT_CHARSETS = frozenset({"idna", "punycode", "unicode-escape", "raw-unicode-escape", "undefined", "utf-7"})
"""Python text codecs that are no page charset: transforms of Unicode text (IDNA, Punycode, escape
sequences), ``undefined`` (refuses every byte) and UTF-7 (which browsers refuse: it smuggles markup)."""


class UndecodablePage(NotAnArticle):
    """Bytes that do not decode under the page's charset: the page is refused rather than garbled."""

    def __init__(self, reason: str, *, offset: int | None = None, encoding: str | None = None):
        super().__init__(reason)
        self.offset = offset
        self.encoding = encoding


def _hkscs_pair(error: UnicodeError) -> tuple[str, int]:
    """Decode error handler: a byte pair CP950 does not define, read as Big5-HKSCS (else re-raise)."""
    if not isinstance(error, UnicodeDecodeError):
        raise error
    pair = bytes(error.object[error.start : error.start + 2])
    try:
        return pair.decode("big5hkscs"), error.start + 2
    except UnicodeDecodeError:
        raise error from None


codecs.register_error(_HKSCS_ERRORS, _hkscs_pair)


# --- punctuation ------------------------------------------------------------------------------

BIG5_VARIANTS: dict[str, str] = {
    # Big5 byte pair: Python big5 / big5hkscs / glibc BIG5-HKSCS -> Python cp950 / glibc BIG5, CP950
    "\u2215": "\uff0f",  # A241  cp950 ∕ DIVISION SLASH         -> ／ FULLWIDTH SOLIDUS (as big5 gives it)
    "\ufe68": "\uff3c",  # A242  cp950 ﹨ SMALL REVERSE SOLIDUS  -> ＼ FULLWIDTH REVERSE SOLIDUS (as big5)
    "\u2022": "\u2027",  # A145  big5 • BULLET                   -> ‧ HYPHENATION POINT (cp950)
    "\uff64": "\ufe51",  # A14E  big5 ､ HALFWIDTH IDEOGRAPHIC COMMA -> ﹑ SMALL IDEOGRAPHIC COMMA (cp950)
    "\u203e": "\u00af",  # A1C2  big5 ‾ OVERLINE                 -> ¯ MACRON (cp950)
    "\u223c": "\uff5e",  # A1E3  big5 ∼ TILDE OPERATOR           -> ～ FULLWIDTH TILDE (cp950)
    "\u2641": "\u2295",  # A1F2  big5 ♁ EARTH                    -> ⊕ CIRCLED PLUS (cp950)
    "\u2609": "\u2299",  # A1F3  big5 ☉ SUN                      -> ⊙ CIRCLED DOT OPERATOR (cp950)
    "\u00a5": "\uffe5",  # A244  big5 ¥ YEN SIGN                 -> ￥ FULLWIDTH YEN SIGN (cp950)
    "\u00a2": "\uffe0",  # A246  big5 ¢ CENT SIGN                -> ￠ FULLWIDTH CENT SIGN (cp950)
    "\u00a3": "\uffe1",  # A247  big5 £ POUND SIGN               -> ￡ FULLWIDTH POUND SIGN (cp950)
    "\uffed": "\u2593",  # F9FE  big5hkscs ￭ HALFWIDTH BLACK SQUARE -> ▓ DARK SHADE (cp950; big5 lacks it)
}
"""Every code point on which Big5 decoders disagree for the same byte pair, mapped to one form.

Found by decoding every Big5 double-byte code (leads 0x81-0xFE) with Python's ``big5``, ``cp950``
and ``big5hkscs`` codecs and glibc's BIG5, CP950 and BIG5-HKSCS (see tests/test_encoding.py, which
re-derives the Python part). The canonical form is what ``cp950`` gives — Windows', glibc's and the
CP950 round trip of the sandbox — except the two slashes, which become the full-width forms that the
Big5 chart shows and the site's separator ／ is written as. Pairs sometimes listed for Big5 but on
which none of these decoders disagree (U+2014/U+2015, U+2225/U+2016, U+301C/U+FF5E, U+00AF/U+FFE3,
U+00B7/U+2027) are the Shift_JIS/CP932 differences and are left alone: mapping them would merge
characters that Big5 keeps apart (A150 is ·, A145 is ‧ with every decoder).
"""

_VARIANT = re.compile(f"[{''.join(BIG5_VARIANTS)}]")  # a regex scan, not str.translate: 30 times faster on CJK text


def normalise_punctuation(text: str) -> str:
    """Map the code points Big5 decoders disagree on to one form (see :data:`BIG5_VARIANTS`).

    Apply it to the decoded HTML source, before the HTML parser resolves numeric entities: a
    character the page writes as ``&#8725;`` is then kept as written.
    """
    return _VARIANT.sub(lambda match: BIG5_VARIANTS[match.group()], text)


# --- charset detection -------------------------------------------------------------------------


def charset_from_content_type(content_type: str | bytes | None) -> str | None:
    """The ``charset=`` of an HTTP Content-Type header value, lower-cased; None when absent."""
    if not content_type:
        return None
    if isinstance(content_type, bytes):
        content_type = content_type.decode("latin-1")
    match = _CONTENT_TYPE_CHARSET.search(content_type)
    return match.group(1).lower() if match else None


def charset_from_meta(data: bytes) -> str | None:
    """A ``<meta charset>`` / ``<meta http-equiv content="…charset=…">`` or XML declaration encoding
    in the first :data:`META_SCAN_BYTES` bytes, lower-cased; None when absent."""
    head = data[:META_SCAN_BYTES]
    match = _XML_ENCODING.match(head) or _META_CHARSET.search(head)
    return match.group(1).decode("ascii").lower() if match else None


def _bom(data: bytes) -> str | None:
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    return None


def text_codec(label: str | None) -> str | None:
    """The Python codec a charset label decodes as; None for a label that names no page charset.

    Pages and headers carry any label (``hex``, ``base64``, ``zlib``, ``rot13``, ``undefined``, 10 KB of
    junk): only real text encodings count; bytes-to-bytes codecs and :data:`_NOT_CHARSETS` would
    raise or garble instead of decoding, so their labels are ignored like unknown ones.
    """
    if not label:
        return None
    label = label.strip().lower()
    if len(label) > MAX_LABEL_CHARS or not label.isascii():
        return None
    if label in _BIG5_LABELS:
        return _BIG5
    if label in _HKSCS_LABELS:
        return "big5hkscs"
    try:
        info = codecs.lookup(label)
    except (LookupError, ValueError):  # ValueError: a NUL in the label
        return None
    if not info._is_text_encoding or info.name in _NOT_CHARSETS:
        return None
    return _BIG5 if info.name == "cp950" or info.name == "big5" else info.name


def _decode(data: bytes, codec: str) -> str:
    """Strict decoding; Big5 labels as CP950 plus Big5-HKSCS pairs, their punctuation normalised so a
    page parses the same whichever Big5 decoder read it. Raises UnicodeDecodeError."""
    if codec == _BIG5:
        return normalise_punctuation(data.decode(_BIG5, _HKSCS_ERRORS))
    if codec == "big5hkscs":
        return normalise_punctuation(data.decode(codec))
    return data.decode(codec)


def _failure(data: bytes, codec: str, error: UnicodeError) -> str:
    if not isinstance(error, UnicodeDecodeError):
        return f"the page does not decode as {codec} ({error})"
    shown = data[error.start : error.start + 2].hex(" ")
    return f"bytes at offset {error.start} do not decode as {codec} ({shown})"


def decode_html(
    body: bytes | bytearray | memoryview | str,
    content_type: str | bytes | None = None,
    default: str = "utf-8",
    fallbacks: tuple[str, ...] = (),
) -> str:
    """The text of an HTML page; a str is returned as is (numeric entities are left to the HTML parser).

    The charset comes from, in order: a byte-order mark (it cannot be wrong), the HTTP
    ``content_type`` header's ``charset=``, a ``<meta>`` charset (or XML declaration) near the top.
    Each declared charset is tried strictly in that order and the first that decodes the whole page
    wins — a header that names the wrong charset while the meta names the right one still works.
    With nothing (known) declared, ``default`` then each of ``fallbacks`` is tried strictly.
    Labels of no text charset (:func:`text_codec`) are ignored; Big5 labels decode as CP950 with Big5-HKSCS pairs.

    Raises UndecodablePage (a NotAnArticle) naming the first failing offset and charset when no
    candidate decodes the bytes: never returns replacement characters.
    """
    if isinstance(body, str):
        return body
    data = bytes(body)
    declared = [_bom(data), text_codec(charset_from_content_type(content_type)), text_codec(charset_from_meta(data))]
    candidates = [codec for codec in declared if codec]
    if not candidates:
        candidates = [codec for codec in map(text_codec, (default, *fallbacks)) if codec]
    if not candidates:
        raise UndecodablePage(f"no known charset to decode the page with (tried {default!r}, {fallbacks!r})")
    candidates = list(dict.fromkeys(candidates))
    failures: list[tuple[str, UnicodeError]] = []
    for codec in candidates:
        try:
            return _decode(data, codec)
        except UnicodeError as error:
            failures.append((codec, error))
    first_codec, first_error = failures[0]
    reason = "; ".join(_failure(data, name, failure) for name, failure in failures)
    raise UndecodablePage(reason, offset=getattr(first_error, "start", None), encoding=first_codec)
