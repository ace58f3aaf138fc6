"""Serve a sandbox site over HTTP on loopback, counting what a crawler fetched."""

from __future__ import annotations

import collections
import sys
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from urllib.parse import parse_qs, urlsplit

from qacrawler.sandbox.doctorqna import DoctorQnaSite


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
        target = urlsplit(self.path)
        host = self.headers.get("Host") or "{}:{}".format(*self.server.server_address[:2])
        status, headers, body = self.server.site.render(
            target.path,
            parse_qs(target.query, keep_blank_values=True, encoding=getattr(self.server.site, "query_encoding", "utf-8")),
            base_url=f"http://{host}",
        )
        self.server.record_hit(target.path)
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        if with_body:
            self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Silent: a crawl of 100,000 pages would otherwise flood stderr."""


class _SiteHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # the default 5 drops a crawler's burst of connects: each retry waits a second

    def __init__(self, address: tuple[str, int], site: DoctorQnaSite, record_hit: Callable[[str], None]):
        super().__init__(address, _Handler)
        self.site = site
        self.record_hit = record_hit

    def handle_error(self, request: object, client_address: object) -> None:
        """A client hanging up mid-response is normal for crawlers; anything else is a sandbox bug."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class SandboxServer:
    """A site served in a background thread; `hits` counts requests per URL path (query left out)."""

    def __init__(self, site: DoctorQnaSite, host: str = "127.0.0.1", port: int = 0):
        self.site, self.host, self.port = site, host, port
        self.hits: collections.Counter[str] = collections.Counter()
        self._hits_lock = threading.Lock()
        self._httpd: _SiteHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        if self._httpd is None:
            raise RuntimeError("the sandbox server is not started")
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def _record_hit(self, path: str) -> None:
        with self._hits_lock:
            self.hits[path] += 1

    def start(self) -> SandboxServer:
        self._httpd = _SiteHTTPServer((self.host, self.port), self.site, self._record_hit)
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


def serve_forever(pages: int = 1200, seed: int = 7, port: int = 0, host: str = "127.0.0.1") -> None:
    """For the CLI: serve until Ctrl-C, printing the base URL once so scripts can pick it up."""
    with SandboxServer(DoctorQnaSite(pages=pages, seed=seed), host=host, port=port) as server:
        try:  # the print too: a client may read the URL and send Ctrl-C before the wait begins
            print(server.base_url, flush=True)
            threading.Event().wait()
        except KeyboardInterrupt:
            pass
