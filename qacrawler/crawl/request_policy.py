"""One rule for where requests go, applied to every request the downloader sees.

Article requests carry ``dont_filter=True``, which makes Scrapy skip its offsite check for them and for
every redirect they follow, so the rule lives here instead: a downloader middleware placed before the
robots.txt and offsite middlewares, which every request passes (articles, listings, sitemaps, robots.txt
itself, retries, and redirects, which RedirectMiddleware sends back through the scheduler). Allowed: the
spider's ``allowed_hosts`` over http(s), never an address that is not public, unless the base URL itself is
loopback, and then only its exact host and port. Host names are checked again after resolution by
``GuardedResolver``, so a public-looking name that resolves to a private address is not connected to.

A redirect of an article must stay on the same article (same record id: another scheme, a trailing slash,
an added query, ``www.``); anything else is refused, and the spider turns the refusal into a reject whose
reasons name the target.
"""

from __future__ import annotations

import ipaddress
import logging
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.resolver import CachingThreadedResolver
from twisted.internet import defer
from twisted.internet.error import DNSLookupError

from qacrawler.crawl.run import open_spider

if TYPE_CHECKING:
    from qacrawler.crawl.spiders.base import QASpider

DEFAULT_PORTS = {"http": 80, "https": 443}
logger = logging.getLogger(__name__)

# Host names whose resolution to a loopback address is expected: the hosts of loopback base URLs of the
# crawls in this process (the resolver is process-wide, and is built before any spider exists).
LOOPBACK_ORIGIN_HOSTS: set[str] = set()
# Why the resolver refused a host name: Twisted turns its error into "Couldn't find the hostname", so the
# spider looks the real reason up here to put it in the reject.
RESOLVER_REFUSALS: dict[str, str] = {}


class RefusedRequest(IgnoreRequest):
    """The request policy refused a URL; ``reason`` says why, ``url`` is the refused target."""

    def __init__(self, url: str, reason: str, *, redirect: bool = False):
        super().__init__(f"refused {url}: {reason}")
        self.url, self.reason, self.redirect = url, reason, redirect


def address_refusal(address: str) -> str | None:
    """Why an IP address must not be contacted, or None for a public one. IPv4-mapped IPv6 addresses
    (``::ffff:10.0.0.1``) are judged as the IPv4 address they carry."""
    try:
        ip = ipaddress.ip_address(address.strip("[]").split("%", 1)[0])
    except ValueError:
        return "not an IP address"
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    for reason, flag in (("unspecified", ip.is_unspecified), ("loopback", ip.is_loopback),
                         ("link-local", ip.is_link_local), ("multicast", ip.is_multicast),
                         ("reserved", ip.is_reserved), ("private", ip.is_private)):
        if flag:
            return reason
    return None if ip.is_global else "not public"


def is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    return True


def url_origin(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) of an absolute URL, the host lower-cased; ValueError when it has none."""
    parts = urlsplit(url)
    host = (parts.hostname or "").rstrip(".")
    if parts.scheme not in DEFAULT_PORTS or not host:
        raise ValueError("not an absolute http(s) URL")
    return parts.scheme, host, parts.port or DEFAULT_PORTS[parts.scheme]


class HostPolicy:
    """Where a spider's requests may go. ``allowed_hosts``: the host names (or IP literals) of the site;
    ``base_url``: the crawl's base, whose port is allowed besides 80 and 443, and which, when loopback,
    narrows the whole policy to its exact host and port."""

    def __init__(self, base_url: str, allowed_hosts: set[str] | frozenset[str]):
        _, host, port = url_origin(base_url)
        self.allowed_hosts = frozenset(name.lower().rstrip(".") for name in allowed_hosts) | {host}
        self.ports = {port, *DEFAULT_PORTS.values()}
        self.loopback_origin = (host, port) if host == "localhost" or address_refusal(host) == "loopback" else None

    def refusal(self, url: str) -> str | None:
        """Why the URL must not be fetched (a short reason, used in stats), or None."""
        try:
            _, host, port = url_origin(url)
        except ValueError:
            return "not an http(s) URL"
        if (host, port) == self.loopback_origin:
            return None
        if is_ip_literal(host) and (reason := address_refusal(host)) is not None:
            return reason
        if host == "localhost" or host.endswith(".localhost"):
            return "loopback"
        if self.loopback_origin is not None:
            return "not the loopback base URL"
        if host not in self.allowed_hosts:
            return "off-site host"
        if port not in self.ports:
            return "port"
        return None


def original_url(request: Request) -> str:
    """The URL the spider asked for: the first of a redirect chain."""
    return (request.meta.get("redirect_urls") or [request.url])[0]


class RequestPolicyMiddleware:
    """Downloader middleware; refusals counted as ``policy/refused/<reason>``, article redirects kept as
    ``policy/redirect/same_article``."""

    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.stats = crawler.stats
        self.policy: HostPolicy | None = None
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RequestPolicyMiddleware:
        return cls(crawler)

    def spider_opened(self, spider: QASpider) -> None:
        self.policy = HostPolicy(spider.base_url, spider.allowed_hosts)
        if self.policy.loopback_origin is not None:
            LOOPBACK_ORIGIN_HOSTS.add(self.policy.loopback_origin[0])

    def refuse(self, request: Request, reason: str, *, redirect: bool) -> RefusedRequest:
        self.stats.inc_value(f"policy/refused/{reason}")
        open_spider(self.crawler).logger.info("request policy refused %s: %s", request.url, reason)
        return RefusedRequest(request.url, reason, redirect=redirect)

    def process_request(self, request: Request) -> None:
        assert self.policy is not None, "the spider is not open"
        redirected = bool(request.meta.get("redirect_urls"))
        reason = self.policy.refusal(request.url)
        if reason is not None:
            raise self.refuse(request, reason, redirect=redirected)
        if redirected and request.meta.get("article"):
            site = open_spider(self.crawler).site
            if site.source_id_from_url(request.url) != site.source_id_from_url(original_url(request)):
                raise self.refuse(request, "redirect to another page", redirect=True)
            self.stats.inc_value("policy/redirect/same_article")


class GuardedResolver(CachingThreadedResolver):
    """Scrapy's caching resolver, refusing a name that resolves to an address that is not public (a DNS
    answer of 10.0.0.5 or 169.254.169.254 for a public-looking name), except the loopback base URL's host.
    The address checked is the very one the download handler connects to. IP literals pass: Twisted hands
    them to the resolver too, and the middleware has judged them already. Twisted reports a refusal as
    "Couldn't find the hostname", which the spider turns into a fetch reject; the log says why."""

    def getHostByName(self, name: str, timeout: Any = ()) -> defer.Deferred[str]:
        return super().getHostByName(name, timeout).addCallback(self._checked, name)

    @staticmethod
    def _checked(address: str, name: str) -> str:
        reason = address_refusal(address)
        if reason is None or is_ip_literal(name) or name.lower().rstrip(".") in LOOPBACK_ORIGIN_HOSTS:
            return address
        message = f"{name} resolves to {address}, a {reason} address"
        logger.warning("request policy refused %s", message)
        RESOLVER_REFUSALS[name.lower().rstrip(".")] = message
        raise DNSLookupError(message)
