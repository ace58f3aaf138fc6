"""What a crawl knows of the dataset it adds to, read once when the crawl starts and shared by everything
that asks: the incremental middleware (which articles changed), the spider (links earlier runs stored but
never fetched) and dedupe (which versions are stored). One scan of one site's files, not three."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from weakref import WeakKeyDictionary

import pyarrow.compute as pc
from scrapy.crawler import Crawler

from qacrawler.crawl.run import open_spider, output_dir
from qacrawler.dataset.files import rejects_of, site_records, unchanged_fetches_of
from qacrawler.page.sites.site import Site

RECORD_COLUMNS = ["record_id", "content_hash", "crawled_at", "answer", "source_lastmod", "similar_questions",
                  "parser_version"]


@dataclass(frozen=True)
class StoredVersion:
    crawled_at: datetime  # the latest fetch of the page, including fetches that found it unchanged
    answered: bool  # an unanswered question may be answered by now
    rejected: bool = False  # the page was refused by the parser or validation last time
    source_lastmod: str | None = None  # the sitemap lastmod seen at that fetch
    parser_version: str | None = None  # of the latest stored row: a record made by another parser is new


def version_key(record_id: str, content_hash: str) -> str:
    """One string per (record_id, content_hash), unambiguous since the id's length leads it: a set of
    these takes about 60 % of the memory of a set of tuples (a crawl holds one per record it wrote)."""
    return f"{len(record_id)}:{record_id}{content_hash}"


@dataclass
class DatasetIndex:
    stored: dict[str, StoredVersion] = field(default_factory=dict)  # record_id -> what the dataset knows
    versions: set[str] = field(default_factory=set)  # version_key of every stored version
    unfetched_links: list[str] = field(default_factory=list)

    @classmethod
    def read(cls, root: Path, site: Site) -> DatasetIndex:
        """Each page's latest version, or its parse/validate reject, brought up to date by later fetches that
        found the same content. Fetch rejects are left out on purpose: a network failure says nothing about
        the page. ``unfetched_links``: similar-question links of stored records to pages the dataset holds
        nothing of (a run killed before its last batch loses those pages, and the next run skips the
        unchanged articles that linked to them; orphan pages depend on this)."""
        index = cls()
        known = index.stored
        for row in rejects_of(root, site.id):
            record_id = site.record_id_from_url(row["url"])
            if record_id is None or row["stage"] == "fetch":
                continue
            if record_id not in known or row["crawled_at"] > known[record_id].crawled_at:
                known[record_id] = StoredVersion(row["crawled_at"], True, True, row["source_lastmod"])
        table = site_records(root, site.id, RECORD_COLUMNS)
        linked: list[str] = []
        if table is not None:
            answered = pc.invert(pc.is_null(table.column("answer"))).to_pylist()
            latest: dict[str, StoredVersion] = {}
            columns = [table.column(name).to_pylist() for name in ("record_id", "crawled_at", "source_lastmod",
                                                                   "content_hash", "parser_version")]
            for record_id, crawled_at, lastmod, digest, parser, has_answer in zip(*columns, answered, strict=True):
                index.versions.add(version_key(record_id, digest))
                # >=: of two rows of one fetch (a re-parse keeps its crawled_at), the one written later
                if record_id not in latest or crawled_at >= latest[record_id].crawled_at:
                    latest[record_id] = StoredVersion(crawled_at, has_answer, source_lastmod=lastmod,
                                                      parser_version=parser)
            known |= latest
            linked = pc.struct_field(pc.list_flatten(table.column("similar_questions")), "url").to_pylist()
            del table
        for row in unchanged_fetches_of(root, site.id):
            stored = known.get(row["record_id"])
            if stored is not None and not stored.rejected and row["crawled_at"] > stored.crawled_at:
                known[row["record_id"]] = replace(stored, crawled_at=row["crawled_at"],
                                                  source_lastmod=row["source_lastmod"])
        unknown = (url for url in linked if url and (record_id := site.record_id_from_url(url)) is not None
                   and record_id not in known)
        index.unfetched_links = sorted(set(unknown))
        return index


_INDEXES: WeakKeyDictionary[Crawler, DatasetIndex] = WeakKeyDictionary()


def dataset_index(crawler: Crawler) -> DatasetIndex:
    """The crawl's index, read at the first call (from the spider's site, at its base URL)."""
    if crawler not in _INDEXES:
        _INDEXES[crawler] = DatasetIndex.read(output_dir(crawler), open_spider(crawler).site)
    return _INDEXES[crawler]
