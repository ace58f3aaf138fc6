"""Keeps asker names out of the dataset (unless QA_KEEP_ASKER_NAMES) and masks identifiers in free text.

A record is masked by qacrawler.page.privacy.mask_record: the asker's name is removed from `asker.name` and
masked as `[NAME]` wherever it recurs in the record's texts, every reply in `answers` included; a reply the
asker wrote in their own thread loses its `author_name` and `author_url` too; content_hash is recomputed from
the masked text. A crawl's parse workers mask the records they make (qacrawler.page.pool), on their cores:
this pipeline then only counts what they did (``privacy/masked_when_parsed``), and masks any record that
arrives unmasked or masked under another names policy. A reject has no record: its excerpt and reasons are
masked like a record's texts, and the names in them are found from the page's asker lines by the site's own
reading of them (`asker_name_spans` of each site module).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from scrapy.crawler import Crawler

from qacrawler.page.privacy import mask_record, mask_text
from qacrawler.page.records import QARecord, Reject
from qacrawler.page.sites.registry import get_site


class PrivacyPipeline:
    def __init__(self, crawler: Crawler):
        self.stats = crawler.stats
        self.keep_names = crawler.settings.getbool("QA_KEEP_ASKER_NAMES")

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PrivacyPipeline:
        return cls(crawler)

    def process_item(self, item: Any) -> Any:
        if isinstance(item, Reject):  # a refused page's excerpt is page text too
            return self.masked_reject(item)
        if not isinstance(item, QARecord):
            return item
        if item.masking is None or item.masking.keep_names != self.keep_names:
            item = mask_record(item, self.keep_names)
        else:
            self.stats.inc_value("privacy/masked_when_parsed")
        assert item.masking is not None
        for name, count in item.masking.counts.items():
            self.stats.inc_value(f"privacy/{name}", count)
        return item

    def masked_reject(self, reject: Reject) -> Reject:
        """The reject with identifiers masked in its excerpt and reasons, and, unless names are kept, the
        names of the asker lines its excerpt shows masked wherever they recur in either."""
        counts: Counter[str] = Counter()
        excerpt = mask_text(reject.excerpt, counts)
        reasons = [mask_text(reason, counts) for reason in reject.reasons]
        spans = get_site(reject.site).asker_name_spans
        if excerpt and spans is not None and not self.keep_names:
            found = spans(excerpt)
            names = [excerpt[start:end] for start, end in found]
            for start, end in reversed(found):
                excerpt = excerpt[:start] + "[NAME]" + excerpt[end:]
            counts["NAME"] += len(found)
            for name in dict.fromkeys(names):
                excerpt = mask_text(excerpt, counts, name)
                reasons = [mask_text(reason, counts, name) for reason in reasons]
        self.count(counts)
        return reject.model_copy(update={"excerpt": excerpt, "reasons": reasons})

    def count(self, counts: Counter[str]) -> int:
        for kind, found in counts.items():
            if found:
                self.stats.inc_value(f"privacy/masked/{kind}", found)
        return sum(counts.values())
