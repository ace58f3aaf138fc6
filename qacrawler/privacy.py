"""Masking contact details and identifiers that askers and doctors write into free text.

Each kind becomes a typed placeholder so the text stays readable and analysable: `[EMAIL]`,
`[PHONE]`, `[ID]` (Taiwan national and resident ID numbers), `[CONTACT]` (messaging handles such
as a LINE ID). Patterns are anchored on the shapes of these identifiers, so dates (2018/03/08,
1040206), doses (500mg), ages (45歲), lab values and blood pressures (120/80) stay as written.
Full-width digits and parentheses, common in Chinese text, count as their ASCII forms, and a label
written straight after Chinese text ("加我line：…", "加我微信：…") is still a label.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

_D = "[0-9０-９]"  # ASCII and full-width digits
_SEP = r"[ \u3000\-－‐.．]?"  # one optional separator between digit groups
_NOT_BEFORE = r"(?<![0-9０-９A-Za-z@+])"
_NOT_AFTER = r"(?![0-9０-９A-Za-z])"
_NOT_IN_WORD = r"(?<![A-Za-z0-9_])"  # not \b: in Chinese text the character before "line" is a word character too

PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("EMAIL", re.compile(r"[A-Za-z0-9._%+\-]+\s?[@＠]\s?[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")),
    # a handle may hold dots and hyphens but not end in one: that is a full stop or an excerpt's "..."
    ("CONTACT", re.compile(
        rf"(?i){_NOT_IN_WORD}(?:line|wechat|微信|skype)\s*(?:id)?\s*[:：]\s*[A-Za-z0-9._\-]{{2,}}[A-Za-z0-9_]")),
    # Taiwan national ID (letter + 1/2 + 8 digits) and resident certificates (letter + 8/9 or A-D + 8 digits)
    ("ID", re.compile(rf"{_NOT_BEFORE}[A-Z][1289ABCD]{_D}{{8}}{_NOT_AFTER}")),
    # international: +country code, then 7-12 more digits in groups
    ("PHONE", re.compile(rf"{_NOT_BEFORE}[+＋]{_D}{{1,3}}(?:{_SEP}\(?{_D}{{1,4}}\)?){{2,5}}{_NOT_AFTER}")),
    # Taiwan mobile 09xx-xxx-xxx
    ("PHONE", re.compile(rf"{_NOT_BEFORE}[0０][9９]{_D}{{2}}{_SEP}{_D}{{3}}{_SEP}{_D}{{3}}{_NOT_AFTER}")),
    # Taiwan landline: (02)2345-6789, （02）2345-6789, 02-2345-6789, 07 123 4567, with an optional extension
    # (分機12, 轉305, #12, ext. 12)
    ("PHONE", re.compile(
        rf"{_NOT_BEFORE}(?:[(（][0０]{_D}{{1,2}}[)）]|[0０][1-8１-８]{_D}?{_SEP}){_SEP}{_D}{{3,4}}{_SEP}{_D}{{4}}"
        rf"(?:\s?(?:#|＃|ext\.?|分機|轉)\s?{_D}{{1,5}})?{_NOT_AFTER}")),
]


# What every match of the pattern at the same place in PATTERNS must contain: a character or a run of
# digits that `re` finds with its fast scan. Text without it cannot match, so the pattern (whose leading
# lookbehind makes `re` try it at every position) is not run on it: 3x faster on typical answers.
WITNESSES: list[re.Pattern[str]] = [
    re.compile("[@＠]"),  # EMAIL
    re.compile("[:：]"),  # CONTACT
    re.compile(f"{_D}{{8}}"),  # ID
    re.compile("[+＋]"),  # PHONE, international
    re.compile("[0０][9９]"),  # PHONE, mobile
    re.compile(f"{_D}{{4}}"),  # PHONE, landline: its last group
]


def mask_text(text: str | None, counts: Counter[str] | None = None) -> str | None:
    """The text with every identifier replaced by its placeholder; `counts` tallies them by kind."""
    if not text:
        return text
    for (kind, pattern), witness in zip(PATTERNS, WITNESSES, strict=True):
        if witness.search(text) is None:
            continue
        text, found = pattern.subn(f"[{kind}]", text)
        if counts is not None and found:
            counts[kind] += found
    return text


_JOIN = "\x00"
"""Joins texts masked together: no pattern's characters (``\\s`` included) match it, so no match spans two
texts and each text's edges behave as the edges of a string."""


def mask_texts(texts: Sequence[str | None], counts: Counter[str] | None = None) -> list[str | None]:
    """mask_text() of each text, in one pass over them all: a record has a score of short texts, and
    most patterns' witnesses are absent from all of them at once."""
    present = [text for text in texts if text]
    if len(present) < 2 or any(_JOIN in text for text in present):
        return [mask_text(text, counts) for text in texts]
    masked = iter(mask_text(_JOIN.join(present), counts).split(_JOIN))
    return [next(masked) if text else text for text in texts]
