"""What users would write instead: a requests + BeautifulSoup script extracting the same fields.

A careful script, not a strawman: BeautifulSoup with the lxml parser, invisible elements removed,
block elements turned into line breaks so the page reads as lines, then the same visible labels
(``Ask Date:``, ``Dr. … reply …``, ``Reply Date:``, ``More Info``, ``Similar Q&A``, ``Related FAQ``)
anchor each field. No validation, no privacy masking, no dedupe, no Parquet: a script keeps dicts.
``scrape`` is the sequential crawl such scripts do: the sitemaps, then each article in turn.
"""

from __future__ import annotations

import re
import time
from datetime import date
from typing import Any
from urllib.parse import urljoin

import requests
from bs4 import BeautifulSoup, Comment

BLOCKS = [
    "address", "article", "aside", "blockquote", "body", "caption", "center", "dd", "details", "div", "dl", "dt",
    "fieldset", "figcaption", "figure", "form", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "html", "li", "main",
    "ol", "p", "pre", "section", "summary", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
]
INVISIBLE = ["script", "style", "noscript", "template", "head", "nav", "header", "footer", "title", "iframe",
             "object", "embed", "svg", "canvas", "audio", "video", "select"]
HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
DATE = re.compile(r"(\d{4})([/-])(\d{1,2})\2(\d{1,2})")
ASKER = re.compile(
    r"^(?P<name>.*),\s*(?P<lo>\d{1,3})\s*(?:~\s*(?P<hi>\d{1,3})\s*)?years?[\s-]*old(?:\s+(?P<gender>[A-Za-z]+))?"
)
REPLY = re.compile(r"^Dr\.\s*(?P<name>\S.*?)\s+reply\s+(?P<department>\S.*)$")
FAQ = re.compile(r"^(?P<topic>.*?)\s*\((?P<department>[^()]*)\)$")
SECTIONS = ("More Info", "Similar Q&A", "Related FAQ")
READ_MORE = "[Read More]"


def _is_hidden(tag: Any) -> bool:
    return tag.has_attr("hidden") or tag.get("role") == "navigation" or bool(HIDDEN_STYLE.search(tag.get("style", "")))


def _date(text: str) -> date | None:
    match = DATE.search(text)
    if not match:
        return None
    try:
        return date(int(match[1]), int(match[3]), int(match[4]))
    except ValueError:
        return None


def _clean(text: str) -> str:
    return " ".join(text.split())


def extract(html: str | bytes, url: str) -> dict[str, Any] | None:
    """The record's fields of one article page, or None when the page is not a complete answered article."""
    soup = BeautifulSoup(html, "lxml")
    for tag in soup(INVISIBLE) + soup.find_all(_is_hidden):
        if not tag.decomposed:
            tag.decompose()
    for comment in soup.find_all(string=lambda text: isinstance(text, Comment)):
        comment.extract()
    links = [(_clean(a.get_text()), a["href"]) for a in soup.find_all("a", href=True)]
    link_texts = {text for text, _ in links}
    for br in soup.find_all("br"):
        br.replace_with("\n")
    for tag in soup.find_all(BLOCKS):
        tag.insert_before("\n")
        tag.append("\n")
    lines = [line for line in map(_clean, soup.get_text().split("\n")) if line]

    ask = next((i for i, line in enumerate(lines) if "Ask Date:" in line and line not in link_texts), None)
    if ask is None:
        return None
    before, _, after = lines[ask].partition("Ask Date:")
    first, asker_text = (ask, before.strip()) if before.strip() else (ask - 1, lines[ask - 1])
    end = ask + 1
    if not after.strip() and end < len(lines):
        after, end = lines[end], end + 1
    reply = next((i for i in range(end, len(lines)) if REPLY.match(lines[i])), None)
    reply_at = next((i for i in range(reply or end, len(lines)) if lines[i].startswith("Reply Date:")), None)
    if reply is None or reply_at is None:
        return None
    header = REPLY.match(lines[reply])
    department = header["department"]

    start = 0
    for i in range(first):
        if lines[i] in link_texts or lines[i].startswith("Share to:"):
            start = i + 1
    if first - start >= 3 and lines[start].endswith(" - " + department):
        start += 1
    if start + 1 >= first:
        return None

    reply_date_text = lines[reply_at][len("Reply Date:"):].strip() or lines[reply_at + 1]
    marks = {}
    for i in range(reply_at + 1, len(lines)):
        if lines[i] in SECTIONS and lines[i] not in marks:
            marks[lines[i]] = i
    bounds = sorted(marks.values()) + [len(lines)]

    def section(label: str) -> list[str]:
        if label not in marks:
            return []
        return lines[marks[label] + 1: next(b for b in bounds if b > marks[label])]

    asker = ASKER.match(asker_text)
    low = int(asker["lo"]) if asker else None
    gender = (asker["gender"] or "").lower() if asker else ""

    articles = {text: href for text, href in links if "/en/article/" in href}
    similar: list[dict[str, Any]] = []
    for line in section("Similar Q&A"):
        if line in articles:
            similar.append({"url": urljoin(url, articles[line]), "title": line, "doctor_name": None, "department": None,
                            "question_excerpt": None, "answer_excerpt": None})
        elif similar and (match := REPLY.match(line)) and similar[-1]["doctor_name"] is None:
            similar[-1].update(doctor_name=match["name"], department=match["department"])
        elif similar and READ_MORE in line:
            similar[-1]["answer_excerpt"] = line[: line.index(READ_MORE)].strip()
        elif similar and similar[-1]["doctor_name"] is None:
            similar[-1]["question_excerpt"] = line
    faqs = [
        {"topic": match["topic"].strip() or None, "department": match["department"].strip(), "url": urljoin(url, href)}
        for text, href in links
        if "/en/faq/" in href and (match := FAQ.match(text))
    ]
    return {
        "source_id": url.rstrip("/").rsplit("/", 1)[-1],
        "url": url,
        "title": lines[start],
        "question": "\n".join(lines[start + 1: first]),
        "asker": {"name": asker["name"].strip() if asker else asker_text or None,
                  "gender": gender if gender in ("female", "male") else None,
                  "age_min": low, "age_max": int(asker["hi"]) if asker and asker["hi"] else low},
        "ask_date": _date(after),
        "reply_date": _date(reply_date_text),
        "department": department,
        "doctor": {"name": header["name"], "hospital": None},
        "answer": "\n".join(lines[reply + 1: reply_at]) or None,
        "more_info": "\n".join(section("More Info")) or None,
        "similar_questions": similar,
        "related_faqs": faqs,
    }


def scrape(base_url: str, *, max_pages: int, max_seconds: float) -> dict[str, Any]:
    """Sequential: the sitemap index, each sitemap, then its articles one after the other, until
    ``max_pages`` responses or ``max_seconds``; returns pages, records and elapsed seconds."""
    session = requests.Session()
    session.headers["User-Agent"] = "benchmark-script/1.0"
    started = time.perf_counter()
    pages = records = 0

    def fetch(url: str) -> requests.Response:
        nonlocal pages
        pages += 1
        return session.get(url, timeout=30)

    def over() -> bool:
        return pages >= max_pages or time.perf_counter() - started >= max_seconds

    index = fetch(base_url.rstrip("/") + "/sitemap.xml")
    for sitemap in BeautifulSoup(index.content, "xml").find_all("loc"):
        if over():
            break
        listing = fetch(sitemap.get_text(strip=True))
        for loc in BeautifulSoup(listing.content, "xml").find_all("loc"):
            if over():
                break
            url = loc.get_text(strip=True)
            response = fetch(url)
            if response.status_code == 200 and extract(response.text, url) is not None:
                records += 1
    return {"pages": pages, "records": records, "elapsed_seconds": time.perf_counter() - started}
