"""Faults a sandbox server injects, so crawlers prove their retries, timeouts and reject paths.

Transient faults are bounded: a URL (path and query) suffers at most `max_faults_per_url` of them over the
server's life, so a crawler that retries that often plus once gets every page. Whether attempt n at a URL
faults, and how, is a pure function of (seed, URL, n); the server only counts attempts. `malformed` is
permanent instead: a fixed share of article URLs always answer 200 with garbage, and become parse rejects.
`/robots.txt` is never faulted: crawlers read it once and give up on the site when it fails.
"""

from __future__ import annotations

import hashlib
import math
import random
import string
import threading
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, fields
from typing import Any

Response = tuple[int, dict[str, str], bytes]

TRANSIENT_KINDS = ("server_error", "too_many_requests", "slow", "drop", "truncate")
FAULT_KINDS = (*TRANSIENT_KINDS, "malformed")


def _uniform(key: str) -> float:
    """A draw in [0, 1) from a key: the same across processes and interpreter hash seeds."""
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "big") / 2**64


@dataclass(frozen=True, slots=True)
class FaultPlan:
    """Rates in [0, 1]: per request for the transient kinds (which share one draw, so they sum to at most 1),
    per article URL for `malformed`. A slow response waits `slow_seconds` before its first byte: set a
    crawler's download timeout below it to see timeouts, above it to see merely slow pages."""

    seed: int = 0
    server_error: float = 0.0  # 503 or 500
    too_many_requests: float = 0.0  # 429 with Retry-After: 1
    slow: float = 0.0
    drop: float = 0.0  # the connection closes without a response
    truncate: float = 0.0  # full Content-Length, part of the body, then the connection closes
    malformed: float = 0.0  # a 200 page of garbage, on every attempt
    slow_seconds: float = 3.0
    max_faults_per_url: int = 2

    def __post_init__(self) -> None:
        for kind in FAULT_KINDS:
            if not 0 <= getattr(self, kind) <= 1:
                raise ValueError(f"fault rate {kind} must be between 0 and 1, not {getattr(self, kind)}")
        if sum(getattr(self, kind) for kind in TRANSIENT_KINDS) > 1 + 1e-9:
            raise ValueError(f"the rates of {', '.join(TRANSIENT_KINDS)} add up to more than 1")
        if not (math.isfinite(self.slow_seconds) and self.slow_seconds >= 0):
            raise ValueError(f"slow_seconds must be a finite number >= 0, not {self.slow_seconds}")
        if self.max_faults_per_url < 0:
            raise ValueError(f"max_faults_per_url must be >= 0, not {self.max_faults_per_url}")

    @classmethod
    def parse(cls, text: str) -> FaultPlan:
        """A plan from `name=value,…` as a command line takes it, e.g. `server_error=0.05,drop=0.02,seed=3`:
        any rate, `seed`, `slow_seconds` or `max_faults_per_url`; the others stay at their defaults."""
        types: dict[str, type] = {field.name: type(field.default) for field in fields(cls)}
        values: dict[str, Any] = {}  # each an int or a float, as its field's default
        for item in text.split(","):
            name, equals, value = (part.strip() for part in item.partition("="))
            if not equals or name not in types:
                expected = f"NAME=VALUE, NAME one of {', '.join(types)}"
                raise ValueError(f"bad fault setting {item.strip()!r}: expected {expected}")
            if name in values:
                raise ValueError(f"fault setting {name} is given twice")
            try:
                values[name] = types[name](value)
            except ValueError:
                kind = "an integer" if types[name] is int else "a number"
                raise ValueError(f"fault setting {name} must be {kind}, not {value!r}") from None
        return cls(**values)

    def transient(self, url: str, attempt: int) -> str | None:
        """The fault attempt `attempt` (from 1) at `url` draws, before the URL's budget is applied."""
        draw = _uniform(f"{self.seed}:{url}:{attempt}")
        for kind in TRANSIENT_KINDS:
            draw -= getattr(self, kind)
            if draw < 0:
                return kind
        return None

    def is_malformed(self, url: str) -> bool:
        """Whether this URL, if it is an article's, is one of the permanently garbled pages."""
        return _uniform(f"{self.seed}:malformed:{url}") < self.malformed


@dataclass(frozen=True, slots=True)
class Delivery:
    """How a server answers one request: the response, a wait before it, and where it hangs up."""

    status: int
    headers: dict[str, str]
    body: bytes
    delay: float = 0.0
    drop: bool = False  # close without sending anything
    cut: int | None = None  # send only this many body bytes, then close


def _html(status: int, body: bytes, **headers: str) -> Delivery:
    headers = {"Content-Type": "text/html; charset=utf-8", "Content-Length": str(len(body)), **headers}
    return Delivery(status, headers, body)


def _error(status: int, reason: str, **headers: str) -> Delivery:
    page = f"<!DOCTYPE html>\n<html><head><title>{status} {reason}</title></head>\n"
    page += f"<body><h1>{reason}</h1></body></html>\n"
    return _html(status, page.encode(), **headers)


def _garbage(key: str) -> bytes:
    """Binary noise (a corrupt cache entry) or tag soup of nonsense words: never a label a parser anchors on."""
    rng = random.Random(key)
    if rng.random() < 0.5:
        return rng.randbytes(rng.randint(512, 4096))
    tags = ("div", "p", "span", "td", "b", "font", "li")
    words = (
        f"<{rng.choice(tags)}>{''.join(rng.choices(string.ascii_lowercase, k=rng.randint(2, 9)))}"
        for _ in range(rng.randint(80, 400))
    )
    return ("<html><body><table>" + " ".join(words) + "</tr></p>").encode()


class FaultInjector:
    """One server's faults: attempts and faults per URL, and a count of what was injected."""

    def __init__(self, plan: FaultPlan, malformable_paths: Iterable[str]):
        self.plan = plan
        self.malformed = frozenset(path for path in malformable_paths if plan.is_malformed(path))
        self.injected: Counter[str] = Counter()
        self._attempts: Counter[str] = Counter()
        self._faults: Counter[str] = Counter()
        self._lock = threading.Lock()

    def _next_fault(self, url: str) -> tuple[str, int] | None:
        with self._lock:
            self._attempts[url] += 1
            attempt = self._attempts[url]
            kind = self.plan.transient(url, attempt) if self._faults[url] < self.plan.max_faults_per_url else None
            if kind is not None:
                self._faults[url] += 1
            elif url in self.malformed:
                kind = "malformed"
            if kind is not None:
                self.injected[kind] += 1
        return None if kind is None else (kind, attempt)

    def deliver(self, url: str, response: Response) -> Delivery:
        """`url` is the request's path and query; `response` what the site would answer."""
        fault = None if url.partition("?")[0] == "/robots.txt" else self._next_fault(url)
        if fault is None:
            return Delivery(*response)
        kind, attempt = fault
        detail = _uniform(f"{self.plan.seed}:{url}:{attempt}:detail")  # 503 or 500, where to cut
        status, headers, body = response
        if kind == "server_error":
            return _error(503, "Service Unavailable") if detail < 0.5 else _error(500, "Internal Server Error")
        if kind == "too_many_requests":
            return _error(429, "Too Many Requests", **{"Retry-After": "1"})
        if kind == "slow":
            return Delivery(status, headers, body, delay=self.plan.slow_seconds)
        if kind == "drop":
            return Delivery(status, headers, body, drop=True)
        if kind == "truncate":
            cut = min(int(len(body) * (0.1 + 0.8 * detail)), max(0, len(body) - 1))
            return Delivery(status, headers, body, cut=cut)
        return _html(200, _garbage(f"{self.plan.seed}:{url}:garbage"))
