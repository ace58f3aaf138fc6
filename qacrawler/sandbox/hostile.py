"""A hostile doctorqna mirror: the network tricks a crawler pointed at unknown sites must survive.

Chosen articles redirect (to themselves under another URL, to another article, to another host, to the
cloud metadata address), answer 429/503 with a Retry-After (short, as an HTTP date, or far over any cap),
send 200 MB bodies (with and without a Content-Length) or a gzip bomb. `HostileSite.expected_outcomes()`
says how each article must end in a crawler's article ledger; `OtherHost` is the "other host", a listener
that counts every connection it gets and answers each with a copy of nothing a crawler should store.
Streamed bodies are generated as they are sent, and the bomb is 2,048 gzip members of 1 MiB of zeros each
(2 MiB on the wire), so the sandbox stays small.
"""

from __future__ import annotations

import functools
import gzip
import random
import socketserver
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, fields
from email.utils import formatdate
from time import time
from types import TracebackType
from typing import Any

from qacrawler.sandbox.doctorqna import DoctorQnaSite

Response = tuple[int, dict[str, Any], Any]  # the body is bytes, or an iterator of bytes for a streamed one

METADATA_URL = "http://169.254.169.254/latest/meta-data/"
# How a crawler's article ledger must record an article that plays each trick.
TRICK_OUTCOMES = {
    "same_article": "recorded",  # 301 to the same article with ?utm=1 or a trailing slash
    "retry_after": "recorded",  # one 429 with Retry-After in seconds, then the page
    "retry_after_date": "recorded",  # one 503 with Retry-After as an HTTP date, then the page
    "other_article": "rejected",  # 302 to another article
    "other_host": "rejected",  # 302 to the same path on OtherHost
    "metadata": "rejected",  # 302 to the cloud metadata address
    "huge": "rejected",  # 200 with Content-Length: huge_bytes
    "huge_unsized": "rejected",  # 200 streaming huge_bytes without a Content-Length
    "bomb": "rejected",  # 200, Content-Encoding: gzip, bomb_bytes of zeros once decompressed
    "retry_after_long": "deferred",  # 429 with Retry-After: retry_after_long_seconds, every time
}
TRICKS = tuple(TRICK_OUTCOMES)
CHUNK = 1 << 20


@dataclass(frozen=True, slots=True)
class HostilePlan:
    """How many articles play each trick (chosen by `seed`), and the tricks' sizes and waits."""

    seed: int = 0
    same_article: int = 0
    retry_after: int = 0
    retry_after_date: int = 0
    other_article: int = 0
    other_host: int = 0
    metadata: int = 0
    huge: int = 0
    huge_unsized: int = 0
    bomb: int = 0
    retry_after_long: int = 0
    retry_after_seconds: int = 1
    retry_after_long_seconds: int = 3600
    huge_bytes: int = 200_000_000
    bomb_mib: int = 2048

    def __post_init__(self) -> None:
        for field in fields(self):
            if field.name != "seed" and getattr(self, field.name) < 0:
                raise ValueError(f"hostile setting {field.name} must be >= 0, not {getattr(self, field.name)}")

    @classmethod
    def parse(cls, text: str) -> HostilePlan:
        """From `name=N,…` as the command line takes it: a count per trick (`all=N` for every trick), `seed`,
        or a size or wait; e.g. `all=1,seed=3` or `other_host=2,bomb=1`."""
        names = {field.name for field in fields(cls)}
        values: dict[str, int] = {}
        for item in text.split(","):
            name, equals, value = (part.strip() for part in item.partition("="))
            if not equals or (name not in names and name != "all"):
                raise ValueError(f"bad hostile setting {item.strip()!r}: expected NAME=N, NAME one of all, "
                                 f"{', '.join(sorted(names))}")
            if not value.lstrip("-").isdigit():
                raise ValueError(f"hostile setting {name} must be a whole number, not {value!r}")
            for key in TRICKS if name == "all" else (name,):
                values[key] = int(value)
        return cls(**values)

    def tricked(self) -> int:
        return sum(getattr(self, trick) for trick in TRICKS)


@functools.cache
def gzip_bomb(mebibytes: int) -> bytes:
    """`mebibytes` MiB of zeros as concatenated gzip members (a valid gzip stream), about 1 KiB per MiB."""
    return gzip.compress(bytes(CHUNK), compresslevel=9, mtime=0) * mebibytes


def streamed(size: int) -> Iterator[bytes]:
    """`size` bytes of HTML-ish filler, generated as they are sent."""
    yield b"<!DOCTYPE html><html><body><p>"
    left = size - 30
    while left > 0:
        yield b" " * min(CHUNK, left)
        left -= CHUNK


def _page(status: int, text: str, **headers: str) -> Response:
    body = f"<!DOCTYPE html><html><head><title>{status}</title></head><body><p>{text}</p></body></html>\n".encode()
    return status, {"Content-Type": "text/html; charset=utf-8", "Content-Length": str(len(body)), **headers}, body


class HostileSite:
    """A doctorqna mirror whose chosen articles play tricks; every other page is the mirror's own. Tricks go
    to good articles that link no orphan (so every article stays reachable)."""

    def __init__(self, site: DoctorQnaSite, plan: HostilePlan, other_host_url: str):
        self.site, self.plan, self.other_host_url = site, plan, other_host_url.rstrip("/")
        broken = {f"/en/article/{article_id}" for article_id in site.broken()}
        eligible = [path for path in site.malformable_paths() if path not in broken]
        if plan.tricked() > len(eligible) - 1:  # one left as the target of other_article
            raise ValueError(f"the plan tricks {plan.tricked()} articles; this mirror has {len(eligible) - 1} to spare")
        random.Random(f"{plan.seed}:hostile").shuffle(eligible)
        self.tricks: dict[str, str] = {}
        for trick in TRICKS:
            for _ in range(getattr(plan, trick)):
                self.tricks[eligible.pop()] = trick
        self.untricked = eligible[0]
        self.attempts: Counter[str] = Counter()
        self._lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:
        """The mirror's own API (truth, article_ids, broken, …) passes through."""
        return getattr(self.site, name)

    def expected_outcomes(self) -> dict[int, str]:
        """Article id -> how a crawl's article ledger must record it: recorded, rejected or deferred."""
        broken = self.site.broken()
        outcomes = {}
        for article_id in self.site.article_ids():
            trick = self.tricks.get(f"/en/article/{article_id}")
            outcomes[article_id] = (TRICK_OUTCOMES[trick] if trick
                                    else "rejected" if article_id in broken else "recorded")
        return outcomes

    def articles_playing(self, trick: str) -> list[int]:
        return sorted(int(path.rsplit("/", 1)[1]) for path, played in self.tricks.items() if played == trick)

    def render(self, path: str, query: dict[str, list[str]], *, base_url: str) -> Response:
        trick = self.tricks.get(path.rstrip("/"))
        if trick is None:
            return self.site.render(path, query, base_url=base_url)
        with self._lock:
            self.attempts[path] += 1
            attempt = self.attempts[path]
        return getattr(self, f"_{trick}")(path, query, base_url, attempt)

    def _same_article(self, path: str, query: dict[str, list[str]], base_url: str, attempt: int) -> Response:
        canonical = path.rstrip("/")
        if path != canonical or "utm" in query:
            return self.site.render(canonical, {}, base_url=base_url)
        variant = f"{canonical}?utm=1" if int(canonical.rsplit("/", 1)[1]) % 2 else f"{canonical}/"
        return _page(301, "moved", Location=base_url + variant)

    def _retry_after(self, path: str, query: dict[str, list[str]], base_url: str, attempt: int) -> Response:
        if attempt > 1:
            return self.site.render(path, query, base_url=base_url)
        return _page(429, "slow down", **{"Retry-After": str(self.plan.retry_after_seconds)})

    def _retry_after_date(self, path: str, query: dict[str, list[str]], base_url: str, attempt: int) -> Response:
        if attempt > 1:
            return self.site.render(path, query, base_url=base_url)
        when = formatdate(time() + self.plan.retry_after_seconds + 1, usegmt=True)  # +1: the date has whole seconds
        return _page(503, "maintenance", **{"Retry-After": when})

    def _retry_after_long(self, path: str, query: dict[str, list[str]], base_url: str, attempt: int) -> Response:
        return _page(429, "come back tomorrow", **{"Retry-After": str(self.plan.retry_after_long_seconds)})

    def _other_article(self, path: str, query: dict[str, list[str]], base_url: str, attempt: int) -> Response:
        return _page(302, "elsewhere", Location=base_url + self.untricked)

    def _other_host(self, path: str, query: dict[str, list[str]], base_url: str, attempt: int) -> Response:
        return _page(302, "elsewhere", Location=self.other_host_url + path)

    def _metadata(self, path: str, query: dict[str, list[str]], base_url: str, attempt: int) -> Response:
        return _page(302, "elsewhere", Location=METADATA_URL)

    def _huge(self, path: str, query: dict[str, list[str]], base_url: str, attempt: int) -> Response:
        headers = {"Content-Type": "text/html; charset=utf-8", "Content-Length": str(self.plan.huge_bytes)}
        return 200, headers, streamed(self.plan.huge_bytes)

    def _huge_unsized(self, path: str, query: dict[str, list[str]], base_url: str, attempt: int) -> Response:
        return 200, {"Content-Type": "text/html; charset=utf-8", "Connection": "close"}, streamed(self.plan.huge_bytes)

    def _bomb(self, path: str, query: dict[str, list[str]], base_url: str, attempt: int) -> Response:
        body = gzip_bomb(self.plan.bomb_mib)
        return 200, {"Content-Type": "text/html; charset=utf-8", "Content-Encoding": "gzip",
                     "Content-Length": str(len(body))}, body


class _CountingHandler(socketserver.BaseRequestHandler):
    server: _CountingServer

    def handle(self) -> None:
        self.server.count()
        self.request.settimeout(2)
        try:
            self.request.recv(65536)
            body = b"<html><body><p>a page on another host: a crawler must never store it</p></body></html>"
            self.request.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nConnection: close\r\n"
                                 b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
        except OSError:
            pass


class _CountingServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], count: Any):
        super().__init__(address, _CountingHandler)
        self.count = count


class OtherHost:
    """A listener standing for another host: `connections` counts every connection it accepted."""

    def __init__(self, host: str = "127.0.0.1"):
        self.connections = 0
        self._lock = threading.Lock()
        self._server = _CountingServer((host, 0), self._count)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="sandbox-other-host", daemon=True)

    def _count(self) -> None:
        with self._lock:
            self.connections += 1

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> OtherHost:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def __enter__(self) -> OtherHost:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.stop()
