"""A sitemap `lastmod` as the span of time it can denote, and the rule that decides a re-fetch from it.

A site's `lastmod` is written by the site's clock at the site's precision: often a date only, sometimes
minutes or seconds, with or without a UTC offset. Comparing it with our own `crawled_at` misses edits
whenever the value is coarser than our clock (a date-only value stays older than a crawl made that
morning after an afternoon edit) or the site's clock runs behind ours. So the rule compares the site's
values with the site's values (the `lastmod` stored with the version we hold), and falls back to our clock
only at the value's own precision, with a tolerance for clock skew.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from dateutil import parser as dateparser
from dateutil.relativedelta import relativedelta

# Where on Earth a local time without an offset can be: UTC-12 to UTC+14.
_EARLIEST_OFFSET = timedelta(hours=14)
_LATEST_OFFSET = timedelta(hours=12)
# The date part and, when present, the time part as written: which fields the site gave says the precision.
_W3C = re.compile(
    r"^(?P<year>\d{4})(?:-(?P<month>\d\d)(?:-(?P<day>\d\d)"
    r"(?:[T ](?P<hour>\d\d)(?::(?P<minute>\d\d)(?::(?P<second>\d\d)(?P<fraction>[.,]\d+)?)?)?)?)?)?"
)


@dataclass(frozen=True, slots=True)
class Lastmod:
    """The instants (UTC) a `lastmod` value can mean: from `earliest` up to, not including, `latest`."""

    earliest: datetime
    latest: datetime

    @classmethod
    def parse(cls, text: str | None) -> Lastmod | None:
        """A W3C datetime of any precision (`2026`, `2026-11`, `2026-11-27`, `…T08:00Z`, `…T08:00:00.5+08:00`);
        None when there is none or it is not one."""
        text = (text or "").strip()
        match = _W3C.match(text)
        if match is None:
            return None
        try:
            value = dateparser.isoparse(text)
        except (ValueError, OverflowError):
            return None
        start = value.replace(tzinfo=None) if value.tzinfo is None else value.astimezone(UTC).replace(tzinfo=None)
        try:
            end = start + _period(match)
            if value.tzinfo is not None:
                return cls(start.replace(tzinfo=UTC), end.replace(tzinfo=UTC))
            return cls((start - _EARLIEST_OFFSET).replace(tzinfo=UTC), (end + _LATEST_OFFSET).replace(tzinfo=UTC))
        except OverflowError:  # year 1 or 9999 at the edge of what datetime holds
            return None


def _period(match: re.Match[str]) -> timedelta | relativedelta:
    if match["fraction"]:
        return timedelta(microseconds=max(1, 10 ** (6 - min(6, len(match["fraction"]) - 1))))
    for unit in ("second", "minute", "hour"):
        if match[unit]:
            return timedelta(**{f"{unit}s": 1})
    if match["day"]:
        return timedelta(days=1)
    return relativedelta(months=1) if match["month"] else relativedelta(years=1)


def same_value(first: str | None, second: str | None) -> bool:
    """Whether two `lastmod` values denote the same time: `…T08:00:00Z` and `…T08:00:00+00:00` do;
    values that do not parse are compared as written."""
    parsed_first, parsed_second = Lastmod.parse(first), Lastmod.parse(second)
    if parsed_first is None or parsed_second is None:
        return (first or "").strip() == (second or "").strip()
    return parsed_first == parsed_second


def refetch_reason(lastmod: str | None, stored_lastmod: str | None, checked_at: datetime,
                   tolerance: timedelta) -> str | None:
    """Why an article the dataset holds must be fetched again, given the sitemap's `lastmod` now, the
    `lastmod` seen when the stored version was last fetched (None when unknown) and when that was
    (`checked_at`, our clock); None when nothing says it changed.

    - `changed`: the site's value differs from the one we saw (any precision, any clock);
    - `within_precision`: the value we see now could denote a moment after our fetch, allowing the site's
      clock to run `tolerance` behind ours. A date-only value of the day we fetched a page says nothing
      about an edit made later that day, so such a page is fetched again until a fetch falls after the
      value's span; the same covers values stored before `lastmod` was kept.
    """
    if lastmod is None or not lastmod.strip():
        return None
    if stored_lastmod is not None and not same_value(lastmod, stored_lastmod):
        return "changed"
    parsed = Lastmod.parse(lastmod)
    if parsed is not None and parsed.latest + tolerance > checked_at:
        return "within_precision"
    return None
