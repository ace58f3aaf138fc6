"""Parsing on every core: pages go to worker processes, records come back.

A crawl's reactor and a re-parse's reader then only move bytes; lxml and pydantic run on the other cores. The
workers get the sites' declarations once, when they start (a ``Site`` pickles with its parser), so they need no
registry, no settings and no Scrapy. What a page becomes is decided exactly as in one process
(``Site.records``), except that a validation error comes back as :class:`InvalidPage` (pydantic's
ValidationError does not cross a process boundary).
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import threading
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from datetime import datetime
from pathlib import Path

from pydantic import ValidationError

from qacrawler.dataset.warc import BodyTooLarge, UnreadableRecord, read_response
from qacrawler.page.privacy import mask_record
from qacrawler.page.records import QARecord, validation_reasons
from qacrawler.page.sites.errors import NotAnArticle
from qacrawler.page.sites.site import Site

_SITES: dict[str, Site] = {}  # in a worker: the declarations it was started with, by id
_MASKING: list[bool | None] = [None]  # in a worker: the names policy it masks records under (None: it does not)
# The cyclic collector's thresholds while pages are parsed, in a crawl and in its parse workers: with CPython's
# default (700) it runs a full pass over every live object thousands of times a crawl
# (qacrawler.crawl.process.tuned_garbage_collector).
GC_THRESHOLDS = (20_000, 20, 50)


class InvalidPage(ValueError):
    """The page's fields do not make a valid record: ``reasons`` as validation_reasons gives them."""

    def __init__(self, reasons: list[str]):
        super().__init__("; ".join(reasons))
        self.reasons = reasons

    def __reduce__(self) -> tuple[type[InvalidPage], tuple[list[str]]]:
        return InvalidPage, (self.reasons,)


def page_records(site: Site, body: bytes | str, url: str, *, crawled_at: datetime | None = None,
                 content_type: str | None = None, keep_names: bool | None = None) -> list[QARecord]:
    """A page's records, in this process: NotAnArticle (PageMissing) or InvalidPage otherwise. With
    ``keep_names`` (the crawl's names policy) they come masked as qacrawler.page.privacy.mask_record makes them,
    so masking, the costliest step after parsing, runs where the parse did."""
    try:
        records = site.records(body, url, crawled_at=crawled_at, content_type=content_type)
    except ValidationError as error:
        raise InvalidPage(validation_reasons(error)) from None
    return records if keep_names is None else [mask_record(record, keep_names) for record in records]


ArchivedFetch = tuple[Path, int, str, datetime]  # WARC file, response record offset, requested URL, fetched at
# What an archived page became: its records, or why it has none (NotAnArticle, InvalidPage: a reject; BodyTooLarge,
# UnreadableRecord: skipped)
PageOutcome = list[QARecord] | NotAnArticle | InvalidPage | BodyTooLarge | UnreadableRecord


def archived_outcomes(site: Site, fetches: Sequence[ArchivedFetch], max_bytes: int,
                      keep_names: bool | None = None) -> list[PageOutcome]:
    """What each archived page becomes, read from its WARC file here: a worker then reads, decompresses, parses
    and masks, and only small pointers and records cross the process boundary."""
    outcomes: list[PageOutcome] = []
    for path, offset, url, fetched_at in fetches:
        try:
            body, content_type = read_response(path, offset, max_bytes)
            outcomes.append(page_records(site, body, url, crawled_at=fetched_at, content_type=content_type,
                                         keep_names=keep_names))
        except (NotAnArticle, InvalidPage, BodyTooLarge, UnreadableRecord) as error:
            outcomes.append(error)
    return outcomes


def default_processes() -> int:
    """One worker per core this process may use; 0 (parse in process) on a single core."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return cores if cores > 1 else 0


def _start_worker(sites: tuple[Site, ...], keep_names: bool | None, parent: int) -> None:
    _SITES.update({site.id: site for site in sites})
    _MASKING[0] = keep_names
    gc.freeze()  # the modules and declarations just loaded live as long as the worker
    gc.set_threshold(*GC_THRESHOLDS)
    threading.Thread(target=_exit_with_parent, args=(parent,), daemon=True).start()


def _exit_with_parent(parent: int, interval: float = 1.0) -> None:
    """A worker whose parent was killed (SIGKILL, the OOM killer: no chance to close the pool) would wait for
    pages forever; it is adopted by another process then, so its parent's pid changes. ``parent`` comes from
    the pool, not from os.getppid() here: the parent may already be gone when a slow worker starts."""
    while os.getppid() == parent:
        time.sleep(interval)
    os._exit(0)


def _parse_in_worker(site_id: str, body: bytes | str, url: str, crawled_at: datetime | None,
                     content_type: str | None) -> list[QARecord]:
    return page_records(_SITES[site_id], body, url, crawled_at=crawled_at, content_type=content_type,
                        keep_names=_MASKING[0])


def _archived_in_worker(site_id: str, fetches: Sequence[ArchivedFetch], max_bytes: int) -> list[PageOutcome]:
    return archived_outcomes(_SITES[site_id], fetches, max_bytes, keep_names=_MASKING[0])


class ParsePool:
    """``processes`` worker processes that parse pages of the given sites, and mask the records under
    ``keep_names`` when it is given (see page_records). Started with ``spawn``: a fork of a process running a
    reactor and threads could inherit held locks."""

    def __init__(self, sites: Iterable[Site], processes: int, keep_names: bool | None = None):
        if processes < 1:
            raise ValueError(f"a parse pool needs at least one process, not {processes}")
        self.sites = {site.id: site for site in sites}
        self.processes = processes
        self.keep_names = keep_names
        self.executor = ProcessPoolExecutor(processes, mp_context=multiprocessing.get_context("spawn"),
                                            initializer=_start_worker,
                                            initargs=(tuple(self.sites.values()), keep_names, os.getpid()))
        # The executor spawns a worker when a task finds none idle: one trivial task per worker starts them all
        # now (a second or so of imports each), beside the caller's own start-up, not when the first pages wait.
        for _ in range(processes):
            self.executor.submit(os.getpid)

    def submit(self, site_id: str, body: bytes | str, url: str, *, crawled_at: datetime | None = None,
               content_type: str | None = None) -> Future[list[QARecord]]:
        """The page's records, later: the future raises NotAnArticle, PageMissing or InvalidPage as
        page_records does."""
        return self.executor.submit(_parse_in_worker, self.started_with(site_id), body, url, crawled_at, content_type)

    def submit_archived(self, site_id: str, fetches: Sequence[ArchivedFetch],
                        max_bytes: int) -> Future[list[PageOutcome]]:
        """archived_outcomes of a batch of archived pages, on a worker: one task for many pages, so the cost of
        a task (pickling, waking the pool's threads) is paid once a batch."""
        return self.executor.submit(_archived_in_worker, self.started_with(site_id), list(fetches), max_bytes)

    def started_with(self, site_id: str) -> str:
        """``site_id``, when the workers have its declaration (KeyError otherwise)."""
        if site_id not in self.sites:
            raise KeyError(f"the parse pool was not started with site {site_id!r}")
        return site_id

    def close(self) -> None:
        self.executor.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> ParsePool:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
