"""Serve a sandbox site over HTTP on loopback, counting what a crawler fetched and, on request, injecting faults
and network latency."""

from __future__ import annotations

import collections
import math
import socket
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Protocol
from urllib.parse import parse_qs, urlsplit

from qacrawler.sandbox.faults import Delivery, FaultInjector, FaultPlan, Response, _uniform


class Site(Protocol):
    """What the server needs of a site. Optional: `query_encoding` (how to decode query strings, default
    UTF-8) and `malformable_paths()`, the article URLs `malformed` faults may garble (needed for those)."""

    def render(self, path: str, query: dict[str, list[str]], *, base_url: str) -> Response: ...


@dataclass(frozen=True, slots=True)
class Latency:
    """A network's delay before each response's first byte: ``seconds`` plus or minus up to ``jitter``.

    On loopback no request waits on the network, so a sequential client looks almost as fast as a
    concurrent one; a real site is tens of milliseconds away. The delay of attempt n at a URL is a pure
    function of (seed, URL, n), like the faults', so a run is repeatable whatever order requests arrive in.
    """

    seconds: float = 0.0
    jitter: float = 0.0
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("seconds", "jitter"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value >= 0):
                raise ValueError(f"latency {name} must be a finite number >= 0, not {value}")
        if self.jitter > self.seconds:
            raise ValueError(f"the jitter ({self.jitter:g} s) is larger than the latency ({self.seconds:g} s)")

    def delay(self, url: str, attempt: int) -> float:
        """Seconds attempt ``attempt`` (from 1) at ``url`` (path and query) waits, within seconds ± jitter."""
        if not self.jitter:
            return self.seconds
        return self.seconds + self.jitter * (2 * _uniform(f"{self.seed}:latency:{url}:{attempt}") - 1)


class _Handler(BaseHTTPRequestHandler):
    server: _SiteHTTPServer
    server_version = "qacrawler-sandbox/1"
    protocol_version = "HTTP/1.1"  # keep-alive: a benchmark crawl makes tens of thousands of requests
    disable_nagle_algorithm = True  # headers and body leave in two writes: Nagle would stall each reply 40 ms

    def do_GET(self) -> None:
        self._respond(with_body=True)

    def do_HEAD(self) -> None:
        self._respond(with_body=False)

    def _respond(self, *, with_body: bool) -> None:
        """Faults hit GET only: a HEAD request is a check, not a page fetch."""
        target = urlsplit(self.path)
        host = self.headers.get("Host") or "{}:{}".format(*self.server.server_address[:2])
        response = self.server.site.render(
            target.path,
            parse_qs(target.query, keep_blank_values=True,
                     encoding=getattr(self.server.site, "query_encoding", "utf-8")),
            base_url=f"http://{host}",
        )
        self.server.record_hit(target.path)
        url = target.path + (f"?{target.query}" if target.query else "")
        delivery = self.server.deliver(url, response) if with_body else Delivery(*response)
        delay = delivery.delay + self.server.network_delay(url)
        if delay:
            time.sleep(delay)  # this connection's thread only: the server answers others meanwhile
        if delivery.drop:
            self.close_connection = True
            return
        self.send_response(delivery.status)
        for name, value in delivery.headers.items():
            self.send_header(name, value)
        if isinstance(delivery.body, bytes) and not any(name.lower() == "content-length" for name in delivery.headers):
            self.send_header("Content-Length", str(len(delivery.body)))  # a keep-alive client waits for it otherwise
        self.end_headers()
        if with_body and isinstance(delivery.body, bytes):
            self.wfile.write(delivery.body[: delivery.cut])
        elif with_body:  # a body generated as it is sent (qacrawler.sandbox.hostile)
            for chunk in delivery.body:
                self.wfile.write(chunk)
        if delivery.cut is not None:
            self.close_connection = True

    def log_message(self, format: str, *args: object) -> None:
        """Silent: a crawl of 100,000 pages would otherwise flood stderr."""


class _SiteHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # the default 5 drops a crawler's burst of connects: each retry waits a second

    def __init__(
        self,
        address: tuple[str, int],
        site: Site,
        record_hit: Callable[[str], None],
        deliver: Callable[[str, Response], Delivery],
        network_delay: Callable[[str], float],
    ):
        super().__init__(address, _Handler)
        self.site = site
        self.record_hit = record_hit
        self.deliver = deliver
        self.network_delay = network_delay

    def handle_error(self, request: socket.socket | tuple[bytes, socket.socket], client_address: Any) -> None:
        """A client hanging up mid-response is normal for crawlers; anything else is a sandbox bug."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class SandboxServer:
    """A site served in a background thread; `hits` counts requests per URL path (query left out), faulted
    ones included. With a `FaultPlan`, `faults_injected` counts the faults by kind; the malformed articles are
    chosen when the server is made, so articles a later `revise` adds are never malformed. With a `Latency`,
    every response (HEAD and robots.txt too) waits its delay first, on top of a `slow` fault's;
    `network_attempts` counts requests per URL (path and query) and `network_wait_seconds` sums the delays."""

    def __init__(self, site: Site, host: str = "127.0.0.1", port: int = 0, *, faults: FaultPlan | None = None,
                 latency: Latency | None = None):
        self.site, self.host, self.port, self.faults, self.latency = site, host, port, faults, latency
        self.hits: collections.Counter[str] = collections.Counter()
        self.network_attempts: collections.Counter[str] = collections.Counter()
        self.network_wait_seconds = 0.0
        self.faults_injected: collections.Counter[str] = collections.Counter()
        self._injector: FaultInjector | None = None
        if faults is not None:
            malformable = getattr(site, "malformable_paths", None)
            if faults.malformed and malformable is None:
                raise ValueError("malformed faults need the site's malformable_paths(): only articles are garbled")
            self._injector = FaultInjector(faults, malformable() if faults.malformed and malformable else ())
            self.faults_injected = self._injector.injected
        self._hits_lock = threading.Lock()
        self._httpd: _SiteHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        if self._httpd is None:
            raise RuntimeError("the sandbox server is not started")
        return f"http://{self.host}:{self._httpd.server_port}"

    def malformed_paths(self) -> list[str]:
        """The article URLs that always answer garbage: a crawl must count each as a parse reject."""
        return sorted(self._injector.malformed) if self._injector else []

    def _record_hit(self, path: str) -> None:
        with self._hits_lock:
            self.hits[path] += 1

    def _network_delay(self, url: str) -> float:
        if self.latency is None:
            return 0.0
        with self._hits_lock:
            self.network_attempts[url] += 1
            delay = self.latency.delay(url, self.network_attempts[url])
            self.network_wait_seconds += delay
        return delay

    def _deliver(self, url: str, response: Response) -> Delivery:
        return self._injector.deliver(url, response) if self._injector else Delivery(*response)

    def start(self) -> SandboxServer:
        self._httpd = _SiteHTTPServer((self.host, self.port), self.site, self._record_hit, self._deliver,
                                      self._network_delay)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="sandbox-http", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is None or self._thread is None:
            return
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join()
        self._thread = None

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()


def serve_forever(site: Site, port: int = 0, host: str = "127.0.0.1", faults: FaultPlan | None = None,
                  latency: Latency | None = None, announce: Callable[[str], None] | None = None) -> None:
    """For the CLI: serve until Ctrl-C, printing the base URL once so scripts can pick it up; `announce`
    receives it too, to tell a person how to crawl the mirror."""
    with SandboxServer(site, host=host, port=port, faults=faults, latency=latency) as server:
        try:  # the print too: a client may read the URL and send Ctrl-C before the wait begins
            print(server.base_url, flush=True)
            if announce is not None:
                announce(server.base_url)
            threading.Event().wait()
        except KeyboardInterrupt:
            pass
