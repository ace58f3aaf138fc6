"""Masking contact details, identifiers and the asker's name that askers and doctors write into free text.

Each kind becomes a typed placeholder so the text stays readable and analysable: `[EMAIL]`,
`[PHONE]`, `[ID]` (Taiwan national and resident ID numbers), `[CONTACT]` (messaging handles such
as a LINE ID) and `[NAME]` (the asker's published name). Patterns are anchored on the shapes of
these identifiers, so dates (2018/03/08, 1040206), doses (500mg), ages (45歲), lab values and blood
pressures (120/80) stay as written.

Matching runs on the NFKC form of the text, one character at a time, so full-width digits, letters
and signs (`０９１２`, `＠`, `．`, `：`) count as their ASCII forms. The stored text is not
normalised: Chinese text keeps its full-width punctuation, and each match is mapped back to the
original characters it came from (a character whose NFKC form is longer, such as `㎎`, is masked
whole or not at all).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from qacrawler.page.records import Answer, Masking, QARecord, SimilarQuestion, content_hash

_D = "[0-9]"
_SEP = r"[ \-‐.]?"  # one optional separator between digit groups
_NOT_BEFORE = r"(?<![0-9A-Za-z@+])"
_NOT_AFTER = r"(?![0-9A-Za-z])"
_NOT_IN_WORD = r"(?<![A-Za-z0-9_])"  # not \b: in Chinese text the character before "line" is a word character too
# messaging apps; 賴 is LINE in Taiwanese slang, but not in 信賴/依賴/仰賴/無賴 (trust, depend, rely, rogue)
_APP = r"(?:line|wechat|weixin|whatsapp|telegram|skype|微信|(?<![信依仰無])賴)"
_HANDLE = r"@?[A-Za-z0-9._\-]{2,}[A-Za-z0-9_]"
# without a colon, only what cannot be an ordinary word is a handle: one with a digit, _ or ., or an @
_STRICT_HANDLE = r"(?:@[A-Za-z0-9._\-]{1,}[A-Za-z0-9_]|(?=[A-Za-z._\-]*[0-9_.])[A-Za-z0-9._\-]{2,}[A-Za-z0-9_])"
_AREA_3 = r"(?:37|49|89|82)"  # Miaoli, Nantou, Taitung, Kinmen: 6 or 7 local digits
_AREA_4 = r"(?:836|826)"  # Matsu, Wuqiu: 5 local digits
_EXTENSION = rf"(?:\s?(?:#|ext\.?|分機|轉)\s?{_D}{{1,5}})?"

PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("EMAIL", re.compile(r"[A-Za-z0-9._%+\-]+\s?@\s?[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")),
    # a handle may hold dots and hyphens but not end in one: that is a full stop or an excerpt's "..."
    # "LINE ID: x", "Line:@x", "賴：x", "微信號: x", "my line id is: x"
    ("CONTACT", re.compile(
        rf"(?i){_NOT_IN_WORD}{_APP}\s*(?:id|號|号|帳號)?\s*(?:is\s*)?[:]\s*{_HANDLE}")),
    # no colon: "加我line x_1", "加賴 @x", "微信 wx_1", "my line id is x99", "add me on LINE @x", "WeChat ID x.y"
    ("CONTACT", re.compile(
        rf"(?i)(?:(?:加我?|我的)\s*{_APP}\s*(?:id|號|号|帳號)?|(?:微信|(?<![信依仰無])賴)(?:號|号|帳號)?"
        rf"|{_NOT_IN_WORD}(?:add\s+me\s+on\s+{_APP}|{_APP}\s*id)"
        rf"(?:\s+is)?)\s*{_STRICT_HANDLE}")),
    # Taiwan national ID (letter + 1/2 + 8 digits) and resident certificates (letter + 8/9 or A-D + 8 digits),
    # the letter in either case
    ("ID", re.compile(rf"{_NOT_BEFORE}[A-Za-z][1289ABCDabcd]{_D}{{8}}{_NOT_AFTER}")),
    # international: +country code, then 7-12 more digits in groups
    ("PHONE", re.compile(rf"{_NOT_BEFORE}\+{_D}{{1,3}}(?:{_SEP}\(?{_D}{{1,4}}\)?){{2,5}}{_NOT_AFTER}")),
    # Taiwan mobile 09xx-xxx-xxx
    ("PHONE", re.compile(rf"{_NOT_BEFORE}09{_D}{{2}}{_SEP}{_D}{{3}}{_SEP}{_D}{{3}}{_NOT_AFTER}")),
    # Taiwan landline, every area code with its own number of local digits, the code with or without
    # parentheses: (02)2345-6789, 04 2234 5678, (037)12-3456, 049-378-8676, 0836-2-2345, with an optional
    # extension (分機12, 轉305, #12, ext. 12)
    ("PHONE", re.compile(
        rf"{_NOT_BEFORE}(?P<open>\()?0(?:{_AREA_4}(?(open)\)){_SEP}{_D}|{_AREA_3}(?(open)\)){_SEP}{_D}{{2,3}}"
        rf"|[2-8](?(open)\)){_SEP}{_D}{{3,4}}){_SEP}{_D}{{4}}{_EXTENSION}{_NOT_AFTER}")),
]


# What every match of the pattern at the same place in PATTERNS must contain, in lower case: a character or a
# run of digits that `re` finds with its fast scan. Text without it cannot match, so the pattern (whose leading
# lookbehind makes `re` try it at every position) is not run on it: 3x faster on typical answers. They search
# the lower-cased text: a case-insensitive search is 4x slower than lower() and a plain one.
_APP_WITNESS = re.compile("line|wechat|weixin|whatsapp|telegram|skype|微信|賴")
WITNESSES: list[re.Pattern[str]] = [
    re.compile("@"),  # EMAIL
    _APP_WITNESS,  # CONTACT, labelled
    _APP_WITNESS,  # CONTACT, no colon
    re.compile(_D * 8),  # ID (written out: `re` scans [0-9]{8} 2x slower)
    re.compile(r"\+"),  # PHONE, international
    re.compile("09"),  # PHONE, mobile
    re.compile(_D * 4),  # PHONE, landline: its last group
]


class _NfkcTable(dict[int, str]):
    """A str.translate table from each character to its NFKC form, filled as characters are met."""

    def __missing__(self, code: int) -> str:
        self[code] = form = unicodedata.normalize("NFKC", chr(code))
        return form


_NFKC = _NfkcTable()


def _normal_form(text: str) -> tuple[str, list[int] | None]:
    """The text with each character NFKC-normalised, and where each of its characters came from: None
    when every character became one (positions are the same), else the original index of each."""
    if text.isascii():
        return text, None
    normal = text.translate(_NFKC)
    if len(normal) == len(text):  # no form is empty, so equal lengths mean one for one
        return normal, None
    origin = [index for index, char in enumerate(text) for _ in _NFKC[ord(char)]]
    return normal, origin


def _substitute(text: str, origin: list[int] | None, spans: list[tuple[int, int]], placeholder: str) -> str:
    """`text` with the spans of its normal form (ascending, not overlapping) replaced by the placeholder."""
    pieces: list[str] = []
    last = 0
    for start, end in spans:
        if origin is not None:
            start, end = origin[start], origin[end - 1] + 1
        start = max(start, last)
        pieces += [text[last:start], placeholder]
        last = end
    pieces.append(text[last:])
    return "".join(pieces)


# --- the asker's name --------------------------------------------------------------------------

GENERIC_NAMES = frozenset({
    "匿名", "網友", "無名氏", "不具名", "不想具名", "保密", "不詳", "未填", "路人", "路人甲",
    "anonymous", "anon", "netizen", "guest", "user", "unknown", "none", "n/a", "gentleman", "lady",
})
"""What askers write instead of a name: identifies no one, and masking it would hide ordinary words."""

# Common Taiwanese surnames: a Chinese name that starts with one is a person's name; other names
# (小美, 阿明, 天天, 上班族) are nicknames that may be ordinary words, masked only where they are greeted.
_SURNAMES = frozenset(
    "陳林黃張李王吳劉蔡楊許鄭謝郭洪邱曾廖賴周葉蘇莊呂江何蕭羅高潘簡朱鍾彭游詹胡施沈余盧梁趙顏柯翁魏孫戴范方宋鄧"
    "杜傅侯曹薛丁卓阮馬董温溫唐藍石蔣古紀姚連馮程湯田康姜白汪鄒尤巫鐘黎涂凃龔嚴韓袁金童陸夏柳邵錢伍倪于譚駱熊任"
    "甘秦顧毛章史官萬俞雷粘饒凌崔尹孔辛武辜陶段龍韋葛池孟褚殷麥賀賈莫文管關向包丘梅華利裴樊房全佘左花商魯易"
)
_COMPOUND_SURNAMES = frozenset(
    {"歐陽", "司馬", "諸葛", "上官", "張簡", "范姜", "司徒", "東方", "皇甫", "夏侯", "公孫", "慕容"}
)
_HONORIFICS = ("先生", "小姐", "女士", "太太")
_KIN_SUFFIXES = ("先生", "小姐", "女士", "太太", "媽媽", "爸爸", "伯伯", "阿姨", "奶奶", "爺爺", "阿嬤", "阿公", "仔")
# Where a form that is not masked anywhere counts: after a greeting word or before 您好, after a title
_GREETING_BEFORE = re.compile(r"(?i)(?<![A-Za-z])(?:hi|hello|hey|dear),?\s+\Z")
_GREETING_AFTER = re.compile(r"[\s,:]*(?:您好|你好|妳好)")  # the comma and colon are full-width before NFKC
_TITLE_BEFORE = re.compile(r"(?i)(?<![A-Za-z])(?:mr|mrs|ms|miss|mx)\.?\s*\Z")
_LOOK_BACK = 12  # characters before a form that a greeting or title is looked for in
_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff\U00020000-\U0003ffff]")
_LATIN_EDGE = re.compile("[A-Za-z0-9_\u00c0-\u024f]")  # a Latin name is a whole word: none of these beside it
_TITLE = r"(?:Mr|Mrs|Ms|Miss|Mx)"
_TITLED = re.compile(rf"^{_TITLE}\.?\s+(?P<rest>.+)$|^(?P<before>.+?),?\s+{_TITLE}\.?$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class NameForm:
    """One way the asker's name is written, found by plain search (no regex per name: compiling one costs more
    than masking a whole record)."""

    text: str  # lower case when any case counts
    any_case: bool
    latin: bool  # a whole word: no Latin letter or digit beside it
    where: str  # "anywhere"; "titled": after Mr./Ms./…, masked with the title; "greeted": Hi X, Dear X, X您好


def _latin_forms(name: str) -> list[NameForm]:
    """The published name anywhere, its words in either order (a name of one word as a name is written:
    capitalised, upper case, or as published unless that is a lower-case word such as "lily"), and in any case
    where it is greeted; a titled name ("Ms. Lin", "Chen, Ms.") under any title; each word of an untitled name
    of two or three words where it is greeted or after a title ("Hi Yiting", "Ms. Wang")."""
    if sum(char.isalpha() for char in name) < 3:
        return []  # "Q", "ww", "JJ": would match inside "Q&A" and initials
    words = [word for word in re.split(r"[\s,]+", name) if word]
    titled = _TITLED.match(name)
    forms = []
    if len(words) > 1:  # "Chen, Mei-Ling" is also written "Mei-Ling Chen"
        forms += [NameForm(form.lower(), True, True, "anywhere") for form in (name, " ".join(reversed(words)))]
    else:
        written = {name[0].upper() + name[1:], name.upper()} | (set() if name.isalpha() and name.islower() else {name})
        forms += [NameForm(form, False, True, "anywhere") for form in sorted(written)]
        forms.append(NameForm(name.lower(), True, True, "greeted"))
    if titled:
        forms.append(NameForm((titled["rest"] or titled["before"]).strip(" ,").lower(), True, True, "titled"))
    elif len(words) <= 3:
        for word in words:
            forms.append(NameForm(word.lower(), True, True, "titled"))
            if len(words) > 1 and sum(char.isalpha() for char in word) >= 3:
                forms.append(NameForm(word.lower(), True, True, "greeted"))
    return forms


def _han_forms(name: str) -> list[NameForm]:
    """A person's name (it starts with a common surname): the name anywhere, and for a name of 3 or 4
    characters surname + 先生/小姐/女士/太太 anywhere (王先生) and the given name where it is greeted
    (小明您好). A nickname (小美, 阿明, 天天, 上班族) may be an ordinary word: only where it is greeted."""
    surname = name[:2] if name[:2] in _COMPOUND_SURNAMES else name[:1]
    if surname not in _SURNAMES and surname not in _COMPOUND_SURNAMES:
        return [NameForm(name, False, False, "greeted")]
    forms = [NameForm(name, False, False, "anywhere")]
    given = name[len(surname):]
    if len(name) in (3, 4) and len(given) >= 2 and not name.endswith(_KIN_SUFFIXES) and _HAN.fullmatch(given[0]):
        forms += [NameForm(surname + honorific, False, False, "anywhere") for honorific in _HONORIFICS]
        forms.append(NameForm(given, False, False, "greeted"))
    return forms


@functools.lru_cache(maxsize=1024)
def name_forms(name: str | None) -> tuple[NameForm, ...]:
    """How the asker's name is masked in their record's texts; none when it cannot be masked without hiding
    ordinary words (a placeholder such as 匿名 or anonymous, one Chinese character, two Latin letters)."""
    if not name:
        return ()
    name = " ".join(unicodedata.normalize("NFKC", name).split()).strip(" .,")
    if name.casefold() in GENERIC_NAMES:
        return ()
    if _HAN.search(name):
        name = name.replace(" ", "")
        return tuple(_han_forms(name)) if len(name) >= 2 else ()
    return tuple(_latin_forms(name))


def is_name_of(text: str | None, name: str | None) -> bool:
    """Whether `text` (a reply's author as the page names them) is the asker's `name`: the same words in any
    order and case ("Chen, Mei-Ling" for "Mei-Ling Chen"), or only forms of it that name_forms masks anywhere
    or after a title (王先生 for 王小明). A placeholder name (匿名, anonymous) identifies no one and matches nothing."""
    if not text or not name:
        return False

    def words(value: str) -> list[str]:
        return sorted(word for word in re.split(r"[\s,.]+", unicodedata.normalize("NFKC", value).casefold()) if word)

    if not words(name) or " ".join(words(name)) in GENERIC_NAMES:
        return False
    if words(text) == words(name):
        return True
    text = unicodedata.normalize("NFKC", text)
    spans = name_spans(text, [form for form in name_forms(name) if form.where != "greeted"])
    edges = [0, *(edge for span in spans for edge in span), len(text)]
    rest = "".join(text[start:end] for start, end in zip(edges[::2], edges[1::2], strict=True))
    return bool(spans) and not rest.strip(" .,")


def _name_span(normal: str, start: int, end: int, form: NameForm) -> tuple[int, int] | None:
    """The span to mask for this occurrence of the form, None when it does not count here."""
    if form.latin and ((start and _LATIN_EDGE.match(normal, start - 1)) or _LATIN_EDGE.match(normal, end)):
        return None
    if form.where == "titled":
        title = _TITLE_BEFORE.search(normal, max(0, start - _LOOK_BACK), start)
        return (title.start(), end) if title else None
    if form.where == "greeted":
        greeted = (_GREETING_BEFORE.search(normal, max(0, start - _LOOK_BACK), start)
                   or _GREETING_AFTER.match(normal, end))
        return (start, end) if greeted else None
    return start, end


def name_spans(normal: str, forms: Sequence[NameForm]) -> list[tuple[int, int]]:
    """Where the forms count in the (NFKC) text: ascending, an overlap going to the span that starts first."""
    lowered = normal.lower()
    # a letter whose lower case is longer (İ): any-case forms are not searched
    lower = lowered if len(lowered) == len(normal) else None
    found = []
    for form in forms:
        haystack = lower if form.any_case else normal
        if haystack is None:
            continue
        at = haystack.find(form.text)
        while at != -1:
            span = _name_span(normal, at, at + len(form.text), form)
            if span:
                found.append(span)
            at = haystack.find(form.text, at + 1)
    spans: list[tuple[int, int]] = []
    for start, end in sorted(found, key=lambda span: (span[0], -span[1])):
        if not spans or start >= spans[-1][1]:
            spans.append((start, end))
    return spans


def mask_text(text: str | None, counts: Counter[str] | None = None, name: str | None = None) -> str | None:
    """The text with every identifier, and the asker's `name` (see name_forms), replaced by its placeholder;
    `counts` tallies them by kind."""
    if not text:
        return text
    normal, origin = _normal_form(text)
    lower = normal.lower()
    for (kind, pattern), witness in zip(PATTERNS, WITNESSES, strict=True):
        if witness.search(lower) is None:
            continue
        spans = [match.span() for match in pattern.finditer(normal)]
        if spans:
            text = _substitute(text, origin, spans, f"[{kind}]")
            normal, origin = _normal_form(text)
            lower = normal.lower()
            if counts is not None:
                counts[kind] += len(spans)
    forms = name_forms(name)  # after the identifiers: a name inside an e-mail address is masked as the address
    spans = name_spans(normal, forms) if forms else []
    if spans:
        text = _substitute(text, origin, spans, "[NAME]")
        if counts is not None:
            counts["NAME"] += len(spans)
    return text


_JOIN = "\x00"
"""Joins texts masked together: no pattern's characters (``\\s`` included) match it, so no match spans two
texts and each text's edges behave as the edges of a string."""


def mask_texts(texts: Sequence[str | None], counts: Counter[str] | None = None,
               name: str | None = None) -> list[str | None]:
    """mask_text() of each text, in one pass over them all: a record has a score of short texts, and
    most patterns' witnesses are absent from all of them at once."""
    present = [text for text in texts if text]
    if len(present) < 2 or any(_JOIN in text for text in present):
        return [mask_text(text, counts, name) for text in texts]
    masked = iter((mask_text(_JOIN.join(present), counts, name) or "").split(_JOIN))
    return [next(masked) if text else text for text in texts]


# --- a whole record ----------------------------------------------------------------------------

MASKED_FIELDS = ("title", "question", "answer", "more_info")
MASKED_SIMILAR = ("title", "question_excerpt", "answer_excerpt")


def mask_record(record: QARecord, keep_names: bool) -> QARecord:
    """The record as a dataset may hold it: identifiers masked in every text (replies and similar questions
    included) and, unless ``keep_names``, the asker's name removed from ``asker.name``, masked as ``[NAME]``
    wherever it recurs, and taken off any reply the asker wrote in their own thread (with its author URL).

    content_hash is recomputed from the masked text: a hash of the original would let anyone who knows the
    rest of a question test guesses of the phone number it held. The result carries what was done
    (``record.masking``); a record with nothing to mask comes back with the parser's texts and hash."""
    counts: Counter[str] = Counter()
    entries = record.similar_questions
    # each reply text once: the primary answer's copy in `answers` is masked as `answer` is, and counted once
    further = list(dict.fromkeys(answer.text for answer in record.answers if answer.text != record.answer))
    texts = [getattr(record, field) for field in MASKED_FIELDS]
    texts += [getattr(entry, field) for entry in entries for field in MASKED_SIMILAR]
    texts += further
    update: dict[str, Any] = {}
    name = None
    if not keep_names and record.asker.name is not None:
        name = record.asker.name
        update["asker"] = record.asker.model_copy(update={"name": None})
        counts["asker_name_removed"] += 1
    found: Counter[str] = Counter()
    masked = mask_texts(texts, found, name)
    answers = record.answers
    by_asker = [name is not None and is_name_of(answer.author_name, name) for answer in answers]
    if any(by_asker):
        answers = [_anonymous(answer) if asker else answer for answer, asker in zip(answers, by_asker, strict=True)]
        counts["answer_author_removed"] += sum(by_asker)
        update["answers"] = answers
    if sum(found.values()):
        counts["records_masked"] += 1
        counts.update({f"masked/{kind}": number for kind, number in found.items() if number})
        update.update(zip(MASKED_FIELDS, masked, strict=False))
        per_entry = len(MASKED_SIMILAR)
        similar = masked[len(MASKED_FIELDS):len(MASKED_FIELDS) + per_entry * len(entries)]
        update["similar_questions"] = [_masked_entry(entry, similar[index * per_entry:(index + 1) * per_entry])
                                       for index, entry in enumerate(entries)]
        replies = dict(zip(further, masked[len(texts) - len(further):], strict=True))
        replies[record.answer or ""] = update["answer"]
        update["answers"] = [answer if replies[answer.text] == answer.text
                             else answer.model_copy(update={"text": replies[answer.text]}) for answer in answers]
        update["content_hash"] = content_hash(update)
    result = record.model_copy(update=update)
    result._masking = Masking(keep_names, dict(counts))
    return result


def _anonymous(answer: Answer) -> Answer:
    """A reply the asker wrote in their own thread, without their name and the URL of their profile."""
    return answer.model_copy(update={"author_name": None, "author_url": None})


def _masked_entry(entry: SimilarQuestion, masked: list[str | None]) -> SimilarQuestion:
    """The entry with its masked texts; the entry itself when nothing in it was masked (no copy)."""
    update = {field: value for field, value in zip(MASKED_SIMILAR, masked, strict=True)
              if value != getattr(entry, field)}
    return entry.model_copy(update=update) if update else entry
