"""Why requests failed, from the downloader's stats: an operator must tell a site that is down from a redesign.

Scrapy counts every failed download attempt as `downloader/exception_type_count/<exception class path>` and
every response as `downloader/response_status_count/<code>`; this groups them by cause for the manifest's
`fetch_failures` block and the one line the command line prints. Counts are attempts (a retried request
fails up to RETRY_TIMES + 1 times); `gave_up` counts the requests the retry middleware abandoned. The
requests this project's own middlewares decline (an unchanged page skipped, a refused host, a postponed
retry) reach the same counter as exceptions, but they are decisions, counted under their own stats: not here.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

EXCEPTION_PREFIX = "downloader/exception_type_count/"
OWN_DECISIONS = "qacrawler."  # the module path of the exceptions our middlewares raise to decline a request
STATUS_PREFIX = "downloader/response_status_count/"
# Exception class names (the last part of the path Scrapy counts) by cause; any other counts as "other".
CAUSES = {
    "DownloadConnectionRefusedError": "refused",  # Scrapy's own names for Twisted's errors
    "CannotResolveHostError": "dns",
    "DownloadTimeoutError": "timeout",
    "DownloadFailedError": "connection_lost",
    "ResponseDataLossError": "connection_lost",
    "ConnectionRefusedError": "refused",
    "DNSLookupError": "dns",
    "TimeoutError": "timeout",
    "TCPTimedOutError": "timeout",
    "SSLError": "tls",
    "ConnectionLost": "connection_lost",
    "ConnectionDone": "connection_lost",
    "ResponseNeverReceived": "connection_lost",
    "ResponseFailed": "connection_lost",
    "ConnectError": "connect",
    "NoRouteError": "connect",
}
# Order and wording of the summary line, most telling first.
PHRASES = {
    "refused": "refused the connection",
    "dns": "failed the DNS lookup",
    "timeout": "timed out",
    "tls": "failed the TLS handshake",
    "connect": "could not connect",
    "connection_lost": "lost the connection",
    "other": "failed otherwise",
}
HINTS = {
    "refused": "check --base-url and that the site is up",
    "dns": "check the host name in --base-url and this machine's DNS",
    "timeout": "check the network, or raise -s DOWNLOAD_TIMEOUT=",
    "tls": "check the site's certificate and the URL's scheme",
}


def fetch_failures(stats: dict[str, Any]) -> dict[str, Any]:
    """Failed attempts by cause, HTTP error statuses by code, requests given up after retries, and the
    exception classes as Scrapy counted them."""
    causes: dict[str, int] = {}
    exceptions: dict[str, int] = {}
    for key, count in stats.items():
        if key.startswith(EXCEPTION_PREFIX):
            path = key.removeprefix(EXCEPTION_PREFIX)
            if path.startswith(OWN_DECISIONS):
                continue
            exceptions[path] = count
            cause = "tls" if "SSL" in path else CAUSES.get(path.rsplit(".", 1)[-1], "other")
            causes[cause] = causes.get(cause, 0) + count
    statuses = {key.removeprefix(STATUS_PREFIX): count for key, count in stats.items()
                if key.startswith(STATUS_PREFIX) and int(key.removeprefix(STATUS_PREFIX)) >= 400}
    return {"causes": dict(sorted(causes.items())), "http_status": dict(sorted(statuses.items())),
            "gave_up": stats.get("retry/max_reached", 0), "exceptions": dict(sorted(exceptions.items()))}


def failure_line(failures: dict[str, Any], responses: int, base_url: str | None) -> str | None:
    """One line naming why requests failed, with a "Try:" hint when one cause explains it; None when none failed.

    With no response at all the site is called unreachable: nothing this run says about its pages can be
    read as a change of the site.
    """
    parts = [f"{failures['causes'][cause]} {PHRASES[cause]}" for cause in PHRASES if failures["causes"].get(cause)]
    parts += [f"{count} got HTTP {code}" for code, count in failures["http_status"].items()]
    if not parts:
        return None
    host = urlsplit(base_url).netloc if base_url else ""
    where = f" ({host})" if host else ""
    line = f"{'site unreachable' if responses == 0 else 'fetch failures'}: {_attempts(parts[0])}"
    line += "".join(f", {part}" for part in parts[1:]) + where
    if failures["gave_up"]:
        requests = "request" if failures["gave_up"] == 1 else "requests"
        line += f"; {failures['gave_up']} {requests} given up after retries"
    causes = [cause for cause in PHRASES if failures["causes"].get(cause)]
    if len(causes) == 1 and causes[0] in HINTS:
        line += f"; Try: {HINTS[causes[0]]}"
    return line


def _attempts(part: str) -> str:
    count, _, rest = part.partition(" ")
    return f"{count} {'attempt' if count == '1' else 'attempts'} {rest}"
