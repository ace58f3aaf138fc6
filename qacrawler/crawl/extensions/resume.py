"""A run that resumes a stopped or killed run from its JOBDIR is judged together with the runs it resumes.

Alone, a resumed run's figures are a biased sample: after a kill -9 the killed run's rejects were never
written, so the resumed run fetches every broken page again but only the good pages not yet stored, and
its reject ratio is several times the site's. The gates that judge what the crawl produced (min_records,
max_reject_ratio, coverage) therefore read the chain's combined counts; the manifest names the run
resumed (`resumes`). The JOBDIR keeps `qacrawler-run.json` (written when a run opens, so a kill cannot
lose it): the run id and the combined counts of the runs before it.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any
from weakref import WeakKeyDictionary

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.utils.job import job_dir

from qacrawler.crawl.run import output_dir, run_id
from qacrawler.dataset.files import RUNS, read_file_columns, run_files

STATE_FILE = "qacrawler-run.json"
SKIPPED = "incremental/skipped_unchanged"
FAQ_PASSED = "validate/passed_faq"


def chain_counts(stats: dict[str, Any]) -> dict[str, int]:
    """The counts the output gates read: records passed, rejects by stage, coverage per field, unchanged skips."""
    return {key: value for key, value in stats.items() if isinstance(value, int) and (
        key in ("validate/passed", FAQ_PASSED, SKIPPED) or key.startswith(("rejects/stage/", "coverage/")))}


def combine(earlier: dict[str, int], own: dict[str, int]) -> dict[str, int]:
    """Counts summed over the chain, except unchanged skips: a later run skips what the earlier ones stored,
    so the chain's are the first run's, or (when unknown, after a kill) the later skips less those records."""
    if not earlier:
        return dict(own)
    combined = Counter(earlier)
    combined.update({key: value for key, value in own.items() if key != SKIPPED})
    if SKIPPED in earlier:
        combined[SKIPPED] = earlier[SKIPPED]
    else:
        combined[SKIPPED] = max(0, own.get(SKIPPED, 0) - earlier.get("validate/passed", 0))
    return dict(combined)


def _present(array: pa.Array, name: str, counts: Counter) -> None:
    """coverage/<field> counts as the coverage pipeline makes them: a value, not "" and not an empty list."""
    if pa.types.is_struct(array.type):
        for index in range(array.type.num_fields):
            _present(pc.struct_field(array, [index]), f"{name}.{array.type.field(index).name}", counts)
        return
    present = pc.is_valid(array)
    if pa.types.is_string(array.type) or pa.types.is_large_string(array.type):
        present = pc.and_kleene(present, pc.not_equal(array, ""))
    elif pa.types.is_list(array.type) or pa.types.is_large_list(array.type):
        present = pc.and_kleene(present, pc.greater(pc.list_value_length(array), 0))
    counts[f"coverage/{name}"] += pc.sum(pc.fill_null(present, False).cast(pa.int64())).as_py() or 0


def written_counts(root: Path, killed_run_id: str) -> dict[str, int]:
    """A killed run's counts, from the record files it finished: its stats and rejects died with it."""
    counts: Counter = Counter()
    for path in run_files(root, killed_run_id):
        if path.parent.name.startswith("ask_year="):  # its record files; a killed run has no rejects file
            table = read_file_columns(path, pq.read_schema(path).names)
            counts["validate/passed"] += table.num_rows
            if "kind" in table.column_names:  # FAQ pairs count apart, out of coverage (pipelines/validate.py)
                faq = pc.equal(table.column("kind"), "faq")
                counts[FAQ_PASSED] += pc.sum(faq).as_py() or 0
                table = table.filter(pc.invert(pc.fill_null(faq, False)))
            for name in table.column_names:
                _present(table.column(name).combine_chunks(), name, counts)
    return dict(counts)


def counts_of(root: Path, previous_run_id: str) -> dict[str, int]:
    manifest = root / RUNS / f"{previous_run_id}.json"
    if manifest.exists():
        return chain_counts(json.loads(manifest.read_text("utf-8"))["stats"])
    return written_counts(root, previous_run_id)


def finished(root: Path, previous_run_id: str) -> bool:
    manifest = root / RUNS / f"{previous_run_id}.json"
    return manifest.exists() and json.loads(manifest.read_text("utf-8")).get("finish_reason") == "finished"


_RESUMED: WeakKeyDictionary[Crawler, tuple[str, dict[str, int]]] = WeakKeyDictionary()  # the run resumed, its counts


def judged_stats(crawler: Crawler, stats: dict[str, Any]) -> dict[str, Any]:
    """The stats the output gates read: the run's own, or for a resumed run the chain's combined counts."""
    earlier = _RESUMED[crawler][1] if crawler in _RESUMED else None
    return {**stats, **combine(earlier, chain_counts(stats))} if earlier else stats


QUEUE_HEADER_BYTES = 4  # queuelib's LIFO disk queue starts with its size, a 4-byte integer


def remove_headless_queue_files(directory: Path) -> int:
    """Removes the JOBDIR's request queue files a kill left without their header (created, never written): they
    hold no request, and Scrapy's scheduler would fail on the first request of their priority in the resumed run
    ("unpack requires a buffer of 4 bytes"). Returns how many."""
    queues = directory / "requests.queue"
    if not queues.is_dir():
        return 0
    removed = 0
    for path in queues.rglob("*"):
        if path.is_file() and path.name != "active.json" and path.stat().st_size < QUEUE_HEADER_BYTES:
            path.unlink()
            removed += 1
    return removed


def resumed_run_id(crawler: Crawler) -> str | None:
    return _RESUMED[crawler][0] if crawler in _RESUMED else None


class ResumedRun:
    """Reads the JOBDIR's record of the run before, and writes this run's in its place."""

    def __init__(self, crawler: Crawler, directory: Path):
        self.crawler = crawler
        self.state = directory / STATE_FILE
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ResumedRun:
        directory = job_dir(crawler.settings)
        if not directory:
            raise NotConfigured
        removed = remove_headless_queue_files(Path(directory))  # built before the scheduler opens its queues
        if removed:
            assert crawler.stats is not None  # set when the crawler is built, before its extensions
            crawler.stats.set_value("resume/headless_queue_files_removed", removed)
        return cls(crawler, Path(directory))

    def spider_opened(self) -> None:
        root = output_dir(self.crawler)
        earlier: dict[str, int] = {}
        if self.state.exists():
            previous = json.loads(self.state.read_text("utf-8"))
            if not finished(root, previous["run_id"]):  # its queue is what this run carries on with
                earlier = combine(previous["earlier"], counts_of(root, previous["run_id"]))
                _RESUMED[self.crawler] = (previous["run_id"], earlier)
        from qacrawler.crawl.extensions.manifest import write_json_atomically  # here: the manifest imports this module

        write_json_atomically(self.state, {"run_id": run_id(self.crawler), "earlier": earlier})
