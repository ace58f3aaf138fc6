"""The crawl policy of every site, driven by its declaration (qacrawler.page.sites.site.Site): where discovery
starts, which links are followed, staying on the site, politeness, turning pages into items.

One spider class serves every site (``spider_for``); a site declares a subclass only for discovery its
``Discovery`` cannot express. Parsing is the declaration's parser's job.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from concurrent.futures.process import BrokenProcessPool
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import CannotResolveHostError, DownloadCancelledError, IgnoreRequest
from scrapy.http import Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.sitemap import Sitemap
from twisted.internet.defer import CancelledError
from twisted.internet.error import DNSLookupError
from twisted.python.failure import Failure

from qacrawler import __version__
from qacrawler.arguments import UsageError, check_base_url, check_id_range
from qacrawler.crawl.dataset_index import dataset_index
from qacrawler.crawl.frontier import Frontier
from qacrawler.crawl.incremental import RepeatRequest, UnchangedPage
from qacrawler.crawl.ledger import article_settled
from qacrawler.crawl.request_policy import RESOLVER_REFUSALS, RefusedRequest, original_url
from qacrawler.crawl.retry_after import PostponedRequest
from qacrawler.page.pool import InvalidPage, ParsePool, page_records
from qacrawler.page.records import QARecord, Reject, make_reject
from qacrawler.page.sites.errors import NotAnArticle, PageMissing
from qacrawler.page.sites.page_text import MarkupTooComplex, check_limits, page_lines
from qacrawler.page.sites.site import Site, import_object, is_loopback, path_and_query, usable_id

EXCERPT_CHARS = 300
# Statuses with which a server says "not now" (rate limit, maintenance): an article still answered so after
# the retries is deferred to the next run, not rejected, so a busy site cannot fill the rejects and fail the run.
DEFERRED_STATUSES = (429, 503)


def host_twins(host: str) -> set[str]:
    """A host and its ``www.`` twin: sites redirect between the two."""
    bare = host.removeprefix("www.")
    return {host} if is_loopback(host) or bare.replace(".", "").isdigit() else {bare, f"www.{bare}"}


def mebibytes(size: int) -> str:
    return f"{size / 2**20:g} MiB"


def user_agent(contact: str) -> str:
    return f"qacrawler/{__version__} (+{contact}; research crawler, obeys robots.txt)"


class QASpider(Spider):
    site: Site  # the class's declaration; an instance holds it at its base URL (Site.at)
    frontier: Frontier  # set by from_crawler: it needs the crawler
    shared = False  # a worker of a crawl shared through Redis; set by from_crawler
    seeds = True  # whether start() seeds discovery (on a shared crawl, the leader alone)

    def __init__(self, base_url: str | None = None, min_id: str | None = None, max_id: str | None = None,
                 **kwargs: Any):
        super().__init__(**kwargs)
        self.base_url = check_base_url(base_url or self.site.base_url)
        self.site = self.site.at(self.base_url)
        parts = urlsplit(self.base_url)
        self.netloc = parts.netloc
        hostname = parts.hostname or ""  # check_base_url insists on a host
        self.allowed_domains = [hostname]
        self.allowed_hosts = host_twins(hostname) | set(self.site.hosts)  # see qacrawler.crawl.request_policy
        discovery = self.site.discovery
        self.listing_pattern = re.compile(discovery.listing_pattern) if discovery.listing_pattern else None
        self.id_range = check_id_range(min_id, max_id)
        if self.id_range is not None and not self.site.article_template:
            raise UsageError(f"site {self.site.id} has no article_template, so it cannot walk ids; add one to its "
                             "declaration (e.g. article_template = \"/questions/{id}\") or drop min_id/max_id")
        self.requested_articles: set[str] = set()  # canonical URLs, to request each article once per run
        self.linked_articles: set[str] = set()  # canonical URLs pages linked to, queued once
        self.sitemaps_requested: set[str] = set()
        self.sitemaps_pending = 0  # requested, neither parsed nor failed: linked articles wait for them
        self.parse_pool: ParsePool | None = None  # see open_parse_pool

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> QASpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        settings = crawler.settings  # not frozen yet: the spider may still adapt the crawl to its target
        if not settings.get("USER_AGENT"):
            settings.set("USER_AGENT", user_agent(settings.get("QA_CONTACT")), priority="spider")
        for name, value in spider.site.crawl_settings.items():  # the site's politeness; `-s` still wins
            settings.set(name, value, priority="spider")
        if is_loopback(urlsplit(spider.base_url).hostname or ""):
            for name, value in settings.getdict("QA_LOCAL_SETTINGS").items():
                settings.set(name, value, priority="spider")
        spider.frontier = Frontier(crawler, settings.getint("QA_FRONTIER_WINDOW"))
        crawler.signals.connect(spider.open_parse_pool, signal=signals.spider_opened)
        crawler.signals.connect(spider.close_parse_pool, signal=signals.spider_closed)
        # a worker of a shared crawl (qacrawler.crawl.distributed): only the leader seeds the queue in Redis
        spider.shared = bool(settings.get("QA_REDIS_URL"))
        spider.seeds = not spider.shared or settings.getbool("QA_REDIS_LEADER")
        return spider

    async def start(self) -> AsyncIterator[Request]:
        if not self.seeds:
            return
        for path in self.site.discovery.sitemaps:
            yield self.sitemap_request(self.url(path))
        for path in self.site.discovery.listings:
            yield Request(self.url(path), callback=self.parse_listing, errback=self.discovery_failed)
        self.queue_articles()

    def parse_listing(self, response: Response) -> Iterator[Request]:
        self.follow_articles(self.article_urls(self.absolute_links(response)))
        self.frontier.feed()
        if self.listing_pattern is not None:
            yield from self.follow_listings(response, self.listing_pattern, self.parse_listing)

    # -- requests ------------------------------------------------------------------------------

    def url(self, path: str) -> str:
        return urljoin(self.base_url + "/", path.lstrip("/"))

    def on_site(self, url: str) -> bool:
        return urlsplit(url).netloc == self.netloc

    def article_request(self, url: str, **meta: Any) -> Request:
        """Articles bypass the dupefilter: qacrawler.crawl.incremental decides what is fetched, from finished files.
        On a shared crawl they go through Redis' seen-set, or every worker would fetch them."""
        return Request(self.site.canonical_url(url), callback=self.parse_article, errback=self.article_failed,
                       priority=1, dont_filter=not self.shared, meta={"article": True, **meta})

    def queue_articles(self) -> None:
        """The id walk and the links earlier runs left unfetched, released as the scheduler has room."""
        self.frontier.add(((number,) for number in self.id_range or ()), self.id_probe_request)
        self.frontier.add(((url,) for url in self.unfetched_links()), self.article_request)
        self.frontier.feed()

    def id_probe_request(self, number: int) -> Request:
        return self.article_request(self.url(self.site.article_path(number)), id_probe=True)

    def unfetched_links(self) -> Iterator[str]:
        """Articles earlier runs linked to but never stored (qacrawler.crawl.dataset_index),
        on this run's base_url."""
        if not self.crawler.settings.getbool("QA_INCREMENTAL"):
            return
        for url in dataset_index(self.crawler).unfetched_links:
            yield self.url(path_and_query(urlsplit(url)))

    def absolute_links(self, response: Response) -> Iterator[str]:
        """Every href of the page made absolute. A malformed one (``http://[::1/``, a control character in
        the host…) is skipped and counted in ``links/skipped_malformed``: it never costs the links after
        it. A page beyond the parser's input limits (qacrawler.page.sites.page_text.check_limits) is not read
        for links at all (``links/page_too_complex``): Scrapy's selector would take seconds on it."""
        try:
            check_limits(response.body)
        except MarkupTooComplex:
            self.crawler.stats.inc_value("links/page_too_complex")
            return
        for href in response.css("a::attr(href)").getall():
            try:
                url = response.urljoin(href.strip()).split("#", 1)[0]
                urlsplit(url)
            except ValueError:
                self.crawler.stats.inc_value("links/skipped_malformed")
                continue
            yield url

    def followable(self, urls: Iterable[str], pattern: re.Pattern[str]) -> Iterator[str]:
        """The absolute URLs that are on this site and whose path matches."""
        return (url for url in urls if self.on_site(url) and pattern.search(urlsplit(url).path))

    def article_urls(self, urls: Iterable[str]) -> Iterator[str]:
        """The absolute URLs that are articles of this site, at this crawl's address. One shaped like an article
        but without a usable id (4,000 digits: no site numbers its articles so) is counted and skipped."""
        for url in urls:
            if not self.on_site(url) or (match := self.site.article_match(url)) is None:
                continue
            if usable_id(match) is not None:
                yield url
            else:
                self.crawler.stats.inc_value("links/skipped_no_article_id")

    def follow_articles(self, urls: Iterable[str]) -> None:
        """Linked articles wait in the frontier like sitemap entries (a site whose sitemap failed is found
        through its listings alone, dozens of articles a page, which would fill the scheduler far past the
        window), and behind any sitemap still on its way: its entry carries the lastmod the incremental
        decision needs, so the sitemap's request wins and the link is dropped when released. The caller
        feeds the frontier."""
        linked = list(self.unqueued_links(urls))
        if linked:
            self.frontier.add(((url,) for url in linked if self.release_link(url)), self.article_request,
                              held=self.sitemaps_pending > 0)

    def unqueued_links(self, urls: Iterable[str]) -> Iterator[str]:
        """Each linked article once per run, in canonical form."""
        for url in urls:
            url = self.site.canonical_url(url)
            if url not in self.linked_articles and url not in self.requested_articles:
                self.linked_articles.add(url)
                yield url

    def release_link(self, url: str) -> bool:
        """Whether a linked article still needs its request, decided when the frontier releases it: a
        sitemap read meanwhile may have queued it (counted in ``spider/link_in_sitemap``)."""
        if url in self.requested_articles:
            self.crawler.stats.inc_value("spider/link_in_sitemap")
            return False
        self.requested_articles.add(url)
        return True

    def follow_listings(self, response: Response, pattern: re.Pattern[str],
                        callback: Callable[[Response], Iterator[Request]]) -> Iterator[Request]:
        for url in self.followable(self.absolute_links(response), pattern):
            yield Request(url, callback=callback)

    def parse_sitemap(self, response: Response) -> Iterator[Request]:
        """A sitemap index leads to more sitemaps; a URL set to articles, which wait in the frontier as
        (url, lastmod) pairs. Missing sitemaps are fine. An entry whose article was already requested (a
        link released after the crawl went idle, another sitemap) is skipped, counted in
        ``spider/sitemap_already_requested``."""
        sitemap = Sitemap(response.body)
        articles: list[tuple[str, str | None]] = []
        for entry in sitemap:
            url = entry["loc"]
            if not self.on_site(url):
                continue
            if sitemap.type == "sitemapindex":
                yield self.sitemap_request(url)
            elif self.site.is_article_url(url):
                url = self.site.canonical_url(url)
                if url in self.requested_articles:
                    self.crawler.stats.inc_value("spider/sitemap_already_requested")
                    continue
                self.requested_articles.add(url)
                articles.append((url, entry.get("lastmod")))
        self.frontier.add(articles, self.sitemap_article_request)
        self.sitemap_settled()

    def sitemap_request(self, url: str) -> Request:
        """Sitemaps before articles, and linked articles wait for them (see follow_articles)."""
        if url not in self.sitemaps_requested:  # a repeat is dropped by the dupefilter: it never settles
            self.sitemaps_requested.add(url)
            self.sitemaps_pending += 1
        return Request(url, callback=self.parse_sitemap, errback=self.sitemap_failed, priority=2)

    def sitemap_failed(self, failure: Failure) -> None:
        self.discovery_failed(failure)
        self.sitemap_settled()

    def sitemap_settled(self) -> None:
        self.sitemaps_pending -= 1
        if self.sitemaps_pending <= 0:
            self.frontier.release_held()
        self.frontier.feed()

    def sitemap_article_request(self, url: str, lastmod: str | None) -> Request:
        return self.article_request(url, lastmod=lastmod)

    def discovery_failed(self, failure: Failure) -> None:
        self.crawler.stats.inc_value("spider/discovery_failed")
        self.logger.info("discovery page unavailable: %s (%s)", failed_request(failure).url, failure.getErrorMessage())

    # -- items ---------------------------------------------------------------------------------

    def reject(self, url: str, stage: str, reasons: list[str], excerpt: str | None = None,
               lastmod: str | None = None) -> Reject:
        self.crawler.stats.inc_value(f"spider/reject/{stage}")
        return make_reject(url, self.site.id, stage, reasons, excerpt, lastmod)

    def settle(self, url: str, outcome: str, reason: str) -> None:
        """Tells the article ledger (qacrawler.crawl.ledger) how an article ended when no item says it."""
        self.crawler.signals.send_catch_log(article_settled, url=url, outcome=outcome, reason=reason)

    @property
    def keep_names(self) -> bool:
        """The crawl's names policy, under which records are masked where they are parsed (PrivacyPipeline)."""
        return self.crawler.settings.getbool("QA_KEEP_ASKER_NAMES")

    def open_parse_pool(self) -> None:
        """Pages are parsed on ``QA_PARSE_PROCESSES`` worker processes, started with this spider's declaration
        (at its base URL), so the reactor's core only downloads and writes; 0 parses in this process."""
        processes = self.crawler.settings.getint("QA_PARSE_PROCESSES")
        self.crawler.stats.set_value("parse_pool/processes", processes)
        if processes > 0:
            self.parse_pool = ParsePool([self.site], processes, keep_names=self.keep_names)

    def close_parse_pool(self) -> None:
        """Stops the workers however the crawl ended (finished, SIGTERM, an exception)."""
        if self.parse_pool is not None:
            self.parse_pool.close()
            self.parse_pool = None

    async def page_records(self, body: bytes, url: str, **fields: Any) -> list[QARecord]:
        """The page's records, from the pool when there is one: both raise as qacrawler.page.pool.page_records.

        A worker that dies (a crash in libxml2, the kernel's OOM killer) breaks the whole pool and fails every
        page it held: the first page to hear of it starts a new pool (``parse_pool/restarted``) and each page
        is tried once more; a page whose second try breaks the pool too is refused, not retried forever."""
        pool = self.parse_pool
        if pool is None:
            return page_records(self.site, body, url, keep_names=self.keep_names, **fields)
        self.crawler.stats.inc_value("parse_pool/pages")
        for _ in range(2):
            try:
                return await asyncio.wrap_future(pool.submit(self.site.id, body, url, **fields))
            except BrokenProcessPool:
                if self.parse_pool is pool:
                    self.crawler.stats.inc_value("parse_pool/restarted")
                    pool.close()
                    self.parse_pool = ParsePool([self.site], pool.processes, keep_names=pool.keep_names)
                pool = self.parse_pool or pool
        raise NotAnArticle("the parser's worker process died on this page, twice")

    async def parse_article(self, response: Response) -> AsyncIterator[Any]:
        """The page's records or reject, each pointing to the page's WARC record (qacrawler.crawl.archive)."""
        provenance = warc_provenance(response.meta)
        async for item in self.page_items(response):
            yield item.model_copy(update=provenance) if provenance else item

    async def page_items(self, response: Response) -> AsyncIterator[QARecord | Reject]:
        # The URL asked for: a redirect reaches here only when it kept the article (qacrawler.crawl.request_policy).
        assert response.request is not None  # Scrapy sets it on every response it hands a callback
        url = original_url(response.request).split("#", 1)[0]
        content_type = (response.headers.get("Content-Type") or b"").decode("latin-1")
        lastmod = response.meta.get("lastmod")  # kept with the version: the next run compares the site's values
        if not isinstance(response, TextResponse):
            yield self.reject(url, "parse", [f"not a text response ({content_type})"], lastmod=lastmod)
            return
        records: list[QARecord] = []
        try:  # bytes, not response.text: the parser decodes strictly and rejects what does not decode
            records = await self.page_records(response.body, url, crawled_at=fetched_at(response.meta),
                                              content_type=content_type)
        except PageMissing as error:
            if response.meta.get("id_probe"):
                self.crawler.stats.inc_value("spider/missing_id")  # a gap in the numbering
                self.settle(url, "skipped", "missing id")
            else:
                yield self.reject(url, "parse", [error.reason], page_excerpt(response), lastmod)
        except NotAnArticle as error:
            yield self.reject(url, "parse", [error.reason], page_excerpt(response), lastmod)
        except InvalidPage as error:
            yield self.reject(url, "parse", error.reasons, page_excerpt(response), lastmod)
        else:
            for record in records:
                yield record.model_copy(update={"source_lastmod": lastmod}) if lastmod else record
            self.crawler.stats.inc_value("spider/articles_parsed")
            if len(records) > 1:
                self.crawler.stats.inc_value("spider/multi_record_pages")
        self.follow_articles(self.article_links(response, records))
        self.frontier.feed()

    def article_links(self, response: TextResponse, records: list[QARecord]) -> Iterator[str]:
        """The articles an article page links to: its Similar Q&A links, from the records when the page
        made any (the page is not parsed a second time), else from the markup."""
        if not self.site.discovery.article_links:
            return iter(())
        if not records:
            return self.article_urls(self.absolute_links(response))
        return self.article_urls(similar.url for record in records for similar in record.similar_questions)

    def article_failed(self, failure: Failure) -> Iterator[Any]:
        reject = self.fetch_reject(failure)
        if reject is not None:
            yield reject
        self.frontier.feed()

    def fetch_reject(self, failure: Failure) -> Reject | None:
        """The reject a failed article request becomes, or None when the article ledger hears of it otherwise:
        a repeat (counted under the first request), unchanged since the last crawl (skipped), a Retry-After
        over the cap or a 429/503 that outlasted the retries (deferred), a missing id."""
        request = failed_request(failure)
        url = original_url(request)
        if failure.check(RepeatRequest):
            return None
        if failure.check(UnchangedPage):
            self.settle(url, "skipped", "unchanged")
            return None
        if failure.check(PostponedRequest):
            self.settle(url, "deferred", failure.value.category)
            return None
        if failure.check(RefusedRequest):
            refused = failure.value
            if refused.redirect:
                return self.reject(url, "redirect", [f"redirected to {refused.url} ({refused.reason})"])
            return self.reject(url, "fetch", [f"request refused: {refused.reason}"])
        if failure.check(HttpError):
            status = failure.value.response.status
            if status == 404 and request.meta.get("id_probe"):
                self.crawler.stats.inc_value("spider/missing_id")
                self.settle(url, "skipped", "missing id")
                return None
            if status in DEFERRED_STATUSES:  # the server asked us to come back later; the page is not at fault
                self.crawler.stats.inc_value(f"spider/deferred/http_{status}")
                self.settle(url, "deferred", f"HTTP {status} after retries")
                return None
            reject = self.reject(url, "fetch", [f"HTTP {status}"])
            return reject.model_copy(update=warc_provenance(failure.value.response.meta))
        return self.reject(url, "fetch", [self.failure_reason(failure)])

    def failure_reason(self, failure: Failure) -> str:
        """A size refusal in words (Scrapy says it in a warning and cancels, or ignores the request after
        decompression); anything else as exception type and message."""
        message = failure.getErrorMessage()
        limit = mebibytes(self.crawler.settings.getint("DOWNLOAD_MAXSIZE"))
        if failure.check(DownloadCancelledError, CancelledError):
            self.crawler.stats.inc_value("spider/refused_size/response")
            return f"response larger than {limit} (DOWNLOAD_MAXSIZE)"
        if failure.check(IgnoreRequest) and "during decompression" in message:
            self.crawler.stats.inc_value("spider/refused_size/decompressed")
            return f"decompressed body over {limit} (DOWNLOAD_MAXSIZE)"
        if failure.check(IgnoreRequest):
            return message  # robots.txt, too many redirects: Scrapy's message says it
        host = (urlsplit(failed_request(failure).url).hostname or "").rstrip(".")
        if failure.check(DNSLookupError, CannotResolveHostError) and host in RESOLVER_REFUSALS:
            self.crawler.stats.inc_value("policy/refused/resolved address")
            return f"request refused: {RESOLVER_REFUSALS[host]}"
        return f"{failure.type.__name__}: {message}"


def failed_request(failure: Failure) -> Request:
    """The request of a download's failure: Scrapy sets it on the Failure, which Twisted does not declare."""
    request: Request = failure.request  # type: ignore[attr-defined]  # set by Scrapy at run time
    return request


def fetched_at(meta: dict[str, Any]) -> datetime:
    """When the page was fetched: the archive's WARC-Date of its response (so a re-parse dates its rows alike),
    else now."""
    warc = meta.get("warc")
    return warc["fetched_at"] if warc else datetime.now(UTC)


def warc_provenance(meta: dict[str, Any]) -> dict[str, Any]:
    """The provenance fields of an archived response (``meta["warc"]``, set by the archive); empty without one."""
    warc = meta.get("warc")
    return {"warc_file": warc["file"], "warc_offset": warc["offset"], "warc_length": warc["length"]} if warc else {}


def page_excerpt(response: TextResponse) -> str | None:
    """The start of the page's visible text (qacrawler.page.sites.page_text), for a reject; None when the page
    cannot be read as text at all (a reject without excerpt rather than a crash)."""
    try:
        lines = page_lines(response.text)
    except (NotAnArticle, LookupError, ValueError):  # UnicodeError is a ValueError
        return None
    return " ".join(line.text for line in lines)[:EXCERPT_CHARS]


def spider_for(site: Site) -> type[QASpider]:
    """The spider class of a site: the one its declaration names, else the generic spider bound to it."""
    if site.spider is not None:
        spider: type[QASpider] = import_object(site.spider)
        return spider
    class_name = "".join(part.capitalize() for part in site.id.split("_")) + "Spider"
    return type(class_name, (QASpider,), {"name": site.id, "site": site, "__module__": __name__})
