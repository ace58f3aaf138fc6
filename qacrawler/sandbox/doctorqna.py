"""A deterministic local mirror of doctorqna.com with the ground truth of every article.

Mirrored from what docs/sites/doctorqna.md knows of the real site: article pages at `/en/article/<id>` (ids of 4 to 6
digits, 1189 … 208862, rising with the ask date, 2000 … 2024), their reading order, labels and text
quirks, and the semantic layout. *Assumed*, because never seen on the real site: the home page `/en/`,
department listings `/en/department/<slug>?page=<k>`, FAQ pages `/en/faq/<dept>[/<topic>]`, the search
page, robots.txt, the sitemaps, and the legacy-table and generated-class article layouts. Crawlers and
parsers must treat those as one plausible shape, not as the real site's.

Planted for crawlers to cope with: about 2 % broken articles (truncated bodies, unanswered pages), and
about 3 % "orphan" articles missing from the sitemaps and listings but linked from another article's
Similar Q&A. Only ids, dates and departments live in memory; text is rebuilt from
`Dice(f"{seed}:{article_id}")` (a faster `random.Random`) on demand, so a 100,000-page site stays small.

For scheduled-run tests the site can change between two crawls (`revise`: new questions, edited answers)
and can play a redesign (`labels="renamed"`: the reader-visible labels reworded, the content unchanged).

For privacy tests (`pii=True`) about 10 % of the good articles carry contact details and identifiers in their
questions and some answers, beside dates, doses and ages that must survive masking (`sandbox/pii.py`);
`planted_pii` lists them; a share of their answers address the asker by name (`planted_names`). Off by
default, and then every page is byte for byte what it is without the option.

For robustness tests (`hostile=True`) some articles carry charset labels of no text encoding, listings carry
malformed links before their article links, and they link three trick articles (`sandbox/hostile_pages.py`);
`hostile.expectations()` says what each must become. Off by default too.
"""

from __future__ import annotations

import bisect
import dataclasses
import functools
import math
import random
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from html import escape
from types import ModuleType
from typing import Any

from qacrawler.page.sites import doctorqna
from qacrawler.sandbox import doctorqna_text
from qacrawler.sandbox.doctorqna_layouts import (
    LABELS,
    LAYOUTS,
    ArticlePage,
    FaqLink,
    Labels,
    Reply,
    SimilarEntry,
    chrome_page,
    render_article,
)
from qacrawler.sandbox.doctorqna_text import Core, Dice, cumulative, excerpt, plan_revision, slugify
from qacrawler.sandbox.hostile_pages import CHARSET_TRICKS, HostilePages
from qacrawler.sandbox.pii import NAMED_SHARE, Planting, addresses, name_asker, plant, planted_count

FIRST_ID, LAST_ID = 1189, 208862
MAX_ID = 999999  # ids of revisions' new questions stay within the real site's 6 digits
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2024, 12, 31)
LISTING_PAGE_SIZE = 20
SITEMAP_SIZE = 500
HOSTILE_TRICK_IDS = (1100, 1101, 1102)  # below FIRST_ID: ids the site never uses
DEFAULT_BASE_URL = "http://127.0.0.1"

_HTML = "text/html; charset=utf-8"
_XML = "application/xml; charset=utf-8"
_TEXT = "text/plain; charset=utf-8"
_SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
_XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'
_SIMILAR_COUNT_WEIGHTS = cumulative((10, 15, 20, 25, 30))  # 0 … 4 entries
_REPLY_DELAYS, _REPLY_DELAY_WEIGHTS = (0, 1, 2, 3), (85, 8, 5, 2)  # days from question to reply

_SITEMAP_PATH = re.compile(r"/sitemaps/articles-([1-9][0-9]*)\.xml")

Response = tuple[int, dict[str, str], bytes]


def _response(status: int, content_type: str, text: str, **headers: str) -> Response:
    body = text.encode("utf-8")
    return status, {"Content-Type": content_type, "Content-Length": str(len(body)), **headers}, body


def _link(path: str, text: str) -> str:
    return f'<a href="{escape(path)}">{escape(text, quote=False)}</a>'


LASTMOD_PRECISIONS = ("seconds", "date")


def _instant(moment: date | datetime) -> datetime:
    return moment if isinstance(moment, datetime) else datetime.combine(moment, time(), UTC)


@dataclass(frozen=True, slots=True)
class Revision:
    """What one `DoctorQnaSite.revise` changed, so a test can check the next crawl against it."""

    number: int
    at: datetime
    added_ids: list[int]
    edited_ids: list[int]


@dataclass(frozen=True, slots=True)
class _Edit:
    title: str
    updates: tuple[str, ...]  # paragraphs appended to the answer, oldest first
    at: datetime


def _excerpt_keeps_spans_whole(index: int, line: str, spans: list[str]) -> bool:
    """Other pages show the first question paragraph cut to a Similar Q&A excerpt: no planted span may
    straddle the cut, or a part of it would show there where no pattern can recognise it."""
    if index:
        return True
    shown = len(excerpt(line)) - len("...")
    for span in spans:
        start = line.find(span)
        if start != -1 and start < shown < start + len(span):
            return False
    return True


def _broken_per_kind(pages: int) -> int:
    """About 1 % of each kind, with a floor so small test sites still show both."""
    share = round(pages * 0.01)
    if pages >= 100:
        return max(2, share)
    if pages >= 20:
        return max(1, share)
    return share


class DoctorQnaSite:
    """Every page of the mirror, by path; deterministic for (pages, seed, labels, pii, hostile) and the revisions made.

    A mirror of another language of the same template (AdoctorSite) is this class with another text source
    (``TEXT``: departments and the writers of an article's text) and label sets (``LABEL_SETS``, built from
    that site's parser table); ``NOT_FOUND`` are the page titles of a missing article and a missing page."""

    TEXT: ModuleType = doctorqna_text
    LABEL_SETS: dict[str, Labels] = LABELS
    NOT_FOUND: tuple[str, str] = (doctorqna.LABELS.not_found[0], doctorqna.LABELS.not_found[1])
    LANGUAGE = doctorqna.LANGUAGE
    PII_LANGUAGE = "en"

    def __init__(self, pages: int = 1200, seed: int = 7, *, labels: str = "standard", pii: bool = False,
                 hostile: bool = False, lastmod: str = "seconds", clock_offset: timedelta = timedelta(0)):
        """`hostile`: serve the hostile-content tricks (qacrawler.sandbox.hostile_pages); `lastmod`: the
        precision of the sitemap lastmod an edit stamps, `seconds` (with the UTC offset) or `date` (as most
        real sitemaps); `clock_offset`: how far the site's clock is from true time (negative: behind), applied
        to those stamps."""
        if not 1 <= pages <= LAST_ID - FIRST_ID + 1:
            raise ValueError(f"pages must be between 1 and {LAST_ID - FIRST_ID + 1}, not {pages}")
        if labels not in self.LABEL_SETS:
            raise ValueError(f"labels must be one of {', '.join(self.LABEL_SETS)}, not {labels!r}")
        if lastmod not in LASTMOD_PRECISIONS:
            raise ValueError(f"lastmod must be one of {', '.join(LASTMOD_PRECISIONS)}, not {lastmod!r}")
        self.pages, self.seed, self.labels, self.pii = pages, seed, labels, pii
        self.lastmod_precision, self.clock_offset = lastmod, clock_offset
        self.wording = self.LABEL_SETS[labels]
        prefix = self.wording.prefix
        self._article_path = re.compile(rf"{re.escape(prefix)}/article/([1-9][0-9]*)")
        self._department_path = re.compile(rf"{re.escape(prefix)}/department/([a-z0-9-]+)")
        self._faq_path_pattern = re.compile(rf"{re.escape(prefix)}/faq/([a-z0-9-]+)(?:/([a-z0-9-]+))?")
        self._department_weights = [department.weight for department in self.TEXT.DEPARTMENTS]
        rng = random.Random(f"{seed}:site")
        self._ids = sorted(rng.sample(range(FIRST_ID, LAST_ID + 1), pages))
        self._departments = bytearray(
            rng.choices(range(len(self.TEXT.DEPARTMENTS)), self._department_weights, k=pages))
        self._reply_delays = bytearray(rng.choices(_REPLY_DELAYS, _REPLY_DELAY_WEIGHTS, k=pages))

        per_kind = _broken_per_kind(pages)
        broken = rng.sample(self._ids, 2 * per_kind)
        self._broken = dict.fromkeys(broken[:per_kind], "truncated") | dict.fromkeys(broken[per_kind:], "reply_missing")
        # Similar Q&A draws from these two pools: frozen, so a revision never changes an existing page.
        self._good = tuple(article_id for article_id in self._ids if article_id not in self._broken)

        orphan_count = round(0.03 * len(self._good))
        if pages >= 20:
            orphan_count = max(1, orphan_count)
        orphans = rng.sample(self._good, orphan_count)
        self._orphans = frozenset(orphans)
        reachable_good = [article_id for article_id in self._good if article_id not in self._orphans]
        self._orphan_for_linker = dict(zip(rng.sample(reachable_good, orphan_count), orphans, strict=True))
        self._listed = [article_id for article_id in self._ids if article_id not in self._orphans]
        # Contact details go into a fixed share of the good articles, drawn from a stream of their own.
        planted = random.Random(f"{seed}:pii").sample(self._good, planted_count(len(self._good))) if pii else []
        self._pii_ordinals = {article_id: k for k, article_id in enumerate(sorted(planted))}

        good_by_department: list[list[int]] = [[] for _ in self.TEXT.DEPARTMENTS]
        self._listed_by_department: list[list[int]] = [[] for _ in self.TEXT.DEPARTMENTS]  # newest first
        for article_id, department in zip(reversed(self._ids), reversed(self._departments), strict=True):
            if article_id not in self._broken:
                good_by_department[department].append(article_id)
            if article_id not in self._orphans:
                self._listed_by_department[department].append(article_id)
        self._good_by_department = tuple(map(tuple, good_by_department))
        disguised = [article_id for article_id in self._listed if article_id not in self._broken][: len(CHARSET_TRICKS)]
        self.hostile = (HostilePages(f"{prefix}/article/{{id}}", "utf-8", disguised, HOSTILE_TRICK_IDS)
                        if hostile else None)
        self._department_by_slug = {department.slug: i for i, department in enumerate(self.TEXT.DEPARTMENTS)}
        # Listings and Similar Q&A reuse other articles' titles and excerpts: keep the recent ones.
        self._core = functools.lru_cache(maxsize=4096)(self._write_core)
        self._added_ask_dates: dict[int, date] = {}
        self._edits: dict[int, _Edit] = {}
        self._revisions: list[Revision] = []

    # --- what tests and crawl checks ask -------------------------------------------------------

    def article_ids(self) -> list[int]:
        return list(self._ids)

    def malformable_paths(self) -> list[str]:
        """Articles a fault plan may garble for good: all but the orphans' linkers, so no page becomes unreachable."""
        return [self.article_path(article_id) for article_id in self._ids if article_id not in self._orphan_for_linker]

    def broken(self) -> dict[int, str]:
        return dict(self._broken)

    def orphans(self) -> list[int]:
        """Good articles only reachable through another article's Similar Q&A."""
        return sorted(self._orphans)

    def planted_pii(self, article_id: int) -> list[tuple[str, str]]:
        """The identifiers planted in this article as (kind, text): kind is the placeholder privacy masking
        writes (EMAIL, PHONE, ID, CONTACT), text the exact span it replaces, as `truth()` shows it. Empty for
        an article without any (all of them unless `pii=True`); only articles of the first build carry some."""
        planting = self._planting_of(article_id)
        return list(planting.pii) if planting else []

    def planted_lookalikes(self, article_id: int) -> list[tuple[str, str]]:
        """The dates, doses, ages, blood pressures, lab values and ICD codes written beside the planted
        identifiers, as (kind, text): masking must leave each text as it is."""
        planting = self._planting_of(article_id)
        return list(planting.lookalikes) if planting else []

    def asker_name(self, article_id: int) -> str:
        """The name the asker gave, broken articles included (what a page cut short still shows of it)."""
        return self._core(article_id).asker_name

    def planted_names(self, article_id: int) -> list[str]:
        """The texts in this article's answer that name its asker, as written: a greeting that happens to
        address them (Dear Ms. Lin: to Ms. Lin or Lin Meiling) and, with `pii=True`, the paragraph a share of
        the answers add (sandbox/pii.py)."""
        core = self._core(article_id)
        greeted = [name for name in self.TEXT.GREETING_NAMES
                   if name in core.answer[0] and addresses(name, core.asker_name)]
        naming = self._naming(article_id, core)
        return greeted + (list(naming[1]) if naming else [])

    def pii_articles(self) -> list[int]:
        """The articles carrying planted identifiers, ascending."""
        return list(self._pii_ordinals)

    def article_path(self, article_id: int) -> str:
        return f"{self.wording.prefix}/article/{article_id}"

    def layout(self, article_id: int) -> str:
        self._position(article_id)
        return self._markup(article_id)[0]

    def truth(self, article_id: int) -> dict[str, Any]:
        """The record fields a parser must extract from this good article (docs/sites/doctorqna.md); URLs are paths."""
        if article_id in self._broken:
            raise KeyError(f"article {article_id} is broken ({self._broken[article_id]}): no truth")
        page = self._page(article_id)
        assert page.reply is not None
        return {
            "source_id": str(article_id),
            "language": self.LANGUAGE,
            "title": page.title,
            "question": "\n".join(page.question),
            "asker": {"name": page.asker_name, "gender": page.gender, "age_min": page.age_min, "age_max": page.age_max},
            "ask_date": page.ask_date,
            "reply_date": page.reply.date,
            "department": page.reply.department,
            "doctor": {"name": page.reply.doctor, "hospital": None},
            "answer": "\n".join(page.reply.answer),
            "more_info": "\n".join(line.text for line in page.more_info),
            "similar_questions": [
                {
                    "url": entry.path,
                    "title": entry.title,
                    "doctor_name": entry.doctor,
                    "department": entry.department,
                    "question_excerpt": entry.question_excerpt,
                    "answer_excerpt": entry.answer_excerpt,
                }
                for entry in page.similar
            ],
            "related_faqs": [{"topic": faq.topic, "department": faq.department, "url": faq.path} for faq in page.faqs],
            "categories": [],
            "view_count": None,
            "path": page.path,
        }

    # --- changes between crawls ---------------------------------------------------------------

    def revise(self, added: int, edited: int | list[int], at: datetime) -> Revision:
        """Change the site as its editors would between two crawls, at the aware datetime `at`.

        `added` new good questions get ids above the current maximum, ask dates in the week up to `at`
        (after the newest question's), and places in the sitemaps and listings. `edited` answered, listed
        articles (that many drawn at random, or the ids given) get an "Update: …" paragraph after their answer,
        about a third a new title too, and `at`
        as their sitemap lastmod. Similar Q&A elsewhere keeps a retitled article's first title, so every
        article not edited keeps its bytes. Deterministic for (seed, revision number, arguments); revise
        between crawls, not while a server is answering.
        """
        newest = self._ask_date(self._ids[-1])
        editable = [article_id for article_id in self._listed if article_id not in self._broken]
        number = len(self._revisions) + 1
        rng, edited_ids, added_ids = plan_revision(
            seed=self.seed, number=number, previous_at=self._revisions[-1].at if self._revisions else None, at=at,
            ids=self._ids, editable=editable, what="answered, listed articles", added=added, edited=edited,
            max_id=MAX_ID)
        if at.date() < newest:
            raise ValueError(f"at must not precede the newest question, asked {newest.isoformat()}")

        for article_id in edited_ids:
            self._edit(article_id, rng, at)
        first_day = min(at.date(), max(newest + timedelta(days=1), at.date() - timedelta(days=6)))
        departments = rng.choices(range(len(self.TEXT.DEPARTMENTS)), self._department_weights, k=added)
        delays = rng.choices(_REPLY_DELAYS, _REPLY_DELAY_WEIGHTS, k=added)
        for k, article_id in enumerate(added_ids):
            asked = first_day + timedelta(days=(at.date() - first_day).days * k // max(1, added - 1))
            self._append(article_id, departments[k], asked, min(delays[k], (at.date() - asked).days))
        revision = Revision(number, at, added_ids, edited_ids)
        self._revisions.append(revision)
        return revision

    def _edit(self, article_id: int, rng: Dice, at: datetime) -> None:
        core, previous = self._core(article_id), self._edits.get(article_id)
        title = f"{core.title} (updated)" if rng.random() < 1 / 3 else self._title(article_id)
        update = self.TEXT.write_update(rng, self.TEXT.DEPARTMENTS[self._department_index(article_id)], core)
        self._edits[article_id] = _Edit(title, (*(previous.updates if previous else ()), update), at)

    def _append(self, article_id: int, department: int, asked: date, reply_delay: int) -> None:
        """A new good, listed article; the caller keeps ids ascending and its reply no later than the revision."""
        self._added_ask_dates[article_id] = asked
        self._ids.append(article_id)
        self._departments.append(department)
        self._reply_delays.append(reply_delay)
        self._listed.append(article_id)
        self._listed_by_department[department].insert(0, article_id)
        self.pages = len(self._ids)

    # --- HTTP --------------------------------------------------------------------------------

    def render(
        self, path: str, query: dict[str, list[str]] | None = None, *, base_url: str = DEFAULT_BASE_URL
    ) -> Response:
        """Status, headers and body for any URL. `base_url` (scheme and host the client used) only
        shows in robots.txt and the sitemaps, whose URLs must be absolute."""
        query = query or {}
        base_url = base_url.rstrip("/")
        prefix = self.wording.prefix
        if match := self._article_path.fullmatch(path):
            if self.hostile is not None and (hostile := self.hostile.article(match[1])) is not None:
                return hostile
            return self._article_response(int(match[1]))
        if match := self._department_path.fullmatch(path):
            return self._listing(match[1], query)
        if match := self._faq_path_pattern.fullmatch(path):
            return self._faq(match[1], match[2])
        if match := _SITEMAP_PATH.fullmatch(path):
            return self._sitemap(int(match[1]), base_url)
        if path == "/sitemap.xml":
            return self._sitemap_index(base_url)
        if path == "/robots.txt":
            robots = f"User-agent: *\nDisallow: {prefix}/search\nDisallow: /admin/\n\nSitemap: {base_url}/sitemap.xml\n"
            return _response(200, _TEXT, robots)
        if path == f"{prefix}/":
            return self._home()
        if prefix and path in ("/", prefix):
            moved = chrome_page("Moved", f'<p><a href="{prefix}/">{self.wording.home}</a></p>\n', self.wording)
            return _response(301, _HTML, moved, Location=f"{prefix}/")
        if path == f"{prefix}/search":
            return self._search(query.get("q", [""])[0])
        return self._not_found(self.NOT_FOUND[1])

    # --- the article model ---------------------------------------------------------------------

    def _known(self, article_id: int) -> bool:
        position = bisect.bisect_left(self._ids, article_id)
        return position < len(self._ids) and self._ids[position] == article_id

    def _position(self, article_id: int) -> int:
        if not self._known(article_id):
            raise KeyError(f"no article {article_id}")
        return bisect.bisect_left(self._ids, article_id)

    def _department_index(self, article_id: int) -> int:
        return self._departments[self._position(article_id)]

    def _ask_date(self, article_id: int) -> date:
        if (asked := self._added_ask_dates.get(article_id)) is not None:
            return asked
        span = (LAST_DAY - FIRST_DAY).days
        return FIRST_DAY + timedelta(days=(article_id - FIRST_ID) * span // (LAST_ID - FIRST_ID))

    def _reply_date(self, article_id: int) -> date:
        return self._ask_date(article_id) + timedelta(days=self._reply_delays[self._position(article_id)])

    def _markup(self, article_id: int) -> tuple[str, random.Random]:
        """Layout and decoration come from their own stream so they never shift the text."""
        rng = random.Random(f"{self.seed}:{article_id}:markup")
        return rng.choice(LAYOUTS), rng

    def _write_core(self, article_id: int) -> Core:
        department = self.TEXT.DEPARTMENTS[self._department_index(article_id)]
        core: Core = self.TEXT.write_core(Dice(f"{self.seed}:{article_id}"), department)
        planting = self._planting(article_id, core)
        if planting is not None:
            core = dataclasses.replace(core, question=planting.question, answer=planting.answer or core.answer)
        naming = self._naming(article_id, core)
        return core if naming is None else dataclasses.replace(core, answer=naming[0])

    def _naming(self, article_id: int, core: Core) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
        """A share of the answers of the articles `pii` plants in address the asker by name (sandbox/pii.py),
        from a stream of their own: every other page stays as it is without `pii`."""
        rng = Dice(f"{self.seed}:{article_id}:name")
        if article_id not in self._pii_ordinals or rng.random() >= NAMED_SHARE:
            return None
        return name_asker(rng, self.PII_LANGUAGE, core.asker_name, core.gender, core.answer)

    def _planting(self, article_id: int, core: Core) -> Planting | None:
        """What `pii` writes into this article's question and answer, from its own stream; None for most."""
        ordinal = self._pii_ordinals.get(article_id)
        if ordinal is None:
            return None
        return plant(Dice(f"{self.seed}:{article_id}:pii"), self.PII_LANGUAGE, ordinal, core.question, core.answer,
                     ages=None if core.age_max is None else (core.age_min, core.age_max),
                     fits=_excerpt_keeps_spans_whole)

    def _planting_of(self, article_id: int) -> Planting | None:
        department = self.TEXT.DEPARTMENTS[self._department_index(article_id)]  # KeyError for an unknown article
        if article_id not in self._pii_ordinals:
            return None
        return self._planting(article_id, self.TEXT.write_core(Dice(f"{self.seed}:{article_id}"), department))

    def _similar_targets(self, rng: Dice, article_id: int, department_index: int) -> list[int]:
        wanted = rng.weighted(range(5), _SIMILAR_COUNT_WEIGHTS)
        targets: list[int] = []
        for _ in range(3 * wanted):  # bounded: a tiny site may not have enough other good articles
            if len(targets) == wanted:
                break
            pool = self._good_by_department[department_index] if rng.random() < 0.5 else self._good
            if not pool:
                continue
            target = rng.pick(pool)
            if target != article_id and target not in targets:
                targets.append(target)
        orphan = self._orphan_for_linker.get(article_id)
        if orphan is not None and orphan not in targets:
            if len(targets) == 4:
                targets[rng.between(0, 3)] = orphan
            else:
                targets.insert(rng.between(0, len(targets)), orphan)
        return targets

    def _similar_entry(self, article_id: int) -> SimilarEntry:
        core = self._core(article_id)
        department = self.TEXT.DEPARTMENTS[self._department_index(article_id)]
        return SimilarEntry(
            self.article_path(article_id),
            core.title,
            excerpt(core.question[0]),
            core.doctor,
            department.name,
            self.TEXT.answer_excerpt(core.answer[0]),
        )

    def _title(self, article_id: int) -> str:
        edit = self._edits.get(article_id)
        return edit.title if edit else self._core(article_id).title

    def _page(self, article_id: int) -> ArticlePage:
        core = self._core(article_id)
        department_index = self._department_index(article_id)
        department = self.TEXT.DEPARTMENTS[department_index]
        extras = Dice(core.extras_seed)
        more_info = self.TEXT.write_more_info(extras, department, core)
        similar = tuple(self._similar_entry(t) for t in self._similar_targets(extras, article_id, department_index))
        faqs = tuple(
            FaqLink(topic, department.name, self._faq_path(department, topic))
            for topic in self.TEXT.related_faq_topics(extras, department)
        )
        edit = self._edits.get(article_id)
        answer = core.answer + edit.updates if edit else core.answer
        answered = self._broken.get(article_id) != "reply_missing"
        reply = Reply(core.doctor, department.name, answer, self._reply_date(article_id)) if answered else None
        return ArticlePage(
            path=self.article_path(article_id),
            heading=f"{core.seo_title} - {department.name}",
            title=self._title(article_id),
            question=core.question,
            asker_name=core.asker_name,
            age_min=core.age_min,
            age_max=core.age_max,
            gender=core.gender,
            ask_date=self._ask_date(article_id),
            reply=reply,
            more_info=more_info,
            similar=similar,
            faqs=faqs,
        )

    # --- pages ---------------------------------------------------------------------------------

    def _article_response(self, article_id: int) -> Response:
        if not self._known(article_id):
            return self._not_found(self.NOT_FOUND[0])
        layout, rng = self._markup(article_id)
        rendered = render_article(self._page(article_id), layout, rng, self.wording)
        html = rendered.html
        if self._broken.get(article_id) == "truncated":
            assert rendered.reply_date_at is not None
            html = html[: rng.randrange(rendered.question_at, rendered.reply_date_at)]
        response = _response(200, _HTML, html)
        return self.hostile.disguise(article_id, response) if self.hostile is not None else response

    def _not_found(self, title: str) -> Response:
        body = (
            "<p>The page you are looking for does not exist or has been removed.</p>\n"
            f'<p><a href="{self.wording.prefix}/">{self.wording.home}</a></p>\n'
        )
        return _response(404, _HTML, chrome_page(title, body, self.wording))

    def _faq_path(self, department: Any, topic: str | None) -> str:
        topic_part = f"/{self._topic_slug(department, topic)}" if topic else ""
        return f"{self.wording.prefix}/faq/{department.slug}{topic_part}"

    def _topic_slug(self, department: Any, topic: str) -> str:
        return slugify(topic)

    def _article_list(self, article_ids: list[int]) -> str:
        def item(article_id: int) -> str:
            asked = self._ask_date(article_id)
            title = _link(self.article_path(article_id), self._title(article_id))
            return f'<li>{title} <time datetime="{asked.isoformat()}">{asked:%Y/%m/%d}</time></li>\n'

        return f'<ul class="articles">\n{"".join(map(item, article_ids))}</ul>\n'

    def _home(self) -> Response:
        prefix, departments_of_text = self.wording.prefix, self.TEXT.DEPARTMENTS
        departments = "".join(
            f"<li>{_link(f'{prefix}/department/{department.slug}', department.name)} ({len(listed)} questions)</li>\n"
            for department, listed in zip(departments_of_text, self._listed_by_department, strict=True)
        )
        faqs = "".join(
            f"<li>{_link(self._faq_path(department, None), f'{department.name} FAQ')}</li>\n"
            for department in departments_of_text
        )
        body = (
            f'<h2>Departments</h2>\n<ul class="departments">\n{departments}</ul>\n'
            f"<h2>Frequently asked</h2>\n<ul>\n{faqs}</ul>\n"
            f'<p><a href="{prefix}/search?q=">Search all questions</a></p>\n'
        )
        return _response(200, _HTML, chrome_page("Ask a doctor: questions by department", body, self.wording))

    def _listing(self, slug: str, query: dict[str, list[str]]) -> Response:
        department_index = self._department_by_slug.get(slug)
        requested = query.get("page", ["1"])[0]
        if department_index is None or not re.fullmatch(r"[0-9]+", requested):
            return self._not_found(self.NOT_FOUND[1])
        department, listed = self.TEXT.DEPARTMENTS[department_index], self._listed_by_department[department_index]
        page_number, last_page = int(requested), max(1, math.ceil(len(listed) / LISTING_PAGE_SIZE))
        if not 1 <= page_number <= last_page:
            return self._not_found(self.NOT_FOUND[1])

        def page_link(number: int, text: str) -> str:
            suffix = f"?page={number}" if number > 1 else ""
            return _link(f"{self.wording.prefix}/department/{department.slug}{suffix}", text)

        start = (page_number - 1) * LISTING_PAGE_SIZE
        shown = sorted({1, last_page, *range(max(1, page_number - 3), min(last_page, page_number + 3) + 1)})
        pagination = [page_link(page_number - 1, "‹ Prev")] if page_number > 1 else []
        pagination += [
            f'<span class="current">{number}</span>' if number == page_number else page_link(number, str(number))
            for number in shown
        ]
        if page_number < last_page:
            pagination.append(page_link(page_number + 1, "Next ›"))
        body = (
            f"<p>Questions answered by {escape(department.name)} doctors, newest first. "
            f'<a href="{self.wording.prefix}/search?q={slugify(department.name)}">Search this department</a></p>\n'
            + (self.hostile.links_html(with_big_href=department_index == 0 and page_number == 1)
               if self.hostile else "")
            + self._article_list(listed[start : start + LISTING_PAGE_SIZE])
            + f'<div class="pagination">{" ".join(pagination)}</div>\n'
        )
        return _response(200, _HTML, chrome_page(department.name, body, self.wording))

    def _faq(self, slug: str, topic_slug: str | None) -> Response:
        department_index = self._department_by_slug.get(slug)
        if department_index is None:
            return self._not_found(self.NOT_FOUND[1])
        department = self.TEXT.DEPARTMENTS[department_index]
        topics = {self._topic_slug(department, topic): topic for topic in department.faq_topics}
        if topic_slug is not None and topic_slug not in topics:
            return self._not_found(self.NOT_FOUND[1])
        listed = self._listed_by_department[department_index]
        rng = random.Random(f"{self.seed}:faq:{slug}:{topic_slug or ''}")
        articles = self._article_list(rng.sample(listed, min(8, len(listed))))
        if topic_slug is not None:
            title = f"{topics[topic_slug]} ({department.name})"
            return _response(200, _HTML, chrome_page(title, articles, self.wording))
        topic_links = "".join(
            f"<li>{_link(self._faq_path(department, topic), topic)}</li>\n" for topic in department.faq_topics
        )
        body = f"<h2>Topics</h2>\n<ul>\n{topic_links}</ul>\n<h2>Questions</h2>\n{articles}"
        return _response(200, _HTML, chrome_page(f"{department.name} FAQ", body, self.wording))

    def _search(self, terms: str) -> Response:
        body = f"<p>No results for “{escape(terms, quote=False)}”.</p>\n"
        return _response(200, _HTML, chrome_page(self.wording.search, body, self.wording))

    def _sitemap_chunks(self) -> list[list[int]]:
        return [self._listed[start : start + SITEMAP_SIZE] for start in range(0, len(self._listed), SITEMAP_SIZE)]

    def _lastmod(self, article_id: int) -> date | datetime:
        """When the page last changed: an edit, its reply, or its question for an unanswered page."""
        if (edit := self._edits.get(article_id)) is not None:
            return edit.at
        if self._broken.get(article_id) == "reply_missing":
            return self._ask_date(article_id)
        return self._reply_date(article_id)

    def _w3c(self, moment: date | datetime) -> str:
        """A sitemap lastmod: a date, or the moment of an edit as the site's clock and precision write it."""
        if not isinstance(moment, datetime):
            return moment.isoformat()
        stamped = moment + self.clock_offset
        return stamped.date().isoformat() if self.lastmod_precision == "date" else stamped.isoformat(timespec="seconds")

    def _sitemap_index(self, base_url: str) -> Response:
        base = escape(base_url, quote=False)
        entries = "".join(
            f"<sitemap><loc>{base}/sitemaps/articles-{k}.xml</loc>"
            f"<lastmod>{self._w3c(max(map(self._lastmod, chunk), key=_instant))}</lastmod></sitemap>\n"
            for k, chunk in enumerate(self._sitemap_chunks(), 1)
        )
        xml = f'{_XML_DECLARATION}<sitemapindex xmlns="{_SITEMAP_NS}">\n{entries}</sitemapindex>\n'
        return _response(200, _XML, xml)

    def _sitemap(self, k: int, base_url: str) -> Response:
        chunks = self._sitemap_chunks()
        if k > len(chunks):
            return self._not_found(self.NOT_FOUND[1])
        base = escape(base_url, quote=False)
        entries = "".join(
            f"<url><loc>{base}{self.article_path(article_id)}</loc>"
            f"<lastmod>{self._w3c(self._lastmod(article_id))}</lastmod></url>\n"
            for article_id in chunks[k - 1]
        )
        xml = f'{_XML_DECLARATION}<urlset xmlns="{_SITEMAP_NS}">\n{entries}</urlset>\n'
        return _response(200, _XML, xml)
