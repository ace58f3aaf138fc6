"""A deterministic local mirror of doctorqna.com with the ground truth of every article.

Mirrored from what SITES.md knows of the real site: article pages at `/en/article/<id>` (ids of 4 to 6
digits, 1189 … 208862, rising with the ask date, 2000 … 2024), their reading order, labels and text
quirks, and the semantic layout. *Assumed*, because never seen on the real site: the home page `/en/`,
department listings `/en/department/<slug>?page=<k>`, FAQ pages `/en/faq/<dept>[/<topic>]`, the search
page, robots.txt, the sitemaps, and the legacy-table and generated-class article layouts. Crawlers and
parsers must treat those as one plausible shape, not as the real site's.

Planted for crawlers to cope with: about 2 % broken articles (truncated bodies, unanswered pages), and
about 3 % "orphan" articles missing from the sitemaps and listings but linked from another article's
Similar Q&A. Only ids, dates and departments live in memory; text is rebuilt from
`Dice(f"{seed}:{article_id}")` (a faster `random.Random`) on demand, so a 100,000-page site stays small.
"""

from __future__ import annotations

import bisect
import functools
import math
import random
import re
from datetime import date, timedelta
from html import escape
from typing import Any

from qacrawler.sandbox.doctorqna_layouts import (
    LAYOUTS,
    ArticlePage,
    FaqLink,
    Reply,
    SimilarEntry,
    chrome_page,
    render_article,
)
from qacrawler.sandbox.doctorqna_text import (
    DEPARTMENTS,
    Core,
    Department,
    Dice,
    answer_excerpt,
    cumulative,
    excerpt,
    related_faq_topics,
    slugify,
    write_core,
    write_more_info,
)

FIRST_ID, LAST_ID = 1189, 208862
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2024, 12, 31)
LISTING_PAGE_SIZE = 20
SITEMAP_SIZE = 500
DEFAULT_BASE_URL = "http://127.0.0.1"

_HTML = "text/html; charset=utf-8"
_XML = "application/xml; charset=utf-8"
_TEXT = "text/plain; charset=utf-8"
_SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
_XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'
_SIMILAR_COUNT_WEIGHTS = cumulative((10, 15, 20, 25, 30))  # 0 … 4 entries

_ARTICLE_PATH = re.compile(r"/en/article/([1-9][0-9]*)")
_DEPARTMENT_PATH = re.compile(r"/en/department/([a-z0-9-]+)")
_FAQ_PATH = re.compile(r"/en/faq/([a-z0-9-]+)(?:/([a-z0-9-]+))?")
_SITEMAP_PATH = re.compile(r"/sitemaps/articles-([1-9][0-9]*)\.xml")

Response = tuple[int, dict[str, str], bytes]


def _response(status: int, content_type: str, text: str, **headers: str) -> Response:
    body = text.encode("utf-8")
    return status, {"Content-Type": content_type, "Content-Length": str(len(body)), **headers}, body


def _link(path: str, text: str) -> str:
    return f'<a href="{escape(path)}">{escape(text, quote=False)}</a>'


def _faq_path(department: Department, topic: str | None) -> str:
    return f"/en/faq/{department.slug}" + (f"/{slugify(topic)}" if topic else "")


def _broken_per_kind(pages: int) -> int:
    """About 1 % of each kind, with a floor so small test sites still show both."""
    share = round(pages * 0.01)
    if pages >= 100:
        return max(2, share)
    if pages >= 20:
        return max(1, share)
    return share


class DoctorQnaSite:
    """Every page of the mirror, by path; deterministic for (pages, seed)."""

    def __init__(self, pages: int = 1200, seed: int = 7):
        if not 1 <= pages <= LAST_ID - FIRST_ID + 1:
            raise ValueError(f"pages must be between 1 and {LAST_ID - FIRST_ID + 1}, not {pages}")
        self.pages, self.seed = pages, seed
        rng = random.Random(f"{seed}:site")
        self._ids = sorted(rng.sample(range(FIRST_ID, LAST_ID + 1), pages))
        weights = [department.weight for department in DEPARTMENTS]
        self._departments = bytes(rng.choices(range(len(DEPARTMENTS)), weights, k=pages))
        self._reply_delays = bytes(rng.choices((0, 1, 2, 3), (85, 8, 5, 2), k=pages))

        per_kind = _broken_per_kind(pages)
        broken = rng.sample(self._ids, 2 * per_kind)
        self._broken = dict.fromkeys(broken[:per_kind], "truncated") | dict.fromkeys(broken[per_kind:], "reply_missing")
        self._good = [article_id for article_id in self._ids if article_id not in self._broken]

        orphan_count = round(0.03 * len(self._good))
        if pages >= 20:
            orphan_count = max(1, orphan_count)
        orphans = rng.sample(self._good, orphan_count)
        self._orphans = frozenset(orphans)
        reachable_good = [article_id for article_id in self._good if article_id not in self._orphans]
        self._orphan_for_linker = dict(zip(rng.sample(reachable_good, orphan_count), orphans))
        self._listed = [article_id for article_id in self._ids if article_id not in self._orphans]

        self._good_by_department: list[list[int]] = [[] for _ in DEPARTMENTS]
        self._listed_by_department: list[list[int]] = [[] for _ in DEPARTMENTS]  # newest first
        for article_id, department in zip(reversed(self._ids), reversed(self._departments)):
            if article_id not in self._broken:
                self._good_by_department[department].append(article_id)
            if article_id not in self._orphans:
                self._listed_by_department[department].append(article_id)
        self._department_by_slug = {department.slug: i for i, department in enumerate(DEPARTMENTS)}
        # Listings and Similar Q&A reuse other articles' titles and excerpts: keep the recent ones.
        self._core = functools.lru_cache(maxsize=4096)(self._write_core)

    # --- what tests and crawl checks ask -------------------------------------------------------

    def article_ids(self) -> list[int]:
        return list(self._ids)

    def broken(self) -> dict[int, str]:
        return dict(self._broken)

    def orphans(self) -> list[int]:
        """Good articles only reachable through another article's Similar Q&A."""
        return sorted(self._orphans)

    def layout(self, article_id: int) -> str:
        self._position(article_id)
        return self._markup(article_id)[0]

    def truth(self, article_id: int) -> dict[str, Any]:
        """The record fields a parser must extract from this good article (PAGE_CONTRACT.md); URLs are paths."""
        if article_id in self._broken:
            raise KeyError(f"article {article_id} is broken ({self._broken[article_id]}): no truth")
        page = self._page(article_id)
        assert page.reply is not None
        return {
            "source_id": str(article_id),
            "language": "en",
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

    # --- HTTP --------------------------------------------------------------------------------

    def render(
        self, path: str, query: dict[str, list[str]] | None = None, *, base_url: str = DEFAULT_BASE_URL
    ) -> Response:
        """Status, headers and body for any URL. `base_url` (scheme and host the client used) only
        shows in robots.txt and the sitemaps, whose URLs must be absolute."""
        query = query or {}
        base_url = base_url.rstrip("/")
        if match := _ARTICLE_PATH.fullmatch(path):
            return self._article_response(int(match[1]))
        if match := _DEPARTMENT_PATH.fullmatch(path):
            return self._listing(match[1], query)
        if match := _FAQ_PATH.fullmatch(path):
            return self._faq(match[1], match[2])
        if match := _SITEMAP_PATH.fullmatch(path):
            return self._sitemap(int(match[1]), base_url)
        if path == "/sitemap.xml":
            return self._sitemap_index(base_url)
        if path == "/robots.txt":
            robots = f"User-agent: *\nDisallow: /en/search\nDisallow: /admin/\n\nSitemap: {base_url}/sitemap.xml\n"
            return _response(200, _TEXT, robots)
        if path == "/en/":
            return self._home()
        if path in ("/", "/en"):
            return _response(301, _HTML, chrome_page("Moved", '<p><a href="/en/">Home</a></p>\n'), Location="/en/")
        if path == "/en/search":
            return self._search(query.get("q", [""])[0])
        return self._not_found("Page not found")

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
        span = (LAST_DAY - FIRST_DAY).days
        return FIRST_DAY + timedelta(days=(article_id - FIRST_ID) * span // (LAST_ID - FIRST_ID))

    def _reply_date(self, article_id: int) -> date:
        return self._ask_date(article_id) + timedelta(days=self._reply_delays[self._position(article_id)])

    def _markup(self, article_id: int) -> tuple[str, random.Random]:
        """Layout and decoration come from their own stream so they never shift the text."""
        rng = random.Random(f"{self.seed}:{article_id}:markup")
        return rng.choice(LAYOUTS), rng

    def _write_core(self, article_id: int) -> Core:
        department = DEPARTMENTS[self._department_index(article_id)]
        return write_core(Dice(f"{self.seed}:{article_id}"), department)

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
        department = DEPARTMENTS[self._department_index(article_id)]
        return SimilarEntry(
            f"/en/article/{article_id}",
            core.title,
            excerpt(core.question[0]),
            core.doctor,
            department.name,
            answer_excerpt(core.answer[0]),
        )

    def _page(self, article_id: int) -> ArticlePage:
        core = self._core(article_id)
        department_index = self._department_index(article_id)
        department = DEPARTMENTS[department_index]
        extras = Dice(core.extras_seed)
        more_info = write_more_info(extras, department, core)
        similar = tuple(self._similar_entry(t) for t in self._similar_targets(extras, article_id, department_index))
        faqs = tuple(
            FaqLink(topic, department.name, _faq_path(department, topic))
            for topic in related_faq_topics(extras, department)
        )
        answered = self._broken.get(article_id) != "reply_missing"
        reply = Reply(core.doctor, department.name, core.answer, self._reply_date(article_id)) if answered else None
        return ArticlePage(
            path=f"/en/article/{article_id}",
            heading=f"{core.seo_title} - {department.name}",
            title=core.title,
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
            return self._not_found("Article not found")
        layout, rng = self._markup(article_id)
        rendered = render_article(self._page(article_id), layout, rng)
        html = rendered.html
        if self._broken.get(article_id) == "truncated":
            assert rendered.reply_date_at is not None
            html = html[: rng.randrange(rendered.question_at, rendered.reply_date_at)]
        return _response(200, _HTML, html)

    def _not_found(self, title: str) -> Response:
        body = (
            "<p>The page you are looking for does not exist or has been removed.</p>\n"
            '<p><a href="/en/">Home</a></p>\n'
        )
        return _response(404, _HTML, chrome_page(title, body))

    def _article_list(self, article_ids: list[int]) -> str:
        def item(article_id: int) -> str:
            asked = self._ask_date(article_id)
            title = _link(f"/en/article/{article_id}", self._core(article_id).title)
            return f'<li>{title} <time datetime="{asked.isoformat()}">{asked:%Y/%m/%d}</time></li>\n'

        return f'<ul class="articles">\n{"".join(map(item, article_ids))}</ul>\n'

    def _home(self) -> Response:
        departments = "".join(
            f"<li>{_link(f'/en/department/{department.slug}', department.name)} ({len(listed)} questions)</li>\n"
            for department, listed in zip(DEPARTMENTS, self._listed_by_department)
        )
        faqs = "".join(
            f"<li>{_link(_faq_path(department, None), f'{department.name} FAQ')}</li>\n" for department in DEPARTMENTS
        )
        body = (
            f'<h2>Departments</h2>\n<ul class="departments">\n{departments}</ul>\n'
            f"<h2>Frequently asked</h2>\n<ul>\n{faqs}</ul>\n"
            '<p><a href="/en/search?q=">Search all questions</a></p>\n'
        )
        return _response(200, _HTML, chrome_page("Ask a doctor: questions by department", body))

    def _listing(self, slug: str, query: dict[str, list[str]]) -> Response:
        department_index = self._department_by_slug.get(slug)
        requested = query.get("page", ["1"])[0]
        if department_index is None or not re.fullmatch(r"[0-9]+", requested):
            return self._not_found("Page not found")
        department, listed = DEPARTMENTS[department_index], self._listed_by_department[department_index]
        page_number, last_page = int(requested), max(1, math.ceil(len(listed) / LISTING_PAGE_SIZE))
        if not 1 <= page_number <= last_page:
            return self._not_found("Page not found")

        def page_link(number: int, text: str) -> str:
            suffix = f"?page={number}" if number > 1 else ""
            return _link(f"/en/department/{department.slug}{suffix}", text)

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
            f'<a href="/en/search?q={slugify(department.name)}">Search this department</a></p>\n'
            + self._article_list(listed[start : start + LISTING_PAGE_SIZE])
            + f'<div class="pagination">{" ".join(pagination)}</div>\n'
        )
        return _response(200, _HTML, chrome_page(department.name, body))

    def _faq(self, slug: str, topic_slug: str | None) -> Response:
        department_index = self._department_by_slug.get(slug)
        if department_index is None:
            return self._not_found("Page not found")
        department = DEPARTMENTS[department_index]
        topics = {slugify(topic): topic for topic in department.faq_topics}
        if topic_slug is not None and topic_slug not in topics:
            return self._not_found("Page not found")
        listed = self._listed_by_department[department_index]
        rng = random.Random(f"{self.seed}:faq:{slug}:{topic_slug or ''}")
        articles = self._article_list(rng.sample(listed, min(8, len(listed))))
        if topic_slug is not None:
            return _response(200, _HTML, chrome_page(f"{topics[topic_slug]} ({department.name})", articles))
        topic_links = "".join(
            f"<li>{_link(_faq_path(department, topic), topic)}</li>\n" for topic in department.faq_topics
        )
        body = f"<h2>Topics</h2>\n<ul>\n{topic_links}</ul>\n<h2>Questions</h2>\n{articles}"
        return _response(200, _HTML, chrome_page(f"{department.name} FAQ", body))

    def _search(self, terms: str) -> Response:
        body = f"<p>No results for “{escape(terms, quote=False)}”.</p>\n"
        return _response(200, _HTML, chrome_page("Search", body))

    def _sitemap_chunks(self) -> list[list[int]]:
        return [self._listed[start : start + SITEMAP_SIZE] for start in range(0, len(self._listed), SITEMAP_SIZE)]

    def _lastmod(self, article_id: int) -> date:
        """When the page last changed: its reply, or its question for an unanswered page."""
        if self._broken.get(article_id) == "reply_missing":
            return self._ask_date(article_id)
        return self._reply_date(article_id)

    def _sitemap_index(self, base_url: str) -> Response:
        base = escape(base_url, quote=False)
        entries = "".join(
            f"<sitemap><loc>{base}/sitemaps/articles-{k}.xml</loc>"
            f"<lastmod>{max(map(self._lastmod, chunk)).isoformat()}</lastmod></sitemap>\n"
            for k, chunk in enumerate(self._sitemap_chunks(), 1)
        )
        xml = f'{_XML_DECLARATION}<sitemapindex xmlns="{_SITEMAP_NS}">\n{entries}</sitemapindex>\n'
        return _response(200, _XML, xml)

    def _sitemap(self, k: int, base_url: str) -> Response:
        chunks = self._sitemap_chunks()
        if k > len(chunks):
            return self._not_found("Page not found")
        base = escape(base_url, quote=False)
        entries = "".join(
            f"<url><loc>{base}/en/article/{article_id}</loc>"
            f"<lastmod>{self._lastmod(article_id).isoformat()}</lastmod></url>\n"
            for article_id in chunks[k - 1]
        )
        xml = f'{_XML_DECLARATION}<urlset xmlns="{_SITEMAP_NS}">\n{entries}</urlset>\n'
        return _response(200, _XML, xml)
