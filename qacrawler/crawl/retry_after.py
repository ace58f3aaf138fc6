"""Retry-After on 429 and 503: wait what the server asks before Scrapy's RetryMiddleware retries, up to
``QA_RETRY_AFTER_MAX`` seconds; a longer wait defers the URL to the next run instead of holding the crawl.

Scrapy retries these statuses at once, and AutoThrottle never lengthens its delay for them (it only
refuses to shorten it on non-200 responses), so a rate-limited crawl would keep knocking. Here the wait
is an asyncio sleep inside the middleware (the reactor keeps serving other requests), cut short by a
graceful stop (Ctrl-C, SIGTERM: the URL is deferred rather than holding the shutdown), and with
AutoThrottle on, the site's download slot delay doubles (at least to the asked wait, at most
AUTOTHROTTLE_MAX_DELAY). Stats: ``retry_after/waited``, ``retry_after/deferred``, ``retry_after/slowed_down``.
"""

from __future__ import annotations

import asyncio
import math
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response

RETRY_AFTER_STATUSES = (429, 503)


class PostponedRequest(IgnoreRequest):
    """The URL is deferred to the next run: the server asked for a longer wait than the cap, or the run
    stopped during the wait. ``category`` is the short reason the article ledger counts."""

    def __init__(self, url: str, category: str, detail: str):
        super().__init__(f"deferred {url}: {detail}")
        self.url, self.category = url, category


def parse_retry_after(value: str | bytes | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After value: delay-seconds or an HTTP date; None when absent or
    unreadable. A date in the past means no wait."""
    if value is None:
        return None
    text = (value.decode("latin-1") if isinstance(value, bytes) else value).strip()
    if text.isascii() and text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    seconds = (when - (now or datetime.now(UTC))).total_seconds()
    return max(0.0, seconds) if math.isfinite(seconds) else None


class RetryAfterMiddleware:
    """Downloader middleware, ordered after RetryMiddleware (a higher number), so it sees 429/503
    responses before they are retried."""

    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.stats = crawler.stats
        settings = crawler.settings
        self.cap = settings.getfloat("QA_RETRY_AFTER_MAX")
        self.max_retry_times = settings.getint("RETRY_TIMES")
        self.throttled = settings.getbool("AUTOTHROTTLE_ENABLED")
        self.max_delay = settings.getfloat("AUTOTHROTTLE_MAX_DELAY")

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RetryAfterMiddleware:
        return cls(crawler)

    async def process_response(self, request: Request, response: Response) -> Response:
        if response.status not in RETRY_AFTER_STATUSES or request.meta.get("dont_retry"):
            return response
        wait = parse_retry_after(response.headers.get("Retry-After"))
        self.slow_down(request, wait or 0.0)
        if wait is None:
            return response
        if wait > self.cap:
            self.stats.inc_value("retry_after/deferred")
            raise PostponedRequest(request.url, "Retry-After over the cap", f"HTTP {response.status} Retry-After "
                                   f"{wait:.0f} s is over the {self.cap:g} s cap (QA_RETRY_AFTER_MAX)")
        if request.meta.get("retry_times", 0) >= request.meta.get("max_retry_times", self.max_retry_times):
            return response  # RetryMiddleware gives up on it: no point waiting
        self.stats.inc_value("retry_after/waited")
        while wait > 0:
            if not self.crawler.crawling:  # Crawler.stop() clears it first thing
                raise PostponedRequest(request.url, "run stopped", "the run stopped during its Retry-After wait")
            await asyncio.sleep(min(wait, 1.0))
            wait -= 1.0
        return response

    def slow_down(self, request: Request, wait: float) -> None:
        if not self.throttled:
            return
        downloader = self.crawler.engine.downloader
        slot = downloader.slots.get(request.meta.get("download_slot") or downloader.get_slot_key(request))
        if slot is not None and slot.delay < self.max_delay:
            slot.delay = min(max(slot.delay * 2, wait, 1.0), self.max_delay)
            self.stats.inc_value("retry_after/slowed_down")
