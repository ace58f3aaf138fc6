"""The benchmark's sandbox: the project's doctorqna mirror, pre-rendered, served from its own process.

``python -m benchmarks.sandbox --pages N --seed S`` builds ``DoctorQnaSite(N, S)``, serves it with
``SandboxServer`` on 127.0.0.1 and, before printing its base URL on stdout, renders every page a crawler
can reach (robots.txt, sitemaps, home, department listings, articles) once and keeps the bytes. Every
client then gets the same bytes at the same cost, whichever crawler asks first: the benchmark measures
the crawlers, not the page generator (about 0.35 ms a page). ``--live`` serves without the cache.
``--latency-ms`` and ``--jitter-ms`` make every response wait as a distant site's would
(qacrawler.sandbox.Latency). Stops on SIGTERM or SIGINT.
"""

from __future__ import annotations

import argparse
import re
import signal
import sys
import threading
import time
from collections import deque
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from qacrawler.sandbox import DoctorQnaSite, Latency, SandboxServer

_LINK = re.compile(r'(?:href="|<loc>)([^"<]+)')
Response = tuple[int, dict[str, str], bytes]


class PrerenderedSite:
    """A site whose responses are rendered once and then served from memory."""

    def __init__(self, site: DoctorQnaSite):
        self.site = site
        self.cache: dict[tuple[str, str, str], Response] = {}

    def render(self, path: str, query: dict[str, list[str]], *, base_url: str) -> Response:
        key = (path, repr(sorted(query.items())), base_url)
        response = self.cache.get(key)
        if response is None:
            response = self.cache[key] = self.site.render(path, query, base_url=base_url)
        return response

    def warm(self, base_url: str) -> list[str]:
        """Renders every page reachable from robots.txt, the sitemap and the home page; returns their paths
        (with query), in the order found."""
        queue, seen = deque(["/robots.txt", "/sitemap.xml", "/en/"]), {}
        while queue:
            target = queue.popleft()
            if target in seen:
                continue
            seen[target] = None
            parts = urlsplit(target)
            status, headers, body = self.render(parts.path, parse_qs(parts.query, keep_blank_values=True),
                                                base_url=base_url)
            if status != 200 or not headers.get("Content-Type", "").startswith(("text/html", "application/xml")):
                continue
            for link in _LINK.findall(body.decode("utf-8")):
                link = link.replace("&amp;", "&")
                if link.startswith(base_url):
                    link = link[len(base_url):]
                if link.startswith(("/en/article/", "/en/department/", "/sitemaps/")) and link not in seen:
                    queue.append(link)
        return list(seen)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.sandbox", description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--live", action="store_true", help="render every request (no cache)")
    parser.add_argument("--urls-out", type=Path, help="write the path of every reachable page here, one a line")
    parser.add_argument("--latency-ms", type=float, default=0.0, help="wait before every response (default 0)")
    parser.add_argument("--jitter-ms", type=float, default=0.0, help="... plus or minus up to this (default 0)")
    args = parser.parse_args(argv)
    latency = Latency(args.latency_ms / 1000, args.jitter_ms / 1000, seed=args.seed) if args.latency_ms else None
    site = DoctorQnaSite(pages=args.pages, seed=args.seed)
    served = site if args.live else PrerenderedSite(site)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    with SandboxServer(served, port=args.port, latency=latency) as server:
        started = time.perf_counter()
        paths = PrerenderedSite(site).warm(server.base_url) if args.live else served.warm(server.base_url)
        if args.urls_out:
            args.urls_out.write_text("".join(f"{path}\n" for path in paths))
        print(f"{len(paths)} pages reachable, rendered in {time.perf_counter() - started:.1f}s", file=sys.stderr,
              flush=True)
        print(server.base_url, flush=True)
        while not stop.wait(0.5):
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
