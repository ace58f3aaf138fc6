"""A test-only site, "pairsqa", whose FAQ pages make one record per question-answer pair (as a site file with
`keep_faq = true` does), registered on import (`-s QA_SITE_MODULES=tests.multi_record_site`). ``PairsMirror``
serves six pages and a sitemap: odd ids hold one patient's question, even ids an FAQ of two pairs."""

from __future__ import annotations

import re
from datetime import date
from html import escape, unescape
from typing import Any

from qacrawler.page.records import QARecord
from qacrawler.page.sites.build import build_record
from qacrawler.page.sites.errors import NotAnArticle
from qacrawler.page.sites.registry import register
from qacrawler.page.sites.site import Discovery, Site

_PAIR = re.compile(r"<dt>(.*?)</dt><dd>(.*?)</dd>", re.S)


def parse(html: str | bytes, url: str, *, site: Site, crawled_at: Any = None,
          content_type: str | None = None) -> QARecord | list[QARecord]:
    """One record for a page of one pair, a list of `faq` records `<id>#<n>` for a page of several."""
    page_id = site.source_id_from_url(url)
    text = html.decode("utf-8") if isinstance(html, bytes) else html
    pairs = [(unescape(question), unescape(answer)) for question, answer in _PAIR.findall(text)]
    if page_id is None or not pairs:
        raise NotAnArticle("no question-answer pair on the page")
    records = [
        build_record(site=site, source_id=page_id if len(pairs) == 1 else f"{page_id}#{number}",
                     url=site.canonical_url(url), crawled_at=crawled_at, title=question, question=question,
                     answer=answer, ask_date=date(2024, 1, int(page_id)), reply_date=date(2024, 2, int(page_id)),
                     department="Neurology", doctor={"name": "Dr. Lee"}, kind="faq" if len(pairs) > 1 else "question")
        for number, (question, answer) in enumerate(pairs, start=1)
    ]
    return records if len(records) > 1 else records[0]


PAIRSQA = register(Site(
    id="pairsqa",
    language="en",
    base_url="https://pairsqa.example",
    article=r"^/faq/([0-9]+)$",
    article_template="/faq/{id}",
    parser=parse,
    parser_version="1.0",
    description="a test-only site whose FAQ pages make several records",
    discovery=Discovery(sitemaps=("/sitemap.xml",), article_links=False),
))


class PairsMirror:
    ids = tuple(range(1, 7))

    def pairs(self, number: int) -> list[tuple[str, str]]:
        count = 2 if number % 2 == 0 else 1
        return [(f"Question {n} of page {number}: why do I wake with a headache?",
                 f"Answer {n} of page {number}: see a neurologist.") for n in range(1, count + 1)]

    def record_ids(self) -> set[str]:
        return {f"pairsqa:{number}" if len(self.pairs(number)) == 1 else f"pairsqa:{number}#{n}"
                for number in self.ids for n in range(1, len(self.pairs(number)) + 1)}

    def render(self, path: str, query: dict[str, list[str]], *, base_url: str) -> tuple[int, dict[str, str], bytes]:
        if path == "/sitemap.xml":
            urls = "".join(f"<url><loc>{base_url}/faq/{number}</loc></url>" for number in self.ids)
            body = f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'
            return 200, {"Content-Type": "application/xml"}, body.encode("utf-8")
        match = re.fullmatch(r"/faq/([0-9]+)", path)
        if match is None or int(match.group(1)) not in self.ids:
            return 404, {"Content-Type": "text/html"}, b"<html><body>not found</body></html>"
        pairs = "".join(f"<dt>{escape(q)}</dt><dd>{escape(a)}</dd>" for q, a in self.pairs(int(match.group(1))))
        return 200, {"Content-Type": "text/html; charset=utf-8"}, f"<html><body><dl>{pairs}</dl></body></html>".encode()
