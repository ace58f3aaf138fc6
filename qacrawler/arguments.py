"""Checks of what a user gives on the command line or as spider arguments: one line saying what is wrong and
how to fix it (UsageError), never a traceback. Shared by the CLI and the spiders (``scrapy crawl -a``)."""

from __future__ import annotations

from urllib.parse import urlsplit

from qacrawler.page.sites.fields import MAX_INT_DIGITS, parse_int


class UsageError(ValueError):
    """An argument is wrong; the message says how to fix it."""


def check_base_url(base_url: str) -> str:
    base_url = base_url.strip().rstrip("/")
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(f"base URL {base_url!r} is not an http(s) URL; give one like http://127.0.0.1:8080")
    return base_url


def check_id_range(min_id: str | int | None, max_id: str | int | None) -> range | None:
    if min_id is None and max_id is None:
        return None
    if min_id is None or max_id is None or not str(min_id).isdigit() or not str(max_id).isdigit():
        raise UsageError("give both the minimum and the maximum id as whole numbers (min_id=1000 max_id=2000)")
    if parse_int(str(min_id)) is None or parse_int(str(max_id)) is None:
        raise UsageError(f"give ids as whole numbers of at most {MAX_INT_DIGITS} digits")
    if int(min_id) > int(max_id):
        raise UsageError(f"the minimum id {min_id} is greater than the maximum id {max_id}")
    return range(int(min_id), int(max_id) + 1)
