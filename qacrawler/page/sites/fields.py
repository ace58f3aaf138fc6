"""Small field helpers shared by the site parsers: one function per concern, pure, never raising.

Each returns None when the value cannot be read, so a parser can pass the result straight to the
record and let validation decide what a missing value means.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date
from urllib.parse import urljoin, urlsplit

__all__ = [
    "YMD_PATTERN",
    "absolute_url",
    "clean_text",
    "find_date",
    "find_ymd_date",
    "join_paragraphs",
    "parse_date",
    "MAX_INT_DIGITS",
    "parse_int",
    "parse_ymd_date",
    "parse_zh_age_range",
    "text_after_label",
]

YMD_PATTERN = r"(?P<year>[0-9]{4})(?P<sep>[/-])(?P<month>[0-9]{1,2})(?P=sep)(?P<day>[0-9]{1,2})"
"""``YYYY/MM/DD`` or ``YYYY-MM-DD`` (one separator throughout), ASCII digits only."""

_YMD_FULL = re.compile(rf"^{YMD_PATTERN}$")
_YMD_ANY = re.compile(rf"(?<![0-9]){YMD_PATTERN}(?![0-9])")


def clean_text(text: str | None) -> str | None:
    """Whitespace runs (NBSP, tabs, newlines…) to one space, stripped; None when nothing is left."""
    if text is None:
        return None
    cleaned = " ".join(text.split())
    return cleaned or None


def _ymd(year: str, month: str, day: str) -> date | None:
    try:
        return date(int(year), int(month), int(day))
    except ValueError:  # 2018/02/30, month 13, year 0000
        return None


def parse_ymd_date(text: str | None) -> date | None:
    """The date written as the whole of ``text`` (``YYYY/MM/DD`` or ``YYYY-MM-DD``), else None.

    None too for impossible calendar dates such as 2018/02/30.
    """
    if not text:
        return None
    match = _YMD_FULL.match(text.strip())
    return _ymd(match["year"], match["month"], match["day"]) if match else None


def find_ymd_date(text: str | None) -> date | None:
    """The first ``YYYY/MM/DD`` / ``YYYY-MM-DD`` date inside ``text``; None if absent or impossible."""
    if not text:
        return None
    match = _YMD_ANY.search(text)
    return _ymd(match["year"], match["month"], match["day"]) if match else None


MAX_INT_DIGITS = 18
"""Longer numbers are no count or id: they would not fit the dataset's int64 columns, and Python's
``int()`` refuses strings of more than 4,300 digits with a ValueError."""


def parse_int(text: str | None) -> int | None:
    """An integer written with ASCII digits (thousands commas allowed) of at most
    :data:`MAX_INT_DIGITS` digits, else None."""
    if text is None:
        return None
    digits = text.strip().replace(",", "")
    if not digits.isascii() or not digits.isdigit() or len(digits.lstrip("0")) > MAX_INT_DIGITS:
        return None
    return int(digits)


def join_paragraphs(paragraphs: Iterable[str | None]) -> str | None:
    """Paragraphs cleaned (see :func:`clean_text`), empty ones dropped, joined by ``\\n``; None if none."""
    kept = [cleaned for cleaned in map(clean_text, paragraphs) if cleaned]
    return "\n".join(kept) or None


def text_after_label(text: str, label: str) -> str | None:
    """What follows ``label`` in ``text`` (``"Ask Date:2018/03/08"`` -> ``"2018/03/08"``), else None."""
    index = text.find(label)
    if index < 0:
        return None
    return clean_text(text[index + len(label) :])


_ORIGIN = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://[^/?#]*")
_PLAIN_PATH = re.compile(r"^/(?!/)[^\s\\]*$")


def absolute_url(base: str, href: str | None) -> str | None:
    """``href`` resolved against ``base`` (as ``urllib.parse.urljoin`` does); None for a missing,
    empty, fragment-only, script or malformed link."""
    if href is None:
        return None
    href = href.strip()
    if not href or href.startswith("#") or href.lower().startswith(("javascript:", "mailto:", "data:")):
        return None
    if _PLAIN_PATH.match(href) and "/." not in href:  # "/en/article/1": the common case, no urljoin
        origin = _ORIGIN.match(base)
        if origin:
            return origin.group(0) + href
    try:
        resolved = urljoin(base, href)
        urlsplit(resolved)  # raises ValueError on a malformed host such as "http://[::1"
    except ValueError:
        return None
    return resolved


# --- Taiwan (ROC-era) dates and Chinese age ranges; added for the tw_ehospital parser ---------------

_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")
_ROC_OFFSET = 1911  # ROC (民國) year 1 is 1912
_DATE_FORMS = (
    r"(?:民國\s*(?P<roc_year>[0-9]{1,3})\s*年\s*(?P<roc_month>[0-9]{1,2})\s*月\s*(?P<roc_day>[0-9]{1,2})\s*日?"
    r"|(?P<cjk_year>[0-9]{1,4})\s*年\s*(?P<cjk_month>[0-9]{1,2})\s*月\s*(?P<cjk_day>[0-9]{1,2})\s*日?"
    r"|(?P<year>[0-9]{4})(?P<sep>[/.-])(?P<month>[0-9]{1,2})(?P=sep)(?P<day>[0-9]{1,2})"
    r"|(?P<short_year>[0-9]{2,3})(?P<short_sep>[/.-])"
    r"(?P<short_month>[0-9]{1,2})(?P=short_sep)(?P<short_day>[0-9]{1,2}))"
)
_DATE_FULL = re.compile(rf"^{_DATE_FORMS}$")
_DATE_ANY = re.compile(rf"(?<![0-9]){_DATE_FORMS}(?![0-9])")


def _date_of(match: re.Match[str]) -> date | None:
    if match["roc_year"] is not None:
        year, month, day, roc = match["roc_year"], match["roc_month"], match["roc_day"], True
    elif match["cjk_year"] is not None:  # 107年3月8日 is ROC, 2018年3月8日 Gregorian
        year, month, day = match["cjk_year"], match["cjk_month"], match["cjk_day"]
        roc = len(year) < 4
    elif match["year"] is not None:
        year, month, day, roc = match["year"], match["month"], match["day"], False
    else:
        year, month, day, roc = match["short_year"], match["short_month"], match["short_day"], True
    if roc:
        if int(year) < 1:  # there is no ROC year 0
            return None
        year = str(int(year) + _ROC_OFFSET)
    return _ymd(year, month, day)


def parse_date(text: str | None) -> date | None:
    """The date written as the whole of ``text``, Gregorian or ROC (民國, year + 1911), else None.

    Forms: ``2018/03/08``, ``2018-03-08``, ``2018.03.08``, ``2018年3月8日``; ROC ``107/03/08``
    (2- or 3-digit year), ``民國107年3月8日``, ``107年3月8日`` (``日`` optional, spaces and
    full-width digits allowed). None for impossible dates (107/02/30, month 13, ROC year 0).
    """
    if not text:
        return None
    match = _DATE_FULL.match(text.translate(_DIGITS).strip())
    return _date_of(match) if match else None


def find_date(text: str | None) -> date | None:
    """The first date inside ``text`` in any form :func:`parse_date` reads; None if absent or impossible."""
    if not text:
        return None
    match = _DATE_ANY.search(text.translate(_DIGITS))
    return _date_of(match) if match else None


_AGE_BRACKETS = "()（）[]［］"
_AGE = re.compile(
    r"^(?P<low>[0-9]{1,3})\s*(?:歲|岁)?\s*"
    r"(?:[~～〜∼\-－–—至到]\s*(?P<high>[0-9]{1,3})\s*(?:歲|岁)?)?\s*"
    r"(?P<bound>以上|以下)?$"
)
_MAX_AGE = 130


def parse_zh_age_range(text: str | None) -> tuple[int | None, int | None]:
    """``(age_min, age_max)`` of a Chinese age: ``30~39歲`` -> (30, 39), ``30歲`` -> (30, 30),
    ``60歲以上`` -> (60, None), ``10歲以下`` -> (None, 10); ``保密`` (withheld), empty, unreadable,
    above 130 or inverted ranges -> (None, None). Brackets around the age are ignored."""
    if not text:
        return None, None
    cleaned = " ".join(text.translate(_DIGITS).strip(_AGE_BRACKETS + " \t\u3000").split())
    match = _AGE.match(cleaned)
    if not match:
        return None, None
    low, high, bound = int(match["low"]), match["high"], match["bound"]
    if high is not None:
        if bound or int(high) < low or int(high) > _MAX_AGE:
            return None, None
        return low, int(high)
    if low > _MAX_AGE:
        return None, None
    if bound == "以上":
        return low, None
    if bound == "以下":
        return None, low
    return low, low
