"""A deterministic local mirror of Taiwan e-Hospital (台灣e院) with the ground truth of every article.

Follows docs/sites/tw_ehospital.md: CP950 (Big5) pages whose charset is declared in the HTTP header, in a meta tag, in
both or nowhere; two article markup generations; the 不存在 page, status 200, for missing numbers; a home
page, department pages and history listings paged only through `select#PageNo`. Department names are
percent-encoded in CP950 in every link, so the server must decode query strings with `query_encoding`.

Scaled down from the real site: q_no runs from 1 to about pages / 0.95 (the real range ends near 212,700)
with about 5 % of the numbers missing, and ask dates rise with q_no from 2003 to 2024. *Assumed*, because
never seen on the real site: the chrome around the content, the department page, the listing's form,
robots.txt and which pages declare their charset how. Planted for parsers: characters CP950 lacks, written
as numeric entities; `a.w3-bar-item` menu links beside the `div.w3-bar-item` asker and doctor lines; label
text in a script; and one or two "undecodable" articles holding raw UTF-8 bytes that no Big5 decoder accepts.
Only ids and departments live in memory; text is rebuilt from `Dice(f"{seed}:{q_no}")` on demand.

For privacy tests (`pii=True`) about 10 % of the good articles carry contact details and identifiers in their
questions and some answers, beside dates, doses and ages that must survive masking (`sandbox/pii.py`);
`planted_pii` lists them; a share of their answers address the asker by name (`planted_names`). Off by
default, and then every page is byte for byte what it is without the option.

For robustness tests (`hostile=True`) some articles carry charset labels of no text encoding, history listings
carry malformed links before their rows, and they link three trick articles (`sandbox/hostile_pages.py`);
`hostile.expectations()` says what each must become. Off by default too.
"""

from __future__ import annotations

import bisect
import dataclasses
import functools
import math
import random
import re
import zlib
from datetime import date, timedelta
from html import escape
from typing import Any
from urllib.parse import quote, urlsplit

from qacrawler.page.sites import tw_ehospital
from qacrawler.sandbox.doctorqna_text import Dice, cumulative
from qacrawler.sandbox.hostile_pages import CHARSET_TRICKS, HostilePages
from qacrawler.sandbox.pii import NAMED_SHARE, Planting, name_asker, plant, planted_count
from qacrawler.sandbox.tw_ehospital_text import DEPARTMENTS, Question, normalised, write_question

FIRST_Q_NO, LAST_Q_NO = 1, 212_700
FIRST_DAY, LAST_DAY = date(2003, 1, 1), date(2024, 12, 31)
MISSING_SHARE = 0.05
MAX_PAGES = int(LAST_Q_NO * (1 - MISSING_SHARE))
LISTING_PAGE_SIZE = 20
GENERATIONS = ("older", "newer")
CHARSET_STYLES = ("header+meta", "meta", "header", "none")
DEFAULT_BASE_URL = "http://127.0.0.1"

SITE = tw_ehospital.DECLARATION
ARTICLE_PATH = urlsplit(SITE.article_template).path  # the page the site serves every article from
HOME_PATH = "/doctor/Index1.php"
DEPARTMENT_PATH = "/doctor/All/index.php"
HISTORY_PATH = "/doctor/All/history.php"

_HEADER_STYLES = frozenset({"header+meta", "header"})
_META_STYLES = frozenset({"header+meta", "meta"})
_DATE_STYLES = ("ymd", "ymd-dash", "roc", "roc-long", "roc-short")
_DATE_STYLE_WEIGHTS = cumulative((80, 5, 8, 4, 3))
_LINE_BREAKS = ("<br>", "<br />\n", "<BR>")  # typed by hand, PHP's nl2br, an old editor
_GENDERS = {"男": "male", "女": "female"}
_HOME_LABELS = {"內科": "內　科"}  # the real home page pads this one link text with U+3000
_SATISFACTION = ("非常滿意", "滿意", "普通", "")
_UNDECODABLE_MARK = "\x00"
_UNDECODABLE_BYTES = "😢".encode()  # an emoji stored as raw UTF-8: invalid in CP950, Big5 and Big5-HKSCS
_URL = re.compile(r"https?://[!-~]+")
_DIGITS = re.compile(r"[0-9]{1,9}")

_TRAP_SCRIPT = (
    'var qaHelp = {asker: "發問者：王小明／男／30~39歲, 1999/01/01", ask: "王小明／男／30~39歲,1999/01/01 提問：",\n'
    '  doctor: "答復者：示範醫院／外科／陳醫師, 1999/01/01", reply: "示範醫院／外科／陳醫師, 1999/01/01 回覆："};\n'
    'function qaNotice() { return "答復者回覆後，將以電子郵件通知發問者。"; }'
)
_FOOTER_TEXT = "衛生福利部 版權所有 Copyright 2024 Ministry of Health and Welfare"
_DISCLAIMER = "本網站之醫療諮詢僅供參考，不能取代醫師面對面之診療。"

Response = tuple[int, dict[str, str], bytes]


def _text(value: str) -> str:
    return escape(value, quote=False)


def _big5_query(value: str) -> str:
    """Query values as the real site's links carry them: CP950 bytes, percent-encoded."""
    return quote(value, encoding="cp950")


def _department_href(name: str) -> str:
    return f"{DEPARTMENT_PATH}?d_class={_big5_query(name)}"


def _history_href(name: str, page: int = 1, *, relative: bool = False) -> str:
    path = "history.php" if relative else HISTORY_PATH
    return f"{path}?UrlClass={_big5_query(name)}&amp;SortBy=q_no&amp;PageNo={page}"


def _day(day: date, style: str) -> str:
    roc = day.year - 1911
    if style == "ymd":
        return f"{day:%Y/%m/%d}"
    if style == "ymd-dash":
        return f"{day:%Y-%m-%d}"
    if style == "roc":
        return f"{roc}/{day:%m/%d}"
    if style == "roc-long":
        return f"民國{roc}年{day.month}月{day.day}日"
    return f"{roc}年{day.month}月{day.day}日"


def _response(status: int, content_type: str, body: bytes) -> Response:
    return status, {"Content-Type": content_type, "Content-Length": str(len(body))}, body


def _html_response(status: int, page: str, charset_style: str, corrupt: bool = False) -> Response:
    """CP950 bytes, characters it lacks as decimal entities; the header names the charset only in some styles."""
    body = page.encode("cp950", "xmlcharrefreplace")
    if corrupt:
        body = body.replace(_UNDECODABLE_MARK.encode(), _UNDECODABLE_BYTES)
    return _response(status, "text/html; charset=big5" if charset_style in _HEADER_STYLES else "text/html", body)


@dataclasses.dataclass(frozen=True, slots=True)
class _Markup:
    """How one article is printed; drawn from its own stream so it never shifts the text."""

    generation: str
    charset_style: str
    date_style: str
    line_break: str
    paragraph_gap: bool  # an empty line between paragraphs
    indent: str  # full-width spaces before each paragraph


@dataclasses.dataclass(frozen=True, slots=True)
class _Article:
    q_no: int
    department: str
    question: Question
    ask_date: date
    markup: _Markup

    def asker_part(self) -> str:
        asker = self.question.asker
        return f"{asker.name}／{asker.gender}／{asker.age}"

    def doctor_part(self) -> str:
        reply = self.question.reply
        assert reply is not None
        hospital = f"{reply.hospital}／" if reply.hospital else ""
        return f"{hospital}{self.department}／{reply.doctor}"

    def asked(self) -> str:
        return _day(self.ask_date, self.markup.date_style)

    def replied(self) -> str:
        assert self.question.reply is not None
        return _day(self.ask_date + timedelta(days=self.question.reply.delay), self.markup.date_style)

    def paragraphs(self, lines: tuple[str, ...], *, link_urls: bool = False) -> str:
        markup = self.markup
        texts = [markup.indent + _text(line) for line in lines]
        if link_urls:  # doctors' replies link their URLs; askers' text stays plain
            texts = [_URL.sub(lambda m: f'<a href="{m[0]}" target="_blank">{m[0]}</a>', text) for text in texts]
        return (markup.line_break * (2 if markup.paragraph_gap else 1)).join(texts)


def _meta(charset_style: str, generation: str) -> str:
    if charset_style not in _META_STYLES:
        return ""
    if generation == "newer":
        return '<meta charset="big5">\n'
    return '<meta http-equiv="Content-Type" content="text/html; charset=big5">\n'


def _older_frame(title: str, body: str, charset_style: str, department: str) -> str:
    """The table-era chrome: also used by every page that is not an article."""
    return (
        f"<html>\n<head>\n{_meta(charset_style, 'older')}<title>{_text(title)}</title>\n</head>\n"
        '<body bgcolor="#FFFFFF">\n'
        f'<div id="top"><a href="{HOME_PATH}">台灣e院</a> 衛生福利部</div>\n'
        f'<ul id="menu"><li><a href="{HOME_PATH}">首頁</a></li>'
        f'<li><a href="{_department_href(department)}">科別介紹</a></li>'
        f'<li><a href="{_history_href(department)}">歷史問答</a></li></ul>\n'
        f'<script type="text/javascript">\n{_TRAP_SCRIPT}\n</script>\n'
        f'<div id="content">\n{body}</div>\n'
        f'<div id="footer">{_FOOTER_TEXT}<br>{_DISCLAIMER}</div>\n</body>\n</html>\n'
    )


def _newer_frame(title: str, body: str, charset_style: str, department: str) -> str:
    """The w3.css chrome: its menu links are `a.w3-bar-item`, like the asker and doctor lines' divs."""
    return (
        f'<!DOCTYPE html>\n<html lang="zh-Hant-TW">\n<head>\n{_meta(charset_style, "newer")}'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{_text(title)}</title>\n"
        '<link rel="stylesheet" href="https://www.w3schools.com/w3css/4/w3.css">\n'
        f"<script>\n{_TRAP_SCRIPT}\n</script>\n</head>\n<body>\n"
        '<div class="w3-bar w3-teal">'
        f'<a href="{HOME_PATH}" class="w3-bar-item w3-button">台灣e院</a>'
        f'<a href="{_department_href(department)}" class="w3-bar-item w3-button">科別介紹</a>'
        f'<a href="{_history_href(department)}" class="w3-bar-item w3-button">歷史問答</a></div>\n'
        f'<div class="w3-container w3-content" style="max-width:980px">\n{body}</div>\n'
        f'<footer class="w3-container w3-padding-16 w3-light-grey"><p>{_FOOTER_TEXT}</p>'
        f"<p>{_DISCLAIMER}</p></footer>\n</body>\n</html>\n"
    )


def _older_article(article: _Article) -> str:
    question, reply = article.question, article.question.reply
    out = [
        "<ul>\n",
        f'<li class="subject">#{article.q_no} {_text(question.title)}</li>\n',
        f'<li class="count">瀏覽數：{question.view_count}</li>\n',
    ]
    if question.categories:
        out.append(f'<li class="count">相關分類 ：{_text("、".join(question.categories))}</li>\n')
    out += [
        f'<li class="asker">發問者：{_text(article.asker_part())}, {article.asked()}</li>\n',
        f'<li class="ask">{article.paragraphs(question.question)}</li>\n',
    ]
    if reply:
        out += [
            f'<li class="doctor">答復者：{_text(article.doctor_part())}, {article.replied()}</li>\n',
            f'<li class="ans">{article.paragraphs(reply.answer, link_urls=True)}</li>\n',
        ]
    out.append("</ul>\n")
    return _older_frame(f"台灣e院 - {question.title}", "".join(out), article.markup.charset_style, article.department)


def _newer_article(article: _Article) -> str:
    question, reply = article.question, article.question.reply
    out = [
        f'<h2 class="w3-text-teal">#{article.q_no}</h2>\n<h2>{_text(question.title)}</h2>\n',
        f'<div class="w3-small w3-text-grey">瀏覽數：{question.view_count}</div>\n',
    ]
    if question.categories:
        out.append(f'<div class="w3-small w3-text-grey">相關分類：{_text("、".join(question.categories))}</div>\n')
    out += [
        f'<div class="w3-bar-item">{_text(article.asker_part())},{article.asked()} 提問：</div>\n',
        f'<div class="msg">{article.paragraphs(question.question)}</div>\n',
    ]
    if reply:
        out += [
            f'<div class="w3-bar-item">{_text(article.doctor_part())}, {article.replied()} 回覆：</div>\n',
            f'<div class="msg">{article.paragraphs(reply.answer, link_urls=True)}</div>\n',
        ]
    return _newer_frame(f"{question.title} - 台灣e院", "".join(out), article.markup.charset_style, article.department)


class TwEHospitalSite:
    """Every page of the mirror, by path and decoded query; deterministic for (pages, seed, pii, hostile)."""

    query_encoding = "cp950"

    def __init__(self, pages: int = 600, seed: int = 7, *, pii: bool = False, hostile: bool = False):
        if not 1 <= pages <= MAX_PAGES:
            raise ValueError(f"pages must be between 1 and {MAX_PAGES}, not {pages}")
        self.pages, self.seed, self.pii = pages, seed, pii
        rng = random.Random(f"{seed}:site")
        self._last = round(pages / (1 - MISSING_SHARE))
        self._missing = sorted(rng.sample(range(FIRST_Q_NO + 1, self._last), self._last - pages))
        missing = set(self._missing)
        self._ids = [q_no for q_no in range(FIRST_Q_NO, self._last + 1) if q_no not in missing]

        departments = bytearray(rng.choices(range(len(DEPARTMENTS)), [d.weight for d in DEPARTMENTS], k=pages))
        if pages >= len(DEPARTMENTS):  # every department listing has at least one question
            for index, position in enumerate(rng.sample(range(pages), len(DEPARTMENTS))):
                departments[position] = index
        self._departments = bytes(departments)

        undecodable = 2 if pages >= 100 else 1 if pages >= 20 else 0
        self._broken = dict.fromkeys(sorted(rng.sample(self._ids, undecodable)), "undecodable")
        # Contact details go into a fixed share of the good articles, drawn from a stream of their own.
        good = [q_no for q_no in self._ids if q_no not in self._broken]
        planted = random.Random(f"{seed}:pii").sample(good, planted_count(len(good))) if pii else []
        self._pii_ordinals = {q_no: k for k, q_no in enumerate(sorted(planted))}

        self._listed: list[list[int]] = [[] for _ in DEPARTMENTS]  # newest first
        for q_no, department in zip(reversed(self._ids), reversed(self._departments), strict=True):
            self._listed[department].append(q_no)
        self._department_by_name = {department.name: i for i, department in enumerate(DEPARTMENTS)}
        disguised = [q_no for q_no in self._ids if q_no not in self._broken][: len(CHARSET_TRICKS)]
        trick_ids = (self._last + 1001, self._last + 1002, self._last + 1003)  # numbers the site never uses
        self.hostile = HostilePages(SITE.article_template, "cp950", disguised, trick_ids) if hostile else None
        # Listings and the home page reuse articles' titles and names: keep the recent ones.
        self._question = functools.lru_cache(maxsize=4096)(self._write_question)

    # --- what tests and crawl checks ask -------------------------------------------------------

    def article_ids(self) -> list[int]:
        return list(self._ids)

    def missing_ids(self) -> list[int]:
        """Numbers inside the range that answer with the 不存在 page."""
        return list(self._missing)

    def broken(self) -> dict[int, str]:
        return dict(self._broken)

    def generation(self, q_no: int) -> str:
        """`older` (li.subject …) or `newer` (w3.css) markup."""
        self._position(q_no)
        return self._markup(q_no).generation

    def charset_style(self, q_no: int) -> str:
        """Where the page for this number (a 不存在 page too) declares Big5: one of CHARSET_STYLES."""
        return self._markup(q_no).charset_style

    def planted_pii(self, q_no: int) -> list[tuple[str, str]]:
        """The identifiers planted in this article as (kind, text): kind is the placeholder privacy masking
        writes (EMAIL, PHONE, ID, CONTACT), text the exact span it replaces, as `truth()` shows it (whitespace
        runs collapsed). Empty for an article without any, which is all of them unless `pii=True`."""
        planting = self._planting_of(q_no)
        return [(kind, normalised(text)) for kind, text in planting.pii] if planting else []

    def planted_lookalikes(self, q_no: int) -> list[tuple[str, str]]:
        """The dates, doses, ages, blood pressures, lab values and ICD codes written beside the planted
        identifiers, as (kind, text): masking must leave each text as it is."""
        planting = self._planting_of(q_no)
        return [(kind, normalised(text)) for kind, text in planting.lookalikes] if planting else []

    def asker_name(self, q_no: int) -> str:
        """The name the asker gave ("" when blank), broken articles included (what a page cut short still shows)."""
        return normalised(self._question(q_no).asker.name)

    def planted_names(self, q_no: int) -> list[str]:
        """The texts in this article's answer that name its asker, as written: the greeting some answers open
        with (王小明您好：) and, with `pii=True`, the paragraph a share of them add (sandbox/pii.py)."""
        question = self._question(q_no)
        if question.reply is None or not question.asker.name:
            return []
        greeted = [question.asker.name] if question.reply.answer[0].startswith(f"{question.asker.name}您好") else []
        naming = self._naming(q_no, question)
        return greeted + (list(naming[1]) if naming else [])

    def pii_articles(self) -> list[int]:
        """The articles carrying planted identifiers, ascending."""
        return list(self._pii_ordinals)

    def truth(self, q_no: int) -> dict[str, Any]:
        """The fields a parser must extract from this article (docs/sites/tw_ehospital.md); `path`, not the URL."""
        if q_no in self._broken:
            raise KeyError(f"article {q_no} is broken ({self._broken[q_no]}): no truth")
        department = DEPARTMENTS[self._departments[self._position(q_no)]].name
        question, ask_date = self._question(q_no), self._ask_date(q_no)
        asker, reply = question.asker, question.reply
        return {
            "source_id": str(q_no),
            "language": "zh-Hant",
            "title": normalised(question.title),
            "question": "\n".join(map(normalised, question.question)),
            "asker": {
                "name": normalised(asker.name) or None,
                "gender": _GENDERS.get(asker.gender),
                "age_min": asker.age_min,
                "age_max": asker.age_max,
            },
            "ask_date": ask_date,
            "reply_date": ask_date + timedelta(days=reply.delay) if reply else None,
            "department": department if reply else None,
            "doctor": {"name": reply.doctor if reply else None, "hospital": reply.hospital if reply else None},
            "answer": "\n".join(map(normalised, reply.answer)) if reply else None,
            "more_info": None,
            "similar_questions": [],
            "related_faqs": [],
            "categories": list(question.categories),
            "view_count": question.view_count,
            "path": SITE.article_path(q_no),
        }

    # --- HTTP --------------------------------------------------------------------------------

    def render(
        self, path: str, query: dict[str, list[str]] | None = None, *, base_url: str = DEFAULT_BASE_URL
    ) -> Response:
        """Status, headers and body for any URL; `query` as parse_qs gives it, decoded with `query_encoding`.
        `base_url` is part of the sandbox interface; this site prints no absolute URL, so it goes unused."""
        query = query or {}

        def first(name: str, default: str = "") -> str:
            return query.get(name, [default])[0]

        if path == ARTICLE_PATH:
            return self._article_response(first("q_no"))
        if path == HISTORY_PATH:
            return self._history(first("UrlClass"), first("PageNo", "1"))
        if path == DEPARTMENT_PATH:
            return self._department_page(first("d_class"))
        if path == HOME_PATH:
            return self._home()
        if path == "/robots.txt":
            return _response(200, "text/plain", b"User-agent: *\nDisallow: /doctor/admin/\n")
        return self._not_found()

    # --- the article model ---------------------------------------------------------------------

    def _position(self, q_no: int) -> int:
        position = bisect.bisect_left(self._ids, q_no)
        if position == len(self._ids) or self._ids[position] != q_no:
            raise KeyError(f"no article {q_no}")
        return position

    def _ask_date(self, q_no: int) -> date:
        span = (LAST_DAY - FIRST_DAY).days
        return FIRST_DAY + timedelta(days=(q_no - FIRST_Q_NO) * span // max(1, self._last - FIRST_Q_NO))

    def _markup(self, q_no: int) -> _Markup:
        rng = Dice(f"{self.seed}:{q_no}:markup")
        return _Markup(
            generation=rng.pick(GENERATIONS),
            charset_style=rng.pick(CHARSET_STYLES),
            date_style=rng.weighted(_DATE_STYLES, _DATE_STYLE_WEIGHTS),
            line_break=rng.pick(_LINE_BREAKS),
            paragraph_gap=rng.random() < 0.3,
            indent="　　" if rng.random() < 0.3 else "",
        )

    def _write_question(self, q_no: int) -> Question:
        department = DEPARTMENTS[self._departments[self._position(q_no)]]
        question = write_question(Dice(f"{self.seed}:{q_no}"), department, self._ask_date(q_no))
        planting = self._planting(q_no, question)
        if planting is not None:
            reply = question.reply
            if reply is not None and planting.answer is not None:
                reply = dataclasses.replace(reply, answer=planting.answer)
            question = dataclasses.replace(question, question=planting.question, reply=reply)
        naming = self._naming(q_no, question)
        if naming is None or question.reply is None:
            return question
        return dataclasses.replace(question, reply=dataclasses.replace(question.reply, answer=naming[0]))

    def _naming(self, q_no: int, question: Question) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
        """A share of the answers of the articles `pii` plants in address the asker by name (sandbox/pii.py),
        from a stream of their own: every other page stays as it is without `pii`."""
        rng = Dice(f"{self.seed}:{q_no}:name")
        if q_no not in self._pii_ordinals or question.reply is None or rng.random() >= NAMED_SHARE:
            return None
        return name_asker(rng, "zh", question.asker.name, question.asker.gender, question.reply.answer)

    def _planting(self, q_no: int, question: Question) -> Planting | None:
        """What `pii` writes into this article's question and answer, from its own stream; None for most."""
        ordinal = self._pii_ordinals.get(q_no)
        if ordinal is None:
            return None
        asker = question.asker
        ages = (asker.age_min, asker.age_max) if asker.age_min is not None and asker.age_max is not None else None
        answer = question.reply.answer if question.reply else None
        return plant(Dice(f"{self.seed}:{q_no}:pii"), "zh", ordinal, question.question, answer, ages=ages)

    def _planting_of(self, q_no: int) -> Planting | None:
        department = DEPARTMENTS[self._departments[self._position(q_no)]]  # KeyError for an unknown article
        if q_no not in self._pii_ordinals:
            return None
        return self._planting(q_no, write_question(Dice(f"{self.seed}:{q_no}"), department, self._ask_date(q_no)))

    # --- pages ---------------------------------------------------------------------------------

    def _chrome_style(self, key: str) -> str:
        """Pages other than articles vary their charset declaration too, fixed per URL."""
        return CHARSET_STYLES[zlib.crc32(f"{self.seed}:{key}".encode()) % len(CHARSET_STYLES)]

    def _article_response(self, value: str) -> Response:
        if self.hostile is not None and (hostile := self.hostile.article(value)) is not None:
            return hostile
        q_no = int(value) if _DIGITS.fullmatch(value) else 0
        try:
            department = DEPARTMENTS[self._departments[self._position(q_no)]].name
        except KeyError:
            return self._does_not_exist(q_no)
        question, markup = self._question(q_no), self._markup(q_no)
        corrupt = q_no in self._broken
        if corrupt:
            first_line = question.question[0] + _UNDECODABLE_MARK
            question = dataclasses.replace(question, question=(first_line, *question.question[1:]))
        article = _Article(q_no, department, question, self._ask_date(q_no), markup)
        page = _newer_article(article) if markup.generation == "newer" else _older_article(article)
        response = _html_response(200, page, markup.charset_style, corrupt)
        return self.hostile.disguise(q_no, response) if self.hostile is not None else response

    def _does_not_exist(self, q_no: int) -> Response:
        """The real site answers a missing number with status 200 and a page saying so."""
        body = (
            "<h1>問題不存在</h1>\n<p>您要查詢的問題不存在或已被刪除。</p>\n"
            f'<p><a href="{HOME_PATH}">回首頁</a></p>\n'
        )
        style = self.charset_style(q_no)
        return _html_response(200, _older_frame("台灣e院 - 不存在", body, style, "家醫科"), style)

    def _not_found(self) -> Response:
        body = f'<h1>404 找不到網頁</h1>\n<p><a href="{HOME_PATH}">回首頁</a></p>\n'
        return _html_response(404, _older_frame("找不到網頁", body, "header+meta", "家醫科"), "header+meta")

    def _home(self) -> Response:
        departments = "".join(
            f'<li><a href="{_department_href(d.name)}">{_HOME_LABELS.get(d.name, d.name)}</a> '
            f'<a href="{_history_href(d.name)}">歷史問答</a> ({len(listed)})</li>\n'
            for d, listed in zip(DEPARTMENTS, self._listed, strict=True)
        )
        newest = "".join(
            f'<li><a href="{SITE.article_path(q_no)}">{_text(self._question(q_no).title)}</a> '
            f"{self._ask_date(q_no):%Y/%m/%d}</li>\n"
            for q_no in self._ids[:-11:-1]
        )
        body = (
            "<h1>台灣e院 線上諮詢</h1>\n"
            f'<h2>科別</h2>\n<ul class="dept">\n{departments}</ul>\n'
            f'<h2>最新問答</h2>\n<ul class="newest">\n{newest}</ul>\n'
        )
        style = self._chrome_style(HOME_PATH)
        return _html_response(200, _older_frame("台灣e院", body, style, "家醫科"), style)

    def _department_page(self, name: str) -> Response:
        index = self._department_by_name.get(name)
        if index is None:
            return self._not_found()
        body = (
            f"<h1>{name}</h1>\n"
            f"<p>歡迎提出{name}相關的問題，將由衛生福利部所屬醫院的醫師回覆。"
            f"目前共有 {len(self._listed[index])} 則問答。</p>\n"
            f'<p><a href="{_history_href(name, relative=True)}">{name}歷史問答</a></p>\n'
        )
        style = self._chrome_style(f"{DEPARTMENT_PATH}?{name}")
        return _html_response(200, _older_frame(f"台灣e院 - {name}", body, style, name), style)

    def _listing_row(self, q_no: int) -> str:
        question = self._question(q_no)
        reply = question.reply
        satisfaction = _SATISFACTION[(q_no + self.seed) % len(_SATISFACTION)] if reply else ""
        rating = str(3 + (q_no * 7 + self.seed) % 3) if satisfaction else ""
        return (
            f"<tr><td>{self._ask_date(q_no):%Y/%m/%d}</td><td>{_text(question.asker.name)}</td>"
            f"<td>{_text(reply.doctor) if reply else ''}</td><td>{satisfaction}</td><td>{rating}</td>"
            f"<td>{question.view_count}</td>"
            f'<td><a href="ShowDetail.php?q_no={q_no}">{_text(question.title)}</a></td></tr>\n'
        )

    def _history(self, name: str, page_value: str) -> Response:
        """Out-of-range or non-numeric PageNo gives the real site's answer: the page with an empty table."""
        index = self._department_by_name.get(name)
        if index is None:
            return self._not_found()
        listed = self._listed[index]
        last_page = max(1, math.ceil(len(listed) / LISTING_PAGE_SIZE))
        page = int(page_value) if _DIGITS.fullmatch(page_value) else 0
        start = (page - 1) * LISTING_PAGE_SIZE
        rows = listed[start : start + LISTING_PAGE_SIZE] if 1 <= page <= last_page else []
        options = "".join(
            f'<option value="{k}"{" selected" if k == page else ""}>{k}</option>' for k in range(1, last_page + 1)
        )
        body = (
            f"<h1>{name} 歷史問答</h1>\n"
            f'<p><a href="{_department_href(name)}">{name}</a> | <a href="{HOME_PATH}">首頁</a></p>\n'
            '<form name="form1" method="get" action="history.php">\n'
            f'<input type="hidden" name="UrlClass" value="{name}">\n'
            '<input type="hidden" name="SortBy" value="q_no">\n'
            f'第 <select id="PageNo" name="PageNo" onchange="this.form.submit()">{options}</select> 頁，'
            f"共 {last_page} 頁 {len(listed)} 筆\n</form>\n"
            + (self.hostile.links_html(with_big_href=index == 0 and page == 1) if self.hostile else "")
            + '<table class="table1">\n'
            "<tr><th>日期</th><th>發問者</th><th>答復者</th><th>滿意度</th><th>評分</th><th>瀏覽數</th><th>標題</th></tr>\n"
            + "".join(map(self._listing_row, rows))
            + "</table>\n"
        )
        style = self._chrome_style(f"{HISTORY_PATH}?{name}&{page_value}")
        return _html_response(200, _older_frame(f"台灣e院 - {name} 歷史問答", body, style, name), style)
