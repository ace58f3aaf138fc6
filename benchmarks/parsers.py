"""Parser figures: the same pre-rendered pages (bytes in memory) through three extractors, interleaved.

- ``lxml``: ``lxml.html.fromstring`` of each page, nothing else (the floor of any HTML extraction);
- ``qacrawler``: ``qacrawler.page.sites.doctorqna.parse`` (decode, page lines, fields, validated QARecord);
- ``bs4``: :func:`benchmarks.bs4_scraper.extract` on the page decoded as text (what ``response.text``
  gives a script): BeautifulSoup with the lxml parser, then the same fields.

Each extractor runs over all pages in chunks, the three taking turns chunk by chunk so a burst of load
on the machine hits all three alike; the best of ``rounds`` passes counts.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from typing import Any

import lxml.html

from benchmarks.bs4_scraper import extract as bs4_extract
from qacrawler.page.sites import doctorqna
from qacrawler.sandbox import DoctorQnaSite

CONTENT_TYPE = "text/html; charset=utf-8"
COMPARED = ("title", "question", "answer", "ask_date", "reply_date", "department", "more_info", "asker", "doctor",
            "similar_questions", "related_faqs")


def sample_pages(site: DoctorQnaSite, count: int, base_url: str = "http://127.0.0.1:8080") -> list[tuple[str, bytes]]:
    """``count`` article pages spread evenly over the site's ids, as (url, body) pairs."""
    ids = site.article_ids()
    step = max(1, len(ids) // max(1, count))
    chosen = ids[::step][:count]
    return [(f"{base_url}/en/article/{i}", site.render(f"/en/article/{i}")[2]) for i in chosen]


def _lxml(url: str, body: bytes) -> bool:
    lxml.html.fromstring(body)
    return True


def _qacrawler(url: str, body: bytes) -> bool:
    try:
        doctorqna.parse(body, url, content_type=CONTENT_TYPE)
    except Exception:  # NotAnArticle, ValidationError: a reject, still a page parsed
        return False
    return True


def _bs4(url: str, body: bytes) -> bool:
    return bs4_extract(body.decode("utf-8"), url) is not None


EXTRACTORS: dict[str, Callable[[str, bytes], bool]] = {"lxml": _lxml, "qacrawler": _qacrawler, "bs4": _bs4}


def measure(pages: list[tuple[str, bytes]], rounds: int = 3, chunk: int = 100) -> dict[str, Any]:
    best: dict[str, float] = {}
    records: dict[str, int] = {}
    for _ in range(rounds):
        spent = dict.fromkeys(EXTRACTORS, 0.0)
        made = dict.fromkeys(EXTRACTORS, 0)
        for start in range(0, len(pages), chunk):
            part = pages[start : start + chunk]
            for name, extractor in EXTRACTORS.items():
                gc.collect()
                began = time.perf_counter()
                made[name] += sum(extractor(url, body) for url, body in part)
                spent[name] += time.perf_counter() - began
        for name, seconds in spent.items():
            if name not in best or seconds < best[name]:
                best[name], records[name] = seconds, made[name]
    figures: dict[str, Any] = {"pages": len(pages), "rounds": rounds}
    for name in EXTRACTORS:
        figures[name] = {
            "us_per_page": best[name] / len(pages) * 1e6,
            "pages_per_s": len(pages) / best[name],
            "records": records[name] if name != "lxml" else None,
            "records_per_s": records[name] / best[name] if name != "lxml" else None,
        }
    figures["qacrawler_vs_lxml_time"] = best["qacrawler"] / best["lxml"]
    figures["bs4_vs_qacrawler_time"] = best["bs4"] / best["qacrawler"]
    figures["bs4_agreement"] = agreement(pages)
    return figures


def agreement(pages: list[tuple[str, bytes]]) -> float:
    """Share of pages on which the BeautifulSoup extractor and qacrawler agree: the same fields, or both
    refusing the page. Shows the script is a fair stand-in, not a strawman."""
    same = 0
    for url, body in pages:
        try:
            record: dict[str, Any] | None = doctorqna.parse(body, url, content_type=CONTENT_TYPE).model_dump()
        except Exception:
            record = None
        got = bs4_extract(body.decode("utf-8"), url)
        if record is None or got is None:
            same += record is None and got is None
        else:
            same += all(record[name] == got[name] for name in COMPARED)
    return same / len(pages) if pages else 0.0
