"""Site rules a record must meet to enter the dataset; a record that fails becomes a Reject.

A pair of an FAQ page (kind ``faq``, kept when its site file asks) has no asker and no ask date: it is held to
FAQ_REQUIRED alone, and counted apart (``validate/passed_faq``) so the coverage gates judge patients' questions.

The reject's excerpt is the record's title and question, masked here for the asker's name: once the record
is a reject, the privacy stage no longer knows whose name to look for.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from scrapy.crawler import Crawler

from qacrawler.page.privacy import mask_text
from qacrawler.page.records import PROVENANCE_FIELDS, QARecord, Reject, make_reject
from qacrawler.page.sites.registry import get_site


def field_value(record: QARecord, dotted: str) -> Any:
    value: Any = record
    for part in dotted.split("."):
        value = getattr(value, part, None)
    return value


FAQ_REQUIRED = ["title", "question", "answer"]


def missing_fields(record: QARecord, required: list[str]) -> list[str]:
    return [name for name in required if field_value(record, name) in (None, "", [])]


class ValidatePipeline:
    def __init__(self, crawler: Crawler):
        self.stats = crawler.stats
        self.required: dict[str, list[str]] = crawler.settings.getdict("QA_REQUIRED_FIELDS")
        self.keep_names = crawler.settings.getbool("QA_KEEP_ASKER_NAMES")

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ValidatePipeline:
        return cls(crawler)

    def reasons(self, record: QARecord) -> list[str]:
        if record.kind == "faq":
            return [f"{name}: missing" for name in missing_fields(record, FAQ_REQUIRED)]
        required = [*self.required.get("*", []), *get_site(record.site).required_fields,
                    *self.required.get(record.site, [])]
        reasons = [f"{name}: missing" for name in missing_fields(record, required)]
        if record.ask_date and record.reply_date and record.reply_date < record.ask_date:
            reasons.append(f"reply_date {record.reply_date} is before ask_date {record.ask_date}")
        return reasons

    def process_item(self, item: Any) -> Any:
        if isinstance(item, Reject):
            self.stats.inc_value(f"rejects/stage/{item.stage}")
            return item
        reasons = self.reasons(item)
        if not reasons:
            self.stats.inc_value("validate/passed")
            if item.kind == "faq":
                self.stats.inc_value("validate/passed_faq")
            return item
        self.stats.inc_value("validate/rejected")
        self.stats.inc_value("rejects/stage/validate")
        for reason in reasons:
            self.stats.inc_value(f"validate/reason/{reason.split(' ')[0].rstrip(':')}")
        reject = make_reject(item.url, item.site, "validate", reasons, self.excerpt(item), item.source_lastmod,
                             item.crawled_at)
        return reject.model_copy(update={name: getattr(item, name) for name in PROVENANCE_FIELDS})

    def excerpt(self, record: QARecord) -> str:
        text = f"{record.title}\n{record.question}"[:300]
        if self.keep_names or not record.asker.name:
            return text
        counts: Counter[str] = Counter()
        masked = mask_text(text, counts, record.asker.name) or text
        for kind, found in counts.items():
            self.stats.inc_value(f"privacy/masked/{kind}", found)
        return masked
