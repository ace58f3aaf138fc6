"""Three markups of one doctorqna article, all showing the same visible text (PAGE_CONTRACT.md).

Only the semantic layout resembles what is known of the real site; the legacy-table and generated-class
layouts are *assumed*: they exist so parsers prove they anchor on visible labels, not on markup. Each
layout plants the contract's traps (label text in script, style, comments, menus, hidden elements).
Source newlines sit only between block elements, so inline neighbours keep exactly their visible spacing.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from html import escape
from urllib.parse import quote

from qacrawler.sandbox.doctorqna_text import MoreInfoLine

LAYOUTS = ("semantic", "legacy", "generated")

# Where the truncation window starts and ends; stripped from the page before it is served.
_QUESTION_MARK = "\x00question\x00"
_REPLY_DATE_MARK = "\x00reply-date\x00"

_TRAP_SCRIPT = (
    'window.dataLayer=window.dataLayer||[];dataLayer.push({"template":"article","sample":"Reply Date: 1999/01/01",'
    '"doctor":"Dr. Fake reply Surgery","asked":"Ask Date: 1999/01/01","widget":"Similar Q&A"});'
)
_TRAP_CSS = "/* Similar Q&A | Reply Date: 1999/01/01 | Dr. Fake reply Surgery */"
_TRAP_COMMENT = "<!-- Similar Q&A widget (Dr. Fake reply Surgery), Ask Date: 1999/01/01 -->"
_CANONICAL_SITE = "https://doctorqna.com"


@dataclass(frozen=True, slots=True)
class Reply:
    doctor: str
    department: str
    answer: tuple[str, ...]
    date: date

    @property
    def header(self) -> str:
        return f"Dr. {self.doctor} reply {self.department}"


@dataclass(frozen=True, slots=True)
class SimilarEntry:
    path: str
    title: str
    question_excerpt: str
    doctor: str
    department: str
    answer_excerpt: str


@dataclass(frozen=True, slots=True)
class FaqLink:
    topic: str | None
    department: str
    path: str

    @property
    def text(self) -> str:
        return f"{self.topic or ''}({self.department})"


@dataclass(frozen=True, slots=True)
class ArticlePage:
    path: str
    heading: str  # "<SEO title> - <Department>"
    title: str
    question: tuple[str, ...]
    asker_name: str
    age_min: int
    age_max: int
    gender: str
    ask_date: date
    reply: Reply | None  # None: an unanswered ("reply_missing") page
    more_info: tuple[MoreInfoLine, ...]
    similar: tuple[SimilarEntry, ...]
    faqs: tuple[FaqLink, ...]

    @property
    def asker(self) -> str:
        """The asker line without its `Ask Date:` part."""
        return f"{self.asker_name}, {self.age_min}~{self.age_max} year old {self.gender}."


@dataclass(frozen=True, slots=True)
class RenderedArticle:
    html: str
    question_at: int  # str index where the question body's markup begins
    reply_date_at: int | None  # str index just before the visible "Reply Date:" text


def _text(value: str) -> str:
    return escape(value, quote=False)


def _attr(value: str) -> str:
    return escape(value, quote=True)


def _day(value: date) -> str:
    return f"{value:%Y/%m/%d}"


def _semantic(page: ArticlePage, rng: random.Random) -> str:
    shared = quote(_CANONICAL_SITE + page.path, safe="")
    out = [
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n',
        f"<title>{_text(page.heading)} | DoctorQnA</title>\n",
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n',
        f"<style>body{{font-family:sans-serif}}{_TRAP_CSS}</style>\n<script>{_TRAP_SCRIPT}</script>\n",
        "</head>\n<body>\n",
        '<header><nav class="menu"><a href="/en/">Home</a> <a href="#similar">Similar Q&amp;A</a> '
        '<a href="#faq">Related FAQ</a> <a href="/en/search?q=doctor">Search</a></nav></header>\n',
        "<main>\n<article>\n",
        f"<h1>{_text(page.heading)}</h1>\n",
        '<div class="share">\n<p>Share to:</p>\n<ul>\n',
        f'<li><a href="https://www.facebook.com/sharer/sharer.php?u={shared}">Facebook</a></li>\n',
        f'<li><a href="https://social-plugins.line.me/lineit/share?url={shared}">LINE</a></li>\n',
        f'<li><a href="https://twitter.com/intent/tweet?url={shared}">X</a></li>\n',
        "</ul>\n</div>\n",
        f'<h2 class="title">{_text(page.title)}</h2>\n',
        f'<div class="question">\n{_QUESTION_MARK}',
        *(f"<p>{_text(line)}</p>\n" for line in page.question),
        "</div>\n",
        f'<p class="asker">{_text(page.asker)} <span class="ask-date">Ask Date: {_day(page.ask_date)}</span></p>\n',
    ]
    if page.reply:
        out += [
            '<section class="reply">\n',
            f"<h3>{_text(page.reply.header)}</h3>\n",
            *(f"<p>{_text(line)}</p>\n" for line in page.reply.answer),
            f"<script>{_TRAP_SCRIPT}</script>\n",
            f'<p class="reply-date">{_REPLY_DATE_MARK}Reply Date: {_day(page.reply.date)}</p>\n',
            "</section>\n",
        ]
    out += [_TRAP_COMMENT, "\n", '<section class="more-info">\n<h3>More Info</h3>\n']
    out += [
        f"<h4>{_text(line.text)}</h4>\n" if line.heading else f"<p>{_text(line.text)}</p>\n" for line in page.more_info
    ]
    out.append("</section>\n</article>\n<aside>\n")
    if page.similar:
        out.append('<section id="similar">\n<h3>Similar Q&amp;A</h3>\n')
        for entry in page.similar:
            href, title = _attr(entry.path), _text(entry.title)
            out += [
                f'<div class="qa">\n<h4><a href="{href}">{title}</a></h4>\n',
                f"<p>{_text(entry.question_excerpt)}</p>\n",
                f'<p class="doctor">Dr. {_text(entry.doctor)} reply {_text(entry.department)}</p>\n',
                f'<p>{_text(entry.answer_excerpt)}<a href="{href}">[Read More]</a> {title}</p>\n</div>\n',
            ]
        out.append("</section>\n")
    if page.faqs:
        out.append('<section id="faq">\n<h3>Related FAQ</h3>\n<ul>\n')
        out += [f'<li><a href="{_attr(faq.path)}">{_text(faq.text)}</a></li>\n' for faq in page.faqs]
        out.append("</ul>\n</section>\n")
    out.append(
        '</aside>\n</main>\n<footer><p>© DoctorQnA. Answers are for reference only.</p>'
        '<a href="/en/">Home</a> <a href="/en/faq/family-medicine">FAQ</a></footer>\n</body>\n</html>\n'
    )
    return "".join(out)


def _legacy(page: ArticlePage, rng: random.Random) -> str:
    heading_font = rng.choice(('<FONT COLOR="#336699">', '<FONT SIZE="3" COLOR="#006600">'))
    out = [
        "<HTML>\n<HEAD>\n",
        '<META HTTP-EQUIV="Content-Type" CONTENT="text/html; charset=utf-8">\n',
        f"<TITLE>{_text(page.title)} - DoctorQnA</TITLE>\n",
        f'<SCRIPT LANGUAGE="JavaScript">{_TRAP_SCRIPT}</SCRIPT>\n',
        "</HEAD>\n<BODY BGCOLOR=\"#FFFFFF\" TEXT=\"#000000\">\n",
        '<TABLE WIDTH="100%" BORDER="0" CELLPADDING="4">\n<TR>\n',
        '<TD WIDTH="160" VALIGN="TOP"><A HREF="/en/">DoctorQnA</A><BR><A HREF="/en/">Departments</A><BR>'
        '<A HREF="#similar">Similar Q&amp;A</A><BR><A HREF="#faq">Related FAQ</A><BR>'
        '<A HREF="/en/search?q=doctor">Search</A></TD>\n',
        '<TD VALIGN="TOP">\n',
        f'<FONT SIZE="+1"><B>{_text(page.title)}</B></FONT><BR>\n',
        _QUESTION_MARK,
        *(f"{_text(line)}<BR>\n" for line in page.question),
        f"{_text(page.asker)} Ask Date: {_day(page.ask_date)}<BR>\n",
    ]
    if page.reply:
        out += [
            f"<B>{_text(page.reply.header)}</B><BR>\n",
            *(f"{_text(line)}<BR>\n" for line in page.reply.answer),
            f"{_REPLY_DATE_MARK}Reply Date: {_day(page.reply.date)}<BR>\n",
        ]
    out += [f"<BR>\n{heading_font}<B>More Info</B></FONT><BR>\n"]
    out += [
        f"<B>{_text(line.text)}</B><BR>\n" if line.heading else f"{_text(line.text)}<BR>\n" for line in page.more_info
    ]
    if page.similar:
        out.append(f'<BR>\n<A NAME="similar"></A>{heading_font}<B>Similar Q&amp;A</B></FONT><BR>\n')
        for entry in page.similar:
            href, title = _attr(entry.path), _text(entry.title)
            out += [
                f'<A HREF="{href}">{title}</A><BR>\n',
                f"{_text(entry.question_excerpt)}<BR>\n",
                f"Dr. {_text(entry.doctor)} reply {_text(entry.department)}<BR>\n",
                f'{_text(entry.answer_excerpt)}<A HREF="{href}">[Read More]</A> {title}<BR>\n',
            ]
    if page.faqs:
        out.append(f'<BR>\n<A NAME="faq"></A>{heading_font}<B>Related FAQ</B></FONT><BR>\n')
        out += [f'<A HREF="{_attr(faq.path)}">{_text(faq.text)}</A><BR>\n' for faq in page.faqs]
    out.append(f"</TD>\n</TR>\n</TABLE>\n{_TRAP_COMMENT}\n</BODY>\n</HTML>\n")
    return "".join(out)


def _split_mid_word(text: str, rng: random.Random) -> list[str]:
    """Cut one or two words in the middle, as a highlighter or a hydration step leaves them."""
    inside = [i for i in range(1, len(text)) if text[i - 1].isalnum() and text[i].isalnum()]
    cuts = sorted(rng.sample(inside, min(len(inside), rng.randint(1, 2))))
    return [text[start:end] for start, end in zip([0, *cuts], [*cuts, len(text)])]


def _generated(page: ArticlePage, rng: random.Random) -> str:
    def cls() -> str:
        return f"c-{rng.getrandbits(20):05x}"

    def spans(*parts: str) -> str:
        return "".join(f"<span>{_text(part)}</span>" for part in parts)

    def block(text: str) -> str:
        return f'<div class="{cls()}">{_text(text)}</div>'

    label_gap = rng.choice(("", " "))
    root, para = cls(), cls()
    out = [
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\">",
        f"<title>{_text(page.heading)}</title>",
        f"<style>.{root}{{max-width:60rem}}.{para}{{margin:.5em 0}}{_TRAP_CSS}</style>",
        f"<script>{_TRAP_SCRIPT}</script></head><body>",
        f'<div class="{root}"><div class="{cls()}" role="navigation"><a href="/en/">Home</a>'
        '<a href="#s">Similar Q&amp;A</a><a href="#f">Related FAQ</a><a href="/en/search?q=doctor">Search</a></div>',
        f'<div class="{cls()}">',
        block(page.heading),
        f'<div class="{cls()}">{spans(*_split_mid_word(page.title, rng))}</div>',
        f'<div class="{cls()}">{_QUESTION_MARK}',
        *(f'<div class="{para}">{_text(line)}</div>' for line in page.question),
        "</div>",
    ]
    ages = f"{page.age_min}~{page.age_max}"
    out += [
        f'<div class="{cls()}">{spans(page.asker_name, ", ", ages, f" year old {page.gender}.")}</div>',
        f'<div class="{cls()}"><span class="k{rng.randrange(10)}">Ask Date:</span>{label_gap}'
        f'<span class="v{rng.randrange(10)}">{_day(page.ask_date)}</span></div>',
    ]
    if page.reply:
        reply = page.reply
        out += [
            f'<div class="{cls()}">{spans("Dr. ", reply.doctor, " reply ", reply.department)}</div>',
            f'<div class="{cls()}">',
            *(f'<div class="{para}">{_text(line)}</div>' for line in reply.answer),
            f'</div><div class="{cls()}">{_REPLY_DATE_MARK}<span class="k{rng.randrange(10)}">Reply Date:</span>'
            f'{label_gap}<span class="v{rng.randrange(10)}">{_day(reply.date)}</span></div>',
        ]
    out += [
        "<div hidden>Dr. Fake reply Surgery Reply Date: 1999/01/01</div>",
        _TRAP_COMMENT,
        f'<div class="{cls()}">',
        block("More Info"),
        *(block(line.text) for line in page.more_info),
        "</div>",
    ]
    if page.similar:
        out += [f'<div class="{cls()}" id="s">', block("Similar Q&A")]
        for entry in page.similar:
            href, title = _attr(entry.path), _text(entry.title)
            out += [
                f'<div class="{cls()}"><div><a href="{href}">{title}</a></div>',
                block(entry.question_excerpt),
                f'<div class="{cls()}">{spans("Dr. ", entry.doctor, " reply ", entry.department)}</div>',
                f'<div class="{cls()}">{_text(entry.answer_excerpt)}<a href="{href}">[Read More]</a> {title}</div>',
                "</div>",
            ]
        out.append("</div>")
    if page.faqs:
        out += [f'<div class="{cls()}" id="f">', block("Related FAQ")]
        out += [f'<div><a href="{_attr(faq.path)}">{_text(faq.text)}</a></div>' for faq in page.faqs]
        out.append("</div>")
    out.append(
        f'</div><div class="{cls()}" role="navigation"><a href="/en/">Home</a> '
        '<a href="/en/faq/family-medicine">FAQ</a></div></div></body></html>'
    )
    return "".join(out)


_RENDERERS: dict[str, Callable[[ArticlePage, random.Random], str]] = {
    "semantic": _semantic,
    "legacy": _legacy,
    "generated": _generated,
}


def render_article(page: ArticlePage, layout: str, rng: random.Random) -> RenderedArticle:
    """`rng` only decorates (class names, split points), so the visible text never depends on it."""
    html = _RENDERERS[layout](page, rng)
    question_at = html.index(_QUESTION_MARK)
    html = html.replace(_QUESTION_MARK, "", 1)
    reply_date_at = html.find(_REPLY_DATE_MARK)
    html = html.replace(_REPLY_DATE_MARK, "", 1)
    return RenderedArticle(html, question_at, reply_date_at if reply_date_at >= 0 else None)


def chrome_page(title: str, body: str) -> str:
    """Every non-article page: home, listings, FAQ topics, search, not-found. `body` is trusted HTML."""
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{_text(title)} | DoctorQnA</title>\n</head>\n<body>\n"
        '<header><nav class="menu"><a href="/en/">Home</a> <a href="/en/search?q=doctor">Search</a></nav></header>\n'
        f"<main>\n<h1>{_text(title)}</h1>\n{body}</main>\n"
        "<footer><p>© DoctorQnA. Answers are for reference only.</p></footer>\n</body>\n</html>\n"
    )
