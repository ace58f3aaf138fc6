"""A deterministic local health Q&A site whose question pages carry schema.org QAPage data, with ground truth.

The sandbox of the structured-data parser (qacrawler.page.sites.qapage) and of sites declared by a site file
(``qapage.toml`` beside this module, site id ``healthanswers``). docs/sites/qapage_sandbox.md says what it
imitates. Each article page is written in one of ``STYLES``, chosen per article, each modelled on real
software: ``jsonld`` (a plain JSON-LD QAPage, sometimes with a BreadcrumbList block, ``mainEntity`` or an
author as a list, an author as a string, votes as strings, a view count), ``yoast`` (one ``@graph``,
``"@type": ["WebPage", "QAPage"]``, ``@id`` references), ``anspress`` and ``q2a`` (microdata),
``discourse`` (HTML inside ``name``/``text``, Rails timestamps,
``answerCount`` 0 and votes order when nothing is accepted) and ``medical`` (``["MedicalWebPage",
"QAPage"]``, Physician authors). About one JSON-LD page in six also carries a broken block (trailing
comma, raw newline, CDATA) beside the good one. About 4 % of the pages at article URLs are FAQPage-only
pages and 2 % are not questions at all.

URLs: articles at ``/questions/<id>/<slug>`` (sitemaps and listings) and ``/questions/<id>`` (the canonical
URL, and related-question links); another slug answers 301 to the right one. Listings ``/questions`` and
``/questions?page=N`` (newest first, anchors and an ItemList), ``/sitemap.xml`` (index) ->
``/sitemaps/questions-<k>.xml`` (every page at an article URL, with ``lastmod``), ``/robots.txt``.

Ground truth, the API the end-to-end tests read:

- ``article_ids()``: every id served at an article URL; ``refused()`` (also as ``broken()``, the name the
  other mirrors' end-to-end helpers read): ``{id: reason}`` of those that are no question record
  (``FAQ_REASON``, ``NOT_QA_REASON``); ``question_ids()``: the rest, ascending.
- ``truth(id)``: the record fields the parser must read from a question page, as published (asker names and
  contact details as written; ``more_info``, ``categories``, similar questions and related FAQs empty). URLs
  are paths: ``path`` (the canonical path the record's ``url`` ends with) and each answer's ``author_url``;
  dates are ``date`` objects. ``answers`` lists every reply in the order the
  structured data gives them (JSON-LD: ``acceptedAnswer`` then ``suggestedAnswer`` in list order; microdata:
  document order), ``accepted`` True for the accepted one and False for the others; ``upvotes`` None where
  the page shows no votes. ``answer``, ``doctor`` and ``reply_date`` come from the accepted answer, else the
  best-voted (the first of equals), else the first; all None on an unanswered page.
- ``expected_row(id, keep_names=...)``: ``truth`` as the dataset holds it after the privacy stage: every
  planted contact detail replaced by its placeholder (``[PHONE]``, …) in title, question, answer and the
  answers' texts, and, unless names are kept, ``asker.name`` None and the asker greeted as ``[NAME]``.
  Spans come from ``planted_pii`` / ``planted_names``, never from the masker.
- ``faq_truth(id)``: for an FAQ page, the records a site keeping FAQ pairs makes: one per pair, source id
  ``<id>#<n>``.
- ``style(id)``, ``broken_jsonld(id)``: how a page is written, for tests that pick pages by markup.

``revise(added, edited, at)`` changes the site between two crawls as DoctorQnaSite's does: new questions
above the highest id, and edited questions (a new reply, or an "Update:" paragraph in the question), each
stamped ``at`` in the sitemaps; every other article keeps its bytes. Text is rebuilt from
``Dice(f"{seed}:{id}")`` on demand; only ids, kinds and edits live in memory.
"""

from __future__ import annotations

import bisect
import functools
import json
import math
import random
import re
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta, timezone
from html import escape
from typing import Any
from zoneinfo import ZoneInfo

from qacrawler.sandbox import qapage_text as text
from qacrawler.sandbox.doctorqna_text import Dice, cumulative, plan_revision, slugify
from qacrawler.sandbox.pii import Planting, plant, planted_count

FIRST_ID, LAST_ID = 1000, 399_999
MAX_ID = 999_999
FIRST_MOMENT, LAST_MOMENT = datetime(2016, 1, 1, tzinfo=UTC), datetime(2025, 6, 30, tzinfo=UTC)
SITE_ZONE = ZoneInfo("America/Chicago")  # the site file's `timezone`: where a UTC timestamp's date is taken
LISTING_PAGE_SIZE = 20
SITEMAP_SIZE = 200
LASTMOD_PRECISIONS = ("seconds", "date")
DEFAULT_BASE_URL = "http://127.0.0.1"
SITE_NAME = "HealthAnswers"

STYLES = ("jsonld", "yoast", "anspress", "q2a", "discourse", "medical")
JSONLD_STYLES = frozenset({"jsonld", "yoast", "discourse", "medical"})
BROKEN_KINDS = ("trailing-comma", "raw-newline", "cdata")
FAQ_REASON = "FAQPage: an FAQ page, not a patient's question"
NOT_QA_REASON = "no QAPage structured data"

_ANSWER_COUNTS, _ANSWER_COUNT_WEIGHTS = (0, 1, 2, 3, 4, 5), cumulative((12, 33, 22, 15, 10, 8))
_HTML = "text/html; charset=utf-8"
_XML = "application/xml; charset=utf-8"
_SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
_ARTICLE_PATH = re.compile(r"/questions/([1-9][0-9]*)(?:/([a-z0-9-]+))?")
_SITEMAP_PATH = re.compile(r"/sitemaps/questions-([1-9][0-9]*)\.xml")
_OFFSETS = (-300, -360, 0, 60, 330, 480)  # minutes: a site's servers and editors write many

Response = tuple[int, dict[str, str], bytes]


def _response(status: int, content_type: str, body_text: str, **headers: str) -> Response:
    body = body_text.encode("utf-8")
    return status, {"Content-Type": content_type, "Content-Length": str(len(body)), **headers}, body


# --- dates as pages write them --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Stamp:
    """A moment and how the page writes it: ``date`` (the site's calendar date), ``naive`` (its wall clock),
    ``z`` / ``z-ms`` (UTC, the Rails form with milliseconds), or an offset in minutes (``compact``: +0000)."""

    moment: datetime
    form: str
    offset: int = 0
    compact: bool = False

    def written(self) -> str:
        local = self.moment.astimezone(SITE_ZONE)
        if self.form == "date":
            return local.date().isoformat()
        if self.form == "naive":
            return local.replace(tzinfo=None).isoformat(timespec="seconds")
        if self.form in ("z", "z-ms"):
            utc = self.moment.astimezone(UTC).replace(tzinfo=None)
            return utc.isoformat(timespec="milliseconds" if self.form == "z-ms" else "seconds") + "Z"
        shifted = self.moment.astimezone(timezone(timedelta(minutes=self.offset))).isoformat(timespec="seconds")
        return shifted[:-3] + shifted[-2:] if self.compact else shifted

    def day(self) -> date:
        """The calendar date a correct parser reads: in the written offset, in the site's zone for UTC (``Z``,
        ``+00:00`` and ``+0000`` alike: one instant, and the site file's timezone says where its day is)."""
        if self.form == "offset" and self.offset != 0:
            return self.moment.astimezone(timezone(timedelta(minutes=self.offset))).date()
        return self.moment.astimezone(SITE_ZONE).date()


def _date_style(rng: random.Random, style: str) -> Stamp:
    """How a page writes its every timestamp (a site writes one form, in one offset); the moment is a stand-in."""
    if style == "discourse":
        return Stamp(FIRST_MOMENT, "z-ms")
    if style == "medical":
        return Stamp(FIRST_MOMENT, "date")
    if style == "q2a":
        return Stamp(FIRST_MOMENT, "offset", rng.choice((0, 0, -300)), compact=True)
    if style in ("yoast", "anspress"):
        return Stamp(FIRST_MOMENT, "offset", rng.choice(_OFFSETS))
    form = rng.choice(("date", "naive", "z", "offset"))
    return Stamp(FIRST_MOMENT, form, rng.choice(_OFFSETS) if form == "offset" else 0)


# --- the article model ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Reply:
    number: int  # the site's answer id, for its #answer-<n> URL
    lines: tuple[str, ...]
    author: str
    author_path: str | None
    stamp: Stamp
    upvotes: int | None
    accepted: bool
    physician: bool


@dataclass(frozen=True, slots=True)
class Article:
    article_id: int
    style: str
    department: text.Department
    title: str
    question: tuple[str, ...]
    asker: str | None
    asked: Stamp
    replies: tuple[Reply, ...]  # in the order the structured data lists them
    variant_seed: str  # markup decisions that change no field (author as a string, mainEntity as a list …)
    variant: random.Random  # drawn while rendering, from a fresh Random(variant_seed) each time
    breadcrumb: bool  # jsonld: a BreadcrumbList block; medical: a `specialty`
    broken: str | None
    views: int | None  # jsonld and medical: a ViewAction InteractionCounter on the Question

    @property
    def slug(self) -> str:
        return slugify(self.title)[:60].strip("-")

    @property
    def chosen(self) -> Reply | None:
        """The reply the record's answer is: accepted, else best-voted (first of equals), else first."""
        if not self.replies:
            return None
        accepted = [reply for reply in self.replies if reply.accepted]
        if accepted:
            return accepted[0]
        return max(self.replies, key=lambda reply: reply.upvotes or 0)

    @property
    def department_name(self) -> str | None:
        if self.style == "medical":
            return self.department.enumeration
        if self.style == "jsonld" and not self.breadcrumb:
            return None
        return self.department.label


@dataclass(frozen=True, slots=True)
class Revision:
    """What one `QAPageSite.revise` changed: `answered_ids` are the edited articles that got a new reply, the
    other edited ones an update paragraph in their question."""

    number: int
    at: datetime
    added_ids: list[int]
    edited_ids: list[int]
    answered_ids: list[int]


@dataclass(frozen=True, slots=True)
class _Edit:
    at: datetime
    kind: str  # "answer" or "update"
    seed: str


class QAPageSite:
    """Every page of the mirror by path; deterministic for (pages, seed, pii, lastmod, clock_offset) and the
    revisions made."""

    LANGUAGE = "en"

    def __init__(self, pages: int = 300, seed: int = 7, *, pii: bool = True, lastmod: str = "seconds",
                 clock_offset: timedelta = timedelta(0)):
        """`pii` (on by default, so this site's default crawl exercises the privacy stage): contact details in
        about 10 % of the questions and some replies (sandbox/pii.py); `lastmod`: sitemap precision, `seconds`
        or `date`; `clock_offset`: how far the site's clock is from true time, applied to lastmod."""
        if not 1 <= pages <= LAST_ID - FIRST_ID + 1:
            raise ValueError(f"pages must be between 1 and {LAST_ID - FIRST_ID + 1}, not {pages}")
        if lastmod not in LASTMOD_PRECISIONS:
            raise ValueError(f"lastmod must be one of {', '.join(LASTMOD_PRECISIONS)}, not {lastmod!r}")
        self.pages, self.seed, self.pii = pages, seed, pii
        self.lastmod_precision, self.clock_offset = lastmod, clock_offset
        rng = random.Random(f"{seed}:site")
        self._ids = sorted(rng.sample(range(FIRST_ID, LAST_ID + 1), pages))
        faq_count = max(2 if pages >= 20 else 0, round(0.04 * pages))
        other_count = max(1 if pages >= 20 else 0, round(0.02 * pages))
        special = rng.sample(self._ids, faq_count + other_count)
        self._refused = dict.fromkeys(special[:faq_count], FAQ_REASON) | dict.fromkeys(special[faq_count:],
                                                                                         NOT_QA_REASON)
        questions = [article_id for article_id in self._ids if article_id not in self._refused]
        self._related_pool = tuple(questions)  # frozen: a revision never changes another page's links
        planted = random.Random(f"{seed}:pii").sample(questions, planted_count(len(questions))) if pii else []
        self._pii_ordinals = {article_id: k for k, article_id in enumerate(sorted(planted))}
        self._added: dict[int, tuple[datetime, datetime]] = {}  # a revision's question: (asked, the revision's at)
        self._edits: dict[int, list[_Edit]] = {}
        self._revisions: list[Revision] = []
        self._article = functools.lru_cache(maxsize=2048)(self._write_article)

    # --- ground truth ---------------------------------------------------------------------------

    def article_ids(self) -> list[int]:
        return list(self._ids)

    def question_ids(self) -> list[int]:
        return [article_id for article_id in self._ids if article_id not in self._refused]

    def refused(self) -> dict[int, str]:
        return dict(self._refused)

    def broken(self) -> dict[int, str]:
        """The pages that make no question record, by the name the other mirrors' end-to-end helpers read."""
        return self.refused()

    def article_path(self, article_id: int) -> str:
        """The canonical path, which the record's url ends with."""
        return f"/questions/{article_id}"

    def linked_path(self, article_id: int) -> str:
        """The slugged path sitemaps and listings link."""
        return f"/questions/{article_id}/{self._slug(article_id)}"

    def style(self, article_id: int) -> str:
        return self._question(article_id).style

    def broken_jsonld(self, article_id: int) -> str | None:
        """Which broken JSON-LD block (BROKEN_KINDS) the page carries beside its good one, if any."""
        return self._question(article_id).broken

    def truth(self, article_id: int) -> dict[str, Any]:
        article = self._question(article_id)
        chosen = article.chosen
        return {
            "source_id": str(article_id),
            "language": self.LANGUAGE,
            "kind": "question",
            "title": article.title,
            "question": "\n".join(article.question),
            "asker": {"name": article.asker, "gender": None, "age_min": None, "age_max": None},
            "ask_date": article.asked.day(),
            "reply_date": chosen.stamp.day() if chosen else None,
            "department": article.department_name,
            "doctor": {"name": chosen.author if chosen else None, "hospital": None},
            "answer": "\n".join(chosen.lines) if chosen else None,
            "answers": [
                {"text": "\n".join(reply.lines), "author_name": reply.author, "author_url": reply.author_path,
                 "date": reply.stamp.day(), "upvotes": reply.upvotes, "accepted": reply.accepted}
                for reply in article.replies
            ],
            "view_count": article.views,
            "more_info": None,
            "categories": [],
            "similar_questions": [],
            "related_faqs": [],
            "path": self.article_path(article_id),
        }

    def expected_row(self, article_id: int, *, keep_names: bool = False) -> dict[str, Any]:
        """`truth` after the privacy stage (see the module docstring)."""
        row = self.truth(article_id)
        spans = self.planted_pii(article_id)
        names = [] if keep_names else self.planted_names(article_id)

        def masked(value: str | None) -> str | None:
            if value is None:
                return None
            for kind, span in spans:
                value = value.replace(span, f"[{kind}]")
            for name in names:
                value = re.sub(rf"\b(Hi|Hello|Dear) {re.escape(name)}\b", r"\1 [NAME]", value)
            return value

        for field in ("title", "question", "answer"):
            row[field] = masked(row[field])
        row["answers"] = [{**answer, "text": masked(answer["text"])} for answer in row["answers"]]
        if not keep_names:
            row["asker"] = {**row["asker"], "name": None}
        return row

    def planted_pii(self, article_id: int) -> list[tuple[str, str]]:
        """(placeholder kind, exact text the mask replaces) of every contact detail planted in the article."""
        planting = self._planting(article_id)
        return list(planting.pii) if planting else []

    def planted_lookalikes(self, article_id: int) -> list[tuple[str, str]]:
        """Dates, doses, ages … written beside the planted contact details: masking must leave them."""
        planting = self._planting(article_id)
        return list(planting.lookalikes) if planting else []

    def planted_names(self, article_id: int) -> list[str]:
        """The asker's name as a reply greets them ("Anna" in "Hi Anna,"): masked unless names are kept."""
        article = self._question(article_id)
        greeted = text.greeted_name(article.asker)
        return [greeted] if greeted and any(f" {greeted}," in line for reply in article.replies
                                            for line in reply.lines) else []

    def pii_articles(self) -> list[int]:
        return list(self._pii_ordinals)

    def faq_truth(self, article_id: int) -> list[dict[str, Any]]:
        """The records of an FAQ page whose site keeps FAQ pairs: kind `faq`, the question's name as title and
        question, its accepted answer as answer, url the canonical path."""
        if self._refused.get(article_id) != FAQ_REASON:
            raise KeyError(f"article {article_id} is not an FAQ page")
        _, pairs = text.faq_pairs(Dice(f"{self.seed}:{article_id}"))
        return [{"source_id": f"{article_id}#{n}", "kind": "faq", "title": asked, "question": asked,
                 "answer": answered, "path": self.article_path(article_id)}
                for n, (asked, answered) in enumerate(pairs, 1)]

    # --- changes between crawls -----------------------------------------------------------------

    def revise(self, added: int, edited: int | list[int], at: datetime) -> Revision:
        """Change the site at the aware datetime `at`: `added` new questions (ids above the highest, asked in
        the week up to `at`, in the sitemaps and the first listing page) and `edited` questions (that many at
        random, or the ids given): an unanswered one, and about half the others, get a new reply dated `at`,
        the rest an update paragraph in the question; each gets `at` as its lastmod. Revise between crawls."""
        number = len(self._revisions) + 1
        rng, edited_ids, added_ids = plan_revision(
            seed=self.seed, number=number, previous_at=self._revisions[-1].at if self._revisions else None, at=at,
            ids=self._ids, editable=self.question_ids(), what="questions", added=added, edited=edited, max_id=MAX_ID)
        newest = max(self._asked_moment(article_id) for article_id in self._ids)
        if at < newest:
            raise ValueError(f"at must not precede the newest question, asked {newest.isoformat()}")
        answered = []
        for article_id in edited_ids:
            kind = "answer" if not self._question(article_id).replies or rng.random() < 0.5 else "update"
            self._edits.setdefault(article_id, []).append(_Edit(at, kind, f"{self.seed}:{article_id}:edit:{number}"))
            answered += [article_id] if kind == "answer" else []
        first = max(newest, at - timedelta(days=7))
        for k, article_id in enumerate(added_ids):
            self._added[article_id] = (first + (at - first) * (k + 1) / (added + 1), at)
            self._ids.append(article_id)
        self.pages = len(self._ids)
        self._article.cache_clear()
        revision = Revision(number, at, added_ids, edited_ids, answered)
        self._revisions.append(revision)
        return revision

    # --- HTTP -----------------------------------------------------------------------------------

    def render(self, path: str, query: dict[str, list[str]] | None = None, *,
               base_url: str = DEFAULT_BASE_URL) -> Response:
        """Status, headers and body for any URL; `base_url` makes the absolute URLs of structured data,
        canonical links, ItemLists and sitemaps."""
        query, base = query or {}, base_url.rstrip("/")
        if match := _ARTICLE_PATH.fullmatch(path):
            return self._article_response(int(match[1]), match[2], base)
        if path == "/questions":
            return self._listing(query.get("page", ["1"])[0], base)
        if match := _SITEMAP_PATH.fullmatch(path):
            return self._sitemap(int(match[1]), base)
        if path == "/sitemap.xml":
            return self._sitemap_index(base)
        if path == "/robots.txt":
            robots = f"User-agent: *\nDisallow: /search\nDisallow: /u/\n\nSitemap: {base}/sitemap.xml\n"
            return _response(200, "text/plain; charset=utf-8", robots)
        if path == "/":
            body = '<p><a href="/questions">All questions</a></p>\n'
            return _response(200, _HTML, _chrome(SITE_NAME, body, f"{base}/"))
        return self._not_found(base)

    # --- the model ------------------------------------------------------------------------------

    def _known(self, article_id: int) -> bool:
        position = bisect.bisect_left(self._ids, article_id)
        return position < len(self._ids) and self._ids[position] == article_id

    def _asked_moment(self, article_id: int) -> datetime:
        if (added := self._added.get(article_id)) is not None:
            return added[0]
        span = (LAST_MOMENT - FIRST_MOMENT).days
        day = FIRST_MOMENT + timedelta(days=(article_id - FIRST_ID) * span // (LAST_ID - FIRST_ID))
        return day + timedelta(seconds=random.Random(f"{self.seed}:{article_id}:time").randrange(86_400))

    def _question(self, article_id: int) -> Article:
        if not self._known(article_id):
            raise KeyError(f"no article {article_id}")
        if article_id in self._refused:
            raise KeyError(f"article {article_id} is refused ({self._refused[article_id]}): no question truth")
        return self._article(article_id)

    def _slug(self, article_id: int) -> str:
        if article_id in self._refused:
            return slugify(self._refused_title(article_id))
        return self._question(article_id).slug

    def _refused_title(self, article_id: int) -> str:
        if self._refused[article_id] == FAQ_REASON:
            return f"FAQ: {text.faq_pairs(Dice(f'{self.seed}:{article_id}'))[0]}"
        return random.Random(f"{self.seed}:{article_id}").choice(text.ARTICLE_TOPICS)

    def _planting(self, article_id: int) -> Planting | None:
        ordinal = self._pii_ordinals.get(article_id)
        if ordinal is None:
            return None
        article = self._unplanted(article_id)
        chosen = article.chosen
        return plant(Dice(f"{self.seed}:{article_id}:pii"), "en", ordinal, article.question,
                     chosen.lines if chosen else None)

    def _unplanted(self, article_id: int) -> Article:
        """The article before contact details are planted: its text, replies and markup decisions."""
        rng = Dice(f"{self.seed}:{article_id}")
        markup = random.Random(f"{self.seed}:{article_id}:markup")
        style = markup.choice(STYLES)
        dates = _date_style(markup, style)
        department = rng.pick(text.DEPARTMENTS)
        title, complaint = text.title(rng, department)
        question = text.question(rng, department, complaint)
        asker = text.asker(rng)
        asked = self._asked_moment(article_id)
        count = rng.weighted(_ANSWER_COUNTS, _ANSWER_COUNT_WEIGHTS)
        if style == "medical":
            count = min(count, 2) or 1  # a doctor service answers every question it publishes
        replies: list[Reply] = []
        for k in range(count):
            replies.append(self._reply(rng, markup, style, dates, department, asker, asked, k, article_id,
                                       [reply.lines for reply in replies]))
        if article_id in self._added:  # a revision's new question is answered no later than the revision
            at = self._added[article_id][1]
            replies = [replace(reply, stamp=replace(reply.stamp, moment=max(asked, min(
                reply.stamp.moment, at - timedelta(minutes=count - k))))) for k, reply in enumerate(replies)]
        replies = self._accept(rng, style, replies)
        return Article(article_id, style, department, title, question, asker, replace(dates, moment=asked),
                       tuple(replies), f"{self.seed}:{article_id}:variant", random.Random(),
                       markup.random() < 0.5, markup.choice(BROKEN_KINDS) if (
                           style in JSONLD_STYLES and markup.random() < 1 / 6) else None,
                       markup.randrange(20, 90_000) if style in ("jsonld", "medical") and markup.random() < 0.6
                       else None)

    def _reply(self, rng: Dice, markup: random.Random, style: str, dates: Stamp, department: text.Department,
               asker: str | None,
               asked: datetime, k: int, article_id: int, taken: list[tuple[str, ...]]) -> Reply:
        physician = style == "medical" or (k == 0 and rng.random() < 0.6)
        author = rng.pick(text.DOCTORS) if physician else rng.pick(text.MEMBERS)
        greeting = text.greeted_name(asker) if physician and rng.random() < 0.4 else None
        lines = text.doctor_reply(rng, department, greeting) if physician else text.member_reply(rng, department)
        for _ in range(5):  # two repliers rarely write the same words: a parser may tell replies apart by text
            if lines not in taken:
                break
            lines = text.member_reply(rng, department)
        moment = asked + timedelta(minutes=rng.between(20, 60 * 24 * 6) * (k + 1))
        profile = None if style == "jsonld" and markup.random() < 0.5 else f"/u/{slugify(author)}"
        upvotes = None if style == "medical" else rng.weighted(range(9), cumulative((30, 20, 14, 10, 8, 6, 5, 4, 3)))
        return Reply(article_id * 10 + k, lines, author, profile, replace(dates, moment=moment), upvotes, False,
                     physician)

    @staticmethod
    def _accept(rng: Dice, style: str, replies: list[Reply]) -> list[Reply]:
        """Mark one reply accepted on about half the answered pages (always on a doctor service) and put the
        replies in the order the style lists them."""
        if not replies:
            return replies
        if style == "medical" or rng.random() < 0.5:
            k = rng.between(0, len(replies) - 1)
            replies[k] = replace(replies[k], accepted=True)
        accepted = [reply for reply in replies if reply.accepted]
        others = [reply for reply in replies if not reply.accepted]
        if style == "discourse":
            others.sort(key=lambda reply: -(reply.upvotes or 0))
        if style == "q2a":
            return replies  # the accepted answer stays where it was posted
        return accepted + others

    def _write_article(self, article_id: int) -> Article:
        article = self._unplanted(article_id)
        planting = self._planting(article_id)
        replies = list(article.replies)
        if planting is not None:
            chosen = article.chosen
            if chosen is not None and planting.answer is not None:
                replies[replies.index(chosen)] = replace(chosen, lines=planting.answer)
            article = replace(article, question=planting.question)
        question = article.question
        for edit in self._edits.get(article_id, []):
            rng = Dice(edit.seed)
            if edit.kind == "update":
                question += (text.update(rng, article.department),)
                continue
            author = rng.pick(text.MEMBERS)
            replies.append(Reply(article_id * 10 + len(replies), text.member_reply(rng, article.department), author,
                                 f"/u/{slugify(author)}", replace(article.asked, moment=edit.at), 0, False, False))
        return replace(article, question=question, replies=tuple(replies))

    def _lastmod(self, article_id: int) -> datetime:
        """The page's last change: its last edit, else its newest reply, else its question."""
        if edits := self._edits.get(article_id):
            return edits[-1].at
        if article_id in self._refused:
            return self._asked_moment(article_id)
        article = self._question(article_id)
        return max([article.asked.moment, *(reply.stamp.moment for reply in article.replies)])

    def _w3c(self, moment: datetime) -> str:
        stamped = moment.astimezone(UTC) + self.clock_offset
        return stamped.date().isoformat() if self.lastmod_precision == "date" else stamped.isoformat(timespec="seconds")

    # --- pages ----------------------------------------------------------------------------------

    def _article_response(self, article_id: int, slug: str | None, base: str) -> Response:
        if not self._known(article_id):
            return self._not_found(base)
        if slug is not None and slug != self._slug(article_id):
            return _response(301, _HTML, "", Location=f"{base}{self.linked_path(article_id)}")
        canonical = base + self.article_path(article_id)
        reason = self._refused.get(article_id)
        if reason == FAQ_REASON:
            html = self._faq_page(article_id, canonical)
        elif reason == NOT_QA_REASON:
            html = self._topic_page(article_id, canonical)
        else:
            html = _render(self._question(article_id), canonical, base, self._related(article_id))
        return _response(200, _HTML, html)

    def _related(self, article_id: int) -> list[tuple[str, str]]:
        rng = random.Random(f"{self.seed}:{article_id}:related")
        targets = [t for t in rng.sample(self._related_pool, min(3, len(self._related_pool))) if t != article_id]
        return [(self.article_path(t), self._unplanted(t).title) for t in targets[: rng.randint(0, 3)]]

    def _faq_page(self, article_id: int, canonical: str) -> str:
        topic, pairs = text.faq_pairs(Dice(f"{self.seed}:{article_id}"))
        data = {"@context": "https://schema.org", "@type": "FAQPage", "mainEntity": [
            {"@type": "Question", "name": asked, "acceptedAnswer": {"@type": "Answer", "text": answered}}
            for asked, answered in pairs]}
        body = "".join(f"<h2>{escape(asked)}</h2>\n<p>{escape(answered)}</p>\n" for asked, answered in pairs)
        return _chrome(f"FAQ: {topic}", f"<h1>FAQ: {escape(topic)}</h1>\n{body}", canonical, [_script(data)])

    def _topic_page(self, article_id: int, canonical: str) -> str:
        """A health article at a question URL: structured data of another kind, or none at all."""
        topic = self._refused_title(article_id)
        body = f"<h1>{escape(topic)}</h1>\n<p>Our editors explain the basics in plain words.</p>\n"
        scripts = [_script({"@context": "https://schema.org", "@type": "MedicalWebPage", "name": topic,
                            "lastReviewed": "2024-03-01"})] if article_id % 2 else []
        return _chrome(topic, body, canonical, scripts)

    def _listed(self) -> list[int]:
        """Questions and FAQ pages, newest first; health articles are in the sitemaps only."""
        return [article_id for article_id in reversed(self._ids) if self._refused.get(article_id) != NOT_QA_REASON]

    def _title_of(self, article_id: int) -> str:
        if article_id in self._refused:
            return self._refused_title(article_id)
        return self._question(article_id).title

    def _listing(self, requested: str, base: str) -> Response:
        listed = self._listed()
        last_page = max(1, math.ceil(len(listed) / LISTING_PAGE_SIZE))
        if not re.fullmatch(r"[1-9][0-9]{0,5}", requested) or int(requested) > last_page:
            return self._not_found(base)
        page = int(requested)
        start = (page - 1) * LISTING_PAGE_SIZE
        shown = listed[start:start + LISTING_PAGE_SIZE]
        items = "".join(f'<li><a class="question-link" href="{self.linked_path(i)}">{escape(self._title_of(i))}</a>'
                        f"</li>\n" for i in shown)
        data = {"@context": "https://schema.org", "@type": "ItemList", "itemListElement": [
            {"@type": "ListItem", "position": start + k, "url": base + self.linked_path(i), "name": self._title_of(i)}
            for k, i in enumerate(shown, 1)]}
        pages = [f'<a rel="prev" href="/questions?page={page - 1}">Previous</a>'] if page > 1 else []
        pages += [f'<a rel="next" href="/questions?page={page + 1}">Next</a>'] if page < last_page else []
        body = f'<h1>Questions</h1>\n<ul class="questions">\n{items}</ul>\n<nav class="pages">{" ".join(pages)}</nav>\n'
        canonical = f"{base}/questions" + (f"?page={page}" if page > 1 else "")
        return _response(200, _HTML, _chrome(f"Questions, page {page}", body, canonical, [_script(data)]))

    def _sitemap_index(self, base: str) -> Response:
        chunks = [self._ids[k:k + SITEMAP_SIZE] for k in range(0, len(self._ids), SITEMAP_SIZE)]
        entries = "".join(f"<sitemap><loc>{escape(base)}/sitemaps/questions-{k}.xml</loc>"
                          f"<lastmod>{self._w3c(max(map(self._lastmod, chunk)))}</lastmod></sitemap>\n"
                          for k, chunk in enumerate(chunks, 1))
        return _response(200, _XML, f'<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex xmlns="{_SITEMAP_NS}">\n'
                                    f"{entries}</sitemapindex>\n")

    def _sitemap(self, k: int, base: str) -> Response:
        chunk = self._ids[(k - 1) * SITEMAP_SIZE:k * SITEMAP_SIZE]
        if not chunk:
            return self._not_found(base)
        entries = "".join(f"<url><loc>{escape(base)}{self.linked_path(i)}</loc>"
                          f"<lastmod>{self._w3c(self._lastmod(i))}</lastmod></url>\n" for i in chunk)
        return _response(200, _XML, f'<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="{_SITEMAP_NS}">\n'
                                    f"{entries}</urlset>\n")

    def _not_found(self, base: str) -> Response:
        body = '<h1>Page not found</h1>\n<p><a href="/questions">All questions</a></p>\n'
        return _response(404, _HTML, _chrome("Page not found", body, f"{base}/"))


# --- markup -----------------------------------------------------------------------------------------


def _chrome(title: str, body: str, canonical: str, head: list[str] | None = None) -> str:
    return ('<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f"<title>{escape(title)} - {SITE_NAME}</title>\n<link rel=\"canonical\" href=\"{escape(canonical)}\">\n"
            + "".join(head or []) +
            f'</head>\n<body>\n<header><a href="/">{SITE_NAME}</a> <a href="/questions">Questions</a></header>\n'
            f"<main>\n{body}</main>\n<footer>Answers are general information, not a diagnosis.</footer>\n"
            "</body>\n</html>\n")


def _json(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, indent=1).replace("</", "<\\/")


def _script(data: Any) -> str:
    return f'<script type="application/ld+json">\n{_json(data)}\n</script>\n'


def _broken_script(kind: str, base: str) -> str:
    """An Organization block written the ways real templates break JSON-LD; the QAPage block is another."""
    if kind == "trailing-comma":
        return ('<script type="application/ld+json">\n{"@context": "https://schema.org", "@type": "Organization", '
                f'"name": "{SITE_NAME}", "url": "{base}/",}}\n</script>\n')
    if kind == "raw-newline":
        return ('<script type="application/ld+json">\n{"@context": "https://schema.org", "@type": "Organization", '
                f'"name": "{SITE_NAME}", "description": "Ask a doctor.\nFree answers."}}\n</script>\n')
    return ('<script type="application/ld+json">//<![CDATA[\n{"@context": "https://schema.org", '
            f'"@type": "Organization", "name": "{SITE_NAME}"}}\n//]]></script>\n')


def _paragraphs(lines: tuple[str, ...]) -> str:
    return "".join(f"<p>{escape(line, quote=False)}</p>" for line in lines)


def _discourse_html(lines: tuple[str, ...]) -> str:
    """Discourse's cooked HTML: paragraphs, an emphasised first sentence's word, entities."""
    cooked = [escape(line, quote=False) for line in lines]
    first, _, rest = cooked[0].partition(" ")
    cooked[0] = f"<strong>{first}</strong> {rest}" if rest else cooked[0]
    return "\n".join(f"<p>{line}</p>" for line in cooked)


def _person(name: str, path: str | None, base: str, kind: str = "Person", **extra: str) -> dict[str, Any]:
    person: dict[str, Any] = {"@type": kind, "name": name}
    if path:
        person["url"] = base + path
    return person | extra


def _answer_data(article: Article, reply: Reply, canonical: str, base: str) -> dict[str, Any]:
    if article.style == "discourse":
        body = _discourse_html(reply.lines)
    elif article.style == "yoast":
        body = _paragraphs(reply.lines)
    else:
        body = ("\n\n" if article.style == "medical" else "\n").join(reply.lines)
    extra = {"medicalSpecialty": f"https://schema.org/{article.department.enumeration}"} if reply.physician else {}
    author: Any = _person(reply.author, reply.author_path, base, "Physician" if article.style == "medical" else
                          "Person", **(extra if article.style == "medical" else {}))
    if article.style == "jsonld" and reply.author_path is None and article.variant.random() < 0.5:
        author = reply.author  # a plain string, as many templates write it
    elif article.style == "jsonld" and article.variant.random() < 0.2:
        author = [author]  # a list where one author was meant
    data: dict[str, Any] = {"@type": "Answer", "text": body,
                            ("datePublished" if article.style == "discourse" else "dateCreated"): reply.stamp.written(),
                            "url": f"{canonical}#answer-{reply.number}", "author": author}
    if reply.upvotes is not None:
        data["upvoteCount"] = str(reply.upvotes) if article.variant.random() < 0.15 else reply.upvotes
    return data


def _question_data(article: Article, canonical: str, base: str) -> dict[str, Any]:
    style, variant = article.style, article.variant
    accepted = [reply for reply in article.replies if reply.accepted]
    suggested = [_answer_data(article, reply, canonical, base) for reply in article.replies if not reply.accepted]
    if style == "discourse":
        name, body = escape(article.title, quote=False), _discourse_html(article.question)
    elif style == "yoast":
        name, body = article.title, _paragraphs(article.question)
    else:
        name, body = article.title, ("\n\n" if style == "medical" else "\n").join(article.question)
    data: dict[str, Any] = {"@type": "Question", "name": name, "text": body,
                            ("datePublished" if style == "discourse" else "dateCreated"): article.asked.written(),
                            "answerCount": len(article.replies) if accepted or style != "discourse" else 0}
    if article.asker is not None:
        handle = f"/u/{slugify(article.asker)}"
        if style == "yoast":
            data["author"] = {"@id": f"{base}/#/schema/person/{slugify(article.asker)}"}
        elif style == "jsonld" and variant.random() < 0.4:
            data["author"] = article.asker
        else:
            data["author"] = _person(article.asker, handle, base)
    if article.views is not None:
        data["interactionStatistic"] = _views(article.views, variant)
    if accepted:
        data["acceptedAnswer"] = _answer_data(article, accepted[0], canonical, base)
    if suggested:
        data["suggestedAnswer"] = suggested[0] if len(suggested) == 1 and variant.random() < 0.3 else suggested
    return data


def _views(views: int, variant: random.Random) -> Any:
    """The view count as schema.org writes it: one counter, or a list beside other actions' counters, with the
    action as a URL or as a typed object."""
    action = "https://schema.org/ViewAction" if variant.random() < 0.5 else {"@type": "ViewAction"}
    counter = {"@type": "InteractionCounter", "interactionType": action, "userInteractionCount": views}
    if variant.random() < 0.5:
        return counter
    return [{"@type": "InteractionCounter", "interactionType": "https://schema.org/LikeAction",
             "userInteractionCount": views // 40}, counter]


def _breadcrumb(article: Article, canonical: str, base: str, node_id: str | None = None) -> dict[str, Any]:
    crumbs = [("Home", f"{base}/"), (article.department.label, f"{base}/questions"), (article.title, canonical)]
    data: dict[str, Any] = {"@type": "BreadcrumbList", "itemListElement": [
        {"@type": "ListItem", "position": k, "name": name, "item": url} for k, (name, url) in enumerate(crumbs, 1)]}
    return ({"@id": node_id} if node_id else {}) | data


def _jsonld_blocks(article: Article, canonical: str, base: str) -> list[str]:
    style, variant = article.style, article.variant
    question = _question_data(article, canonical, base)
    context = "http://schema.org" if variant.random() < 0.3 else "https://schema.org"
    if style == "yoast":
        graph: list[dict[str, Any]] = [
            {"@type": ["WebPage", "QAPage"], "@id": canonical, "url": canonical,
             "name": f"{article.title} - {SITE_NAME}", "isPartOf": {"@id": f"{base}/#website"},
             "breadcrumb": {"@id": f"{canonical}#breadcrumb"}, "mainEntity": {"@id": f"{canonical}#question"},
             "datePublished": article.asked.written()},
            {"@id": f"{canonical}#question"} | question,
            _breadcrumb(article, canonical, base, f"{canonical}#breadcrumb"),
            {"@type": "WebSite", "@id": f"{base}/#website", "url": f"{base}/", "name": SITE_NAME},
        ]
        if article.asker is not None:
            graph.append({"@type": "Person", "@id": f"{base}/#/schema/person/{slugify(article.asker)}",
                          "name": article.asker, "url": f"{base}/u/{slugify(article.asker)}"})
        return [_script({"@context": "https://schema.org", "@graph": graph})]
    page: dict[str, Any] = {"@context": context, "@type": "QAPage", "mainEntity": question}
    if style == "jsonld" and variant.random() < 0.3:
        page["mainEntity"] = [question]
    if style == "discourse":
        page["name"] = question["name"]
    if style == "medical":
        page["@type"] = ["MedicalWebPage", "QAPage"]
        page |= {"url": canonical, "lastReviewed": article.asked.moment.date().isoformat(),
                 "reviewedBy": _person(variant.choice(text.REVIEWERS), None, base, "Physician")}
        if article.breadcrumb:
            page["specialty"] = f"https://schema.org/{article.department.enumeration}"
    blocks = [_script(page)]
    if style == "jsonld" and article.breadcrumb:
        blocks.append(_script({"@context": context} | _breadcrumb(article, canonical, base)))
    return blocks


def _visible(article: Article, base: str) -> str:
    """The page as readers see it, for the JSON-LD styles: no microdata; Discourse's category badge."""
    badge = (f'<span class="badge-category__name">{escape(article.department.label)}</span>\n'
             if article.style == "discourse" else "")
    replies = "".join(f'<div class="answer" id="answer-{reply.number}"><p class="by">{escape(reply.author)}</p>'
                      f"{_paragraphs(reply.lines)}</div>\n" for reply in article.replies)
    return (f"<h1>{escape(article.title)}</h1>\n{badge}<div class=\"question\">{_paragraphs(article.question)}</div>\n"
            f'<section class="answers">\n{replies}</section>\n')


def _microdata(article: Article, canonical: str, base: str) -> str:
    """AnsPress (accepted answer first, marked `suggestedAnswer acceptedAnswer`, a microdata breadcrumb) or
    Question2Answer (the accepted answer where it was posted, marked `acceptedAnswer`; a category link)."""
    schema = "https://schema.org"
    anspress = article.style == "anspress"

    def person(name: str, path: str | None) -> str:
        inner = f'<span itemprop="name">{escape(name)}</span>'
        if path:
            inner = f'<a itemprop="url" href="{path}">{inner}</a>'
        return f'<span itemprop="author" itemscope itemtype="{schema}/Person">{inner}</span>'

    def answer(reply: Reply) -> str:
        if reply.accepted:
            prop = "suggestedAnswer acceptedAnswer" if anspress else "acceptedAnswer"
        else:
            prop = "suggestedAnswer"
        votes = "" if reply.upvotes is None else f'<span class="votes" itemprop="upvoteCount">{reply.upvotes}</span>'
        return (f'<div class="{"ap-answer" if anspress else "qa-a-list-item"}" id="answer-{reply.number}" '
                f'itemprop="{prop}" itemscope itemtype="{schema}/Answer">\n'
                f'{person(reply.author, reply.author_path)} <time itemprop="dateCreated" '
                f'datetime="{reply.stamp.written()}">{reply.stamp.day():%b %d, %Y}</time> {votes}\n'
                f'<div itemprop="text">{_paragraphs(reply.lines)}</div>\n'
                f'<a itemprop="url" href="{canonical}#answer-{reply.number}">link</a>\n</div>\n')

    asker = person(article.asker, f"/u/{slugify(article.asker)}") if article.asker else ""
    crumbs = (f'<ol itemscope itemtype="{schema}/BreadcrumbList">' + "".join(
        f'<li itemprop="itemListElement" itemscope itemtype="{schema}/ListItem"><a itemprop="item" href="{url}">'
        f'<span itemprop="name">{escape(name)}</span></a><meta itemprop="position" content="{k}"></li>'
        for k, (name, url) in enumerate([("Home", f"{base}/"), (article.department.label, f"{base}/questions"),
                                         (article.title, canonical)], 1)) + "</ol>\n") if anspress else (
        f'<a class="qa-category-link" href="/questions">{escape(article.department.label)}</a>\n')
    return (f'{crumbs}<div class="{"ap-q" if anspress else "qa-q-view"}" itemscope itemtype="{schema}/QAPage">\n'
            f'<div itemprop="mainEntity" itemscope itemtype="{schema}/Question">\n'
            f'<h1 itemprop="name">{escape(article.title)}</h1>\n{asker} '
            f'<time itemprop="dateCreated" datetime="{article.asked.written()}">'
            f"{article.asked.day():%b %d, %Y}</time>\n"
            f'<div itemprop="text">{_paragraphs(article.question)}</div>\n'
            f'<meta itemprop="answerCount" content="{len(article.replies)}">\n'
            f'<div class="answers">\n{"".join(map(answer, article.replies))}</div>\n</div>\n</div>\n')


def _render(article: Article, canonical: str, base: str, related: list[tuple[str, str]]) -> str:
    article = replace(article, variant=random.Random(article.variant_seed))  # the same bytes on every render
    related_html = "".join(f'<li><a href="{path}">{escape(title)}</a></li>' for path, title in related)
    tail = f'<aside><h2>Related questions</h2><ul class="related">{related_html}</ul></aside>\n' if related else ""
    if article.style in ("anspress", "q2a"):
        return _chrome(article.title, _microdata(article, canonical, base) + tail, canonical)
    blocks = _jsonld_blocks(article, canonical, base)
    if article.broken:
        blocks.insert(article.article_id % 2, _broken_script(article.broken, base))
    return _chrome(article.title, _visible(article, base) + tail, canonical, blocks)
