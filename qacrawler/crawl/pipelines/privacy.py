"""Keeps asker names out of the dataset (unless QA_KEEP_ASKER_NAMES) and masks identifiers in free text.

The asker's name is removed from `asker.name` and masked as `[NAME]` wherever it recurs in the record's
texts, every reply in `answers` included (qacrawler.page.privacy.name_forms says which forms); a reply the
asker wrote in their own thread loses its `author_name` and `author_url` too. A reject has no record: its
excerpt and reasons are masked like a record's texts, and the names in them are found from the page's asker
lines by the site's own reading of them (`asker_name_spans` of each site module).

content_hash is recomputed from the masked text: a hash of the original would let anyone who knows
the rest of a question test guesses of the phone number it held.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from scrapy.crawler import Crawler

from qacrawler.page.privacy import is_name_of, mask_text, mask_texts
from qacrawler.page.records import Answer, QARecord, Reject, SimilarQuestion, content_hash
from qacrawler.page.sites.registry import get_site

MASKED_FIELDS = ("title", "question", "answer", "more_info")
MASKED_SIMILAR = ("title", "question_excerpt", "answer_excerpt")


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
        counts: Counter[str] = Counter()
        entries = item.similar_questions
        # each reply text once: the primary answer's copy in `answers` is masked as `answer` is, and counted once
        further = list(dict.fromkeys(answer.text for answer in item.answers if answer.text != item.answer))
        texts = [getattr(item, name) for name in MASKED_FIELDS]
        texts += [getattr(entry, name) for entry in entries for name in MASKED_SIMILAR]
        texts += further
        update: dict[str, Any] = {}
        name = None
        if not self.keep_names and item.asker.name is not None:
            name = item.asker.name
            update["asker"] = item.asker.model_copy(update={"name": None})
            self.stats.inc_value("privacy/asker_name_removed")
        masked = mask_texts(texts, counts, name)
        answers = item.answers
        if name is not None and any(is_name_of(answer.author_name, name) for answer in answers):
            answers = [self.anonymous_author(answer) if is_name_of(answer.author_name, name) else answer
                       for answer in answers]
            update["answers"] = answers
        if self.count(counts):
            self.stats.inc_value("privacy/records_masked")
            update.update(zip(MASKED_FIELDS, masked, strict=False))
            per_entry = len(MASKED_SIMILAR)
            similar = masked[len(MASKED_FIELDS):len(MASKED_FIELDS) + per_entry * len(entries)]
            update["similar_questions"] = [self.masked_entry(entry, similar[index * per_entry:(index + 1) * per_entry])
                                           for index, entry in enumerate(entries)]
            replies = dict(zip(further, masked[len(texts) - len(further):], strict=True))
            replies[item.answer or ""] = update["answer"]
            update["answers"] = [answer if replies[answer.text] == answer.text
                                 else answer.model_copy(update={"text": replies[answer.text]}) for answer in answers]
            update["content_hash"] = content_hash(update)
        return item.model_copy(update=update) if update else item  # nothing masked: the parser's texts and hash

    def anonymous_author(self, answer: Answer) -> Answer:
        """A reply the asker wrote in their own thread, without their name and the URL of their profile."""
        self.stats.inc_value("privacy/answer_author_removed")
        return answer.model_copy(update={"author_name": None, "author_url": None})

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

    @staticmethod
    def masked_entry(entry: SimilarQuestion, masked: list[str | None]) -> SimilarQuestion:
        """The entry with its masked texts; the entry itself when nothing in it was masked (no copy)."""
        update = {name: value for name, value in zip(MASKED_SIMILAR, masked, strict=True)
                  if value != getattr(entry, name)}
        return entry.model_copy(update=update) if update else entry

    def count(self, counts: Counter[str]) -> int:
        for kind, found in counts.items():
            if found:
                self.stats.inc_value(f"privacy/masked/{kind}", found)
        return sum(counts.values())
