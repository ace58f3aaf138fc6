"""Three markups of one article of the doctorqna template, all showing the same visible text (docs/sites/doctorqna.md).

Only the semantic layout resembles what is known of the real site; the legacy-table and generated-class
layouts are *assumed*: they exist so parsers prove they anchor on visible labels, not on markup. Each
layout plants the contract's traps (label text in script, style, comments, menus, hidden elements).
Source newlines sit only between block elements, so inline neighbours keep exactly their visible spacing.
The labels are a parameter (`Labels`, built from a parser's label table: qacrawler.page.sites.template), so one
renderer serves every language of the template, and the sandbox can also play a redesign that rewords them.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from html import escape
from urllib.parse import quote

from qacrawler.page.sites import doctorqna
from qacrawler.page.sites.template import Labels as LabelTable
from qacrawler.sandbox.doctorqna_text import MoreInfoLine

LAYOUTS = ("semantic", "legacy", "generated")

# Where the truncation window starts and ends; stripped from the page before it is served.
_QUESTION_MARK = "\x00question\x00"
_REPLY_DATE_MARK = "\x00reply-date\x00"

@dataclass(frozen=True, slots=True)
class Labels:
    """The reader-visible wording a parser anchors on, and the site's chrome (name, language, URL prefix); a
    redesign changes the wording without touching the content."""

    share: str
    ask_date: str
    reply_date: str
    reply_frame: tuple[str, str, str]  # the text before the doctor, between doctor and department, and after
    more_info: str
    similar: str
    related_faq: str
    read_more: str
    asker_form: str = "{name}, {lo}~{hi} year old {gender}."  # see qacrawler.page.sites.template.Labels.asker_form
    gender_words: tuple[tuple[str, str], ...] = (("female", "female"), ("male", "male"))
    date_gap: str = " "  # between a date label and its value
    lang: str = "en"
    site_name: str = "DoctorQnA"
    canonical: str = "https://doctorqna.com"  # shared in the share links
    prefix: str = "/en"  # every page's path starts with it: /en/article/<id>, /en/department/<slug>…
    home: str = "Home"
    search: str = "Search"
    footer: str = "Answers are for reference only."

    @classmethod
    def from_table(cls, table: LabelTable, **chrome: str) -> Labels:
        """The wording a parser's label table anchors on (each label's first spelling), plus the chrome."""
        return cls(table.share[0], table.ask_date[0], table.reply_date[0], table.reply_frame, table.more_info,
                   table.similar, table.related_faq, table.read_more, table.asker_form,
                   tuple(table.gender_words.items()), **chrome)

    def asker_parts(self, name: str, age_min: int, age_max: int | None, gender: str) -> tuple[str, str, str, str]:
        """The asker part as name, separator, ages, rest; an open-ended age (no age_max) reads "<lo>~"."""
        head, _, rest = self.asker_form.partition("{lo}")
        between, _, tail = rest.partition("{hi}")
        ages = f"{age_min}{between}{'' if age_max is None else age_max}"
        return name, head.removeprefix("{name}"), ages, tail.format(gender=dict(self.gender_words)[gender])

    def asker(self, page: ArticlePage) -> str:
        """The asker line without its ask-date part."""
        return "".join(self.asker_parts(page.asker_name, page.age_min, page.age_max, page.gender))

    def reply_parts(self, doctor: str, department: str) -> tuple[str, ...]:
        before, between, after = self.reply_frame
        return tuple(part for part in (before, doctor, between, department, after) if part)

    def reply_header(self, doctor: str, department: str) -> str:
        return "".join(self.reply_parts(doctor, department))

    # Label text planted where a reader never sees it (docs/sites/doctorqna.md): in the current wording, as a
    # redesigned template would carry it.
    @property
    def trap_script(self) -> str:
        return (
            'window.dataLayer=window.dataLayer||[];dataLayer.push({"template":"article",'
            f'"sample":"{self.reply_date} 1999/01/01","doctor":"{self.reply_header("Fake", "Surgery")}",'
            f'"asked":"{self.ask_date} 1999/01/01","widget":"{self.similar}"}});'
        )

    @property
    def trap_css(self) -> str:
        return f"/* {self.similar} | {self.reply_date} 1999/01/01 | {self.reply_header('Fake', 'Surgery')} */"

    @property
    def trap_comment(self) -> str:
        return (
            f"<!-- {self.similar} widget ({self.reply_header('Fake', 'Surgery')}), {self.ask_date} 1999/01/01 -->"
        )

    @property
    def trap_hidden(self) -> str:
        return f"{self.reply_header('Fake', 'Surgery')} {self.reply_date} 1999/01/01"


LABELS = {
    "standard": Labels.from_table(doctorqna.LABELS),
    "renamed": Labels(
        "Share this:", "Asked on:", "Answered on:", ("Answer by Dr. ", " (", ")"), "Further reading",
        "Related questions", "Frequently asked topics", "[Continue reading]",
    ),
}


@dataclass(frozen=True, slots=True)
class Reply:
    doctor: str
    department: str
    answer: tuple[str, ...]
    date: date


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
    age_max: int | None  # None: open-ended ("60~")
    gender: str
    ask_date: date
    reply: Reply | None  # None: an unanswered ("reply_missing") page
    more_info: tuple[MoreInfoLine, ...]
    similar: tuple[SimilarEntry, ...]
    faqs: tuple[FaqLink, ...]


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


def _semantic(page: ArticlePage, rng: random.Random, labels: Labels) -> str:
    shared = quote(labels.canonical + page.path, safe="")
    home, search = f'<a href="{labels.prefix}/">{labels.home}</a>', _search_link(labels)
    out = [
        f'<!DOCTYPE html>\n<html lang="{labels.lang}">\n<head>\n<meta charset="utf-8">\n',
        f"<title>{_text(page.heading)} | {labels.site_name}</title>\n",
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n',
        f"<style>body{{font-family:sans-serif}}{labels.trap_css}</style>\n<script>{labels.trap_script}</script>\n",
        "</head>\n<body>\n",
        f'<header><nav class="menu">{home} <a href="#similar">{_text(labels.similar)}</a> '
        f'<a href="#faq">{_text(labels.related_faq)}</a> {search}</nav></header>\n',
        "<main>\n<article>\n",
        f"<h1>{_text(page.heading)}</h1>\n",
        f'<div class="share">\n<p>{_text(labels.share)}</p>\n<ul>\n',
        f'<li><a href="https://www.facebook.com/sharer/sharer.php?u={shared}">Facebook</a></li>\n',
        f'<li><a href="https://social-plugins.line.me/lineit/share?url={shared}">LINE</a></li>\n',
        f'<li><a href="https://twitter.com/intent/tweet?url={shared}">X</a></li>\n',
        "</ul>\n</div>\n",
        f'<h2 class="title">{_text(page.title)}</h2>\n',
        f'<div class="question">\n{_QUESTION_MARK}',
        *(f"<p>{_text(line)}</p>\n" for line in page.question),
        "</div>\n",
        f'<p class="asker">{_text(labels.asker(page))} '
        f'<span class="ask-date">{_text(labels.ask_date)}{labels.date_gap}{_day(page.ask_date)}</span></p>\n',
    ]
    if page.reply:
        out += [
            '<section class="reply">\n',
            f"<h3>{_text(labels.reply_header(page.reply.doctor, page.reply.department))}</h3>\n",
            *(f"<p>{_text(line)}</p>\n" for line in page.reply.answer),
            f"<script>{labels.trap_script}</script>\n",
            f'<p class="reply-date">{_REPLY_DATE_MARK}{_text(labels.reply_date)}{labels.date_gap}'
            f"{_day(page.reply.date)}</p>\n",
            "</section>\n",
        ]
    out += [labels.trap_comment, "\n", f'<section class="more-info">\n<h3>{_text(labels.more_info)}</h3>\n']
    out += [
        f"<h4>{_text(line.text)}</h4>\n" if line.heading else f"<p>{_text(line.text)}</p>\n" for line in page.more_info
    ]
    out.append("</section>\n</article>\n<aside>\n")
    if page.similar:
        out.append(f'<section id="similar">\n<h3>{_text(labels.similar)}</h3>\n')
        for entry in page.similar:
            href, title = _attr(entry.path), _text(entry.title)
            out += [
                f'<div class="qa">\n<h4><a href="{href}">{title}</a></h4>\n',
                f"<p>{_text(entry.question_excerpt)}</p>\n",
                f'<p class="doctor">{_text(labels.reply_header(entry.doctor, entry.department))}</p>\n',
                f'<p>{_text(entry.answer_excerpt)}<a href="{href}">{_text(labels.read_more)}</a> {title}</p>\n</div>\n',
            ]
        out.append("</section>\n")
    if page.faqs:
        out.append(f'<section id="faq">\n<h3>{_text(labels.related_faq)}</h3>\n<ul>\n')
        out += [f'<li><a href="{_attr(faq.path)}">{_text(faq.text)}</a></li>\n' for faq in page.faqs]
        out.append("</ul>\n</section>\n")
    out.append(
        f"</aside>\n</main>\n<footer><p>© {labels.site_name}. {labels.footer}</p>"
        f'{home} <a href="{labels.prefix}/faq/family-medicine">FAQ</a></footer>\n</body>\n</html>\n'
    )
    return "".join(out)


def _legacy(page: ArticlePage, rng: random.Random, labels: Labels) -> str:
    heading_font = rng.choice(('<FONT COLOR="#336699">', '<FONT SIZE="3" COLOR="#006600">'))
    out = [
        "<HTML>\n<HEAD>\n",
        '<META HTTP-EQUIV="Content-Type" CONTENT="text/html; charset=utf-8">\n',
        f"<TITLE>{_text(page.title)} - {labels.site_name}</TITLE>\n",
        f'<SCRIPT LANGUAGE="JavaScript">{labels.trap_script}</SCRIPT>\n',
        "</HEAD>\n<BODY BGCOLOR=\"#FFFFFF\" TEXT=\"#000000\">\n",
        '<TABLE WIDTH="100%" BORDER="0" CELLPADDING="4">\n<TR>\n',
        f'<TD WIDTH="160" VALIGN="TOP"><A HREF="{labels.prefix}/">{labels.site_name}</A><BR>'
        f'<A HREF="{labels.prefix}/">Departments</A><BR>'
        f'<A HREF="#similar">{_text(labels.similar)}</A><BR><A HREF="#faq">{_text(labels.related_faq)}</A><BR>'
        f'<A HREF="{labels.prefix}/search?q=doctor">{labels.search}</A></TD>\n',
        '<TD VALIGN="TOP">\n',
        f'<FONT SIZE="+1"><B>{_text(page.title)}</B></FONT><BR>\n',
        _QUESTION_MARK,
        *(f"{_text(line)}<BR>\n" for line in page.question),
        f"{_text(labels.asker(page))} {_text(labels.ask_date)}{labels.date_gap}{_day(page.ask_date)}<BR>\n",
    ]
    if page.reply:
        out += [
            f"<B>{_text(labels.reply_header(page.reply.doctor, page.reply.department))}</B><BR>\n",
            *(f"{_text(line)}<BR>\n" for line in page.reply.answer),
            f"{_REPLY_DATE_MARK}{_text(labels.reply_date)}{labels.date_gap}{_day(page.reply.date)}<BR>\n",
        ]
    out += [f"<BR>\n{heading_font}<B>{_text(labels.more_info)}</B></FONT><BR>\n"]
    out += [
        f"<B>{_text(line.text)}</B><BR>\n" if line.heading else f"{_text(line.text)}<BR>\n" for line in page.more_info
    ]
    if page.similar:
        out.append(f'<BR>\n<A NAME="similar"></A>{heading_font}<B>{_text(labels.similar)}</B></FONT><BR>\n')
        for entry in page.similar:
            href, title = _attr(entry.path), _text(entry.title)
            out += [
                f'<A HREF="{href}">{title}</A><BR>\n',
                f"{_text(entry.question_excerpt)}<BR>\n",
                f"{_text(labels.reply_header(entry.doctor, entry.department))}<BR>\n",
                f'{_text(entry.answer_excerpt)}<A HREF="{href}">{_text(labels.read_more)}</A> {title}<BR>\n',
            ]
    if page.faqs:
        out.append(f'<BR>\n<A NAME="faq"></A>{heading_font}<B>{_text(labels.related_faq)}</B></FONT><BR>\n')
        out += [f'<A HREF="{_attr(faq.path)}">{_text(faq.text)}</A><BR>\n' for faq in page.faqs]
    out.append(f"</TD>\n</TR>\n</TABLE>\n{labels.trap_comment}\n</BODY>\n</HTML>\n")
    return "".join(out)


def _split_mid_word(text: str, rng: random.Random) -> list[str]:
    """Cut one or two words in the middle, as a highlighter or a hydration step leaves them."""
    inside = [i for i in range(1, len(text)) if text[i - 1].isalnum() and text[i].isalnum()]
    cuts = sorted(rng.sample(inside, min(len(inside), rng.randint(1, 2))))
    return [text[start:end] for start, end in zip([0, *cuts], [*cuts, len(text)], strict=True)]


def _generated(page: ArticlePage, rng: random.Random, labels: Labels) -> str:
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
        f"<style>.{root}{{max-width:60rem}}.{para}{{margin:.5em 0}}{labels.trap_css}</style>",
        f"<script>{labels.trap_script}</script></head><body>",
        f'<div class="{root}"><div class="{cls()}" role="navigation"><a href="{labels.prefix}/">{labels.home}</a>'
        f'<a href="#s">{_text(labels.similar)}</a><a href="#f">{_text(labels.related_faq)}</a>'
        f"{_search_link(labels)}</div>",
        f'<div class="{cls()}">',
        block(page.heading),
        f'<div class="{cls()}">{spans(*_split_mid_word(page.title, rng))}</div>',
        f'<div class="{cls()}">{_QUESTION_MARK}',
        *(f'<div class="{para}">{_text(line)}</div>' for line in page.question),
        "</div>",
    ]
    out += [
        f'<div class="{cls()}">{spans(*labels.asker_parts(page.asker_name, page.age_min, page.age_max, page.gender))}'
        "</div>",
        f'<div class="{cls()}"><span class="k{rng.randrange(10)}">{_text(labels.ask_date)}</span>{label_gap}'
        f'<span class="v{rng.randrange(10)}">{_day(page.ask_date)}</span></div>',
    ]
    if page.reply:
        reply = page.reply
        out += [
            f'<div class="{cls()}">{spans(*labels.reply_parts(reply.doctor, reply.department))}</div>',
            f'<div class="{cls()}">',
            *(f'<div class="{para}">{_text(line)}</div>' for line in reply.answer),
            f'</div><div class="{cls()}">{_REPLY_DATE_MARK}<span class="k{rng.randrange(10)}">'
            f"{_text(labels.reply_date)}</span>"
            f'{label_gap}<span class="v{rng.randrange(10)}">{_day(reply.date)}</span></div>',
        ]
    out += [
        f"<div hidden>{_text(labels.trap_hidden)}</div>",
        labels.trap_comment,
        f'<div class="{cls()}">',
        block(labels.more_info),
        *(block(line.text) for line in page.more_info),
        "</div>",
    ]
    if page.similar:
        out += [f'<div class="{cls()}" id="s">', block(labels.similar)]
        for entry in page.similar:
            href, title = _attr(entry.path), _text(entry.title)
            out += [
                f'<div class="{cls()}"><div><a href="{href}">{title}</a></div>',
                block(entry.question_excerpt),
                f'<div class="{cls()}">{spans(*labels.reply_parts(entry.doctor, entry.department))}</div>',
                f'<div class="{cls()}">{_text(entry.answer_excerpt)}<a href="{href}">{_text(labels.read_more)}</a> '
                f"{title}</div>",
                "</div>",
            ]
        out.append("</div>")
    if page.faqs:
        out += [f'<div class="{cls()}" id="f">', block(labels.related_faq)]
        out += [f'<div><a href="{_attr(faq.path)}">{_text(faq.text)}</a></div>' for faq in page.faqs]
        out.append("</div>")
    out.append(
        f'</div><div class="{cls()}" role="navigation"><a href="{labels.prefix}/">{labels.home}</a> '
        f'<a href="{labels.prefix}/faq/family-medicine">FAQ</a></div></div></body></html>'
    )
    return "".join(out)


_RENDERERS: dict[str, Callable[[ArticlePage, random.Random, Labels], str]] = {
    "semantic": _semantic,
    "legacy": _legacy,
    "generated": _generated,
}


def render_article(page: ArticlePage, layout: str, rng: random.Random, labels: Labels) -> RenderedArticle:
    """`rng` only decorates (class names, split points), so the visible text never depends on it."""
    html = _RENDERERS[layout](page, rng, labels)
    question_at = html.index(_QUESTION_MARK)
    html = html.replace(_QUESTION_MARK, "", 1)
    reply_date_at = html.find(_REPLY_DATE_MARK)
    html = html.replace(_REPLY_DATE_MARK, "", 1)
    return RenderedArticle(html, question_at, reply_date_at if reply_date_at >= 0 else None)


def _search_link(labels: Labels) -> str:
    return f'<a href="{labels.prefix}/search?q=doctor">{labels.search}</a>'


def chrome_page(title: str, body: str, labels: Labels = LABELS["standard"]) -> str:
    """Every non-article page: home, listings, FAQ topics, search, not-found. `body` is trusted HTML."""
    return (
        f'<!DOCTYPE html>\n<html lang="{labels.lang}">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{_text(title)} | {labels.site_name}</title>\n</head>\n<body>\n"
        f'<header><nav class="menu"><a href="{labels.prefix}/">{labels.home}</a> '
        f"{_search_link(labels)}</nav></header>\n"
        f"<main>\n<h1>{_text(title)}</h1>\n{body}</main>\n"
        f"<footer><p>© {labels.site_name}. {labels.footer}</p></footer>\n</body>\n</html>\n"
    )
