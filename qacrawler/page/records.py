"""The dataset's record: the single source of truth for the JSON Schema, the Arrow schema and the docs.

Field names and meanings follow docs/design.md ("The record"). Descriptions here are what the docs print.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator, model_validator

Gender = Literal["female", "male"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Asker(_Model):
    name: str | None = Field(None, description="Name as published; null in datasets unless names are kept")
    gender: Gender | None = Field(None, description="`female`/`male` as the page states it; null when not given")
    age_min: int | None = Field(None, ge=0, le=130, description="Lower bound of the stated age range")
    age_max: int | None = Field(None, ge=0, le=130,
                                description="Upper bound of the stated age range; null when open-ended")

    @model_validator(mode="after")
    def _ordered_ages(self) -> Asker:
        if self.age_min is not None and self.age_max is not None and self.age_min > self.age_max:
            raise ValueError(f"age_min {self.age_min} is greater than age_max {self.age_max}")
        return self


class Doctor(_Model):
    name: str | None = Field(None, description="The answering doctor as the reply header names them")
    hospital: str | None = Field(None, description="Hospital, null when the page does not give it")


class SimilarQuestion(_Model):
    url: str = Field(description="Absolute URL of the linked question")
    title: str | None = Field(None, description="Linked question's title")
    doctor_name: str | None = Field(None, description="Doctor who answered the linked question")
    department: str | None = Field(None, description="Department of that answer, as the site names it")
    question_excerpt: str | None = Field(None, description="Start of the linked question as shown")
    answer_excerpt: str | None = Field(None, description="Start of the linked answer as shown")


class RelatedFaq(_Model):
    topic: str | None = Field(None, description="FAQ topic; null for a department's own FAQ entry")
    department: str | None = Field(None, description="Department in brackets after the topic")
    url: str | None = Field(None, description="Absolute URL of the FAQ topic page")


class Answer(_Model):
    """One reply on the page. Sites with one doctor's reply hold that reply here too, so every site's
    answers read the same way."""

    text: str = Field(min_length=1, description="The reply's text: paragraphs joined by a newline")
    author_name: str | None = Field(None, description="Who wrote it, as the page names them")
    author_url: str | None = Field(None, description="Absolute URL of the author's page on the site")
    date: dt.date | None = Field(None, description="Date of the reply (the page's own calendar date)")
    upvotes: int | None = Field(None, ge=0, description="Votes the page shows for it; null when not shown")
    accepted: bool | None = Field(
        None, description="True when the page marks it as the accepted answer; null when the site has no such mark")


RecordKind = Literal["question", "faq"]


@dataclass(frozen=True)
class Masking:
    """What qacrawler.page.privacy.mask_record did to a record, under which names policy: its counts are the
    crawl's ``privacy/<name>`` stats. Carried by the masked record (not a field: never stored) so the privacy
    pipeline counts masking done where the page was parsed, on another core, instead of doing it again."""

    keep_names: bool
    counts: dict[str, int]

# Provenance: where the raw page of a row is kept (qacrawler.crawl.archive, qacrawler.dataset.raw_page).
PROVENANCE_FIELDS = ("warc_file", "warc_offset", "warc_length")
WARC_FILE = ("The WARC file holding the fetched page, relative to the dataset folder; null when the page was not "
             "archived (`--no-archive`, or written before 0.3.0). Added in 0.3.0")
WARC_OFFSET = "Byte offset of the page's WARC response record in `warc_file`. Added in 0.3.0"
WARC_LENGTH = "Byte length of that (gzip-compressed) record. Added in 0.3.0"


class QARecord(_Model):
    """One question page, as a dataset row."""

    record_id: str = Field(description="`<site>:<source_id>`, unique in a dataset")
    site: str = Field(description="Adapter id (`doctorqna`, `tw_ehospital`, …)")
    source_id: str = Field(description="The site's own id of the question")
    url: str = Field(description="Canonical absolute URL of the page")
    language: str = Field(description="BCP 47 language tag of the text")
    title: str = Field(min_length=1, description="The asker's question title (not the page's SEO heading)")
    question: str = Field(min_length=1,
                          description="Question body: paragraphs joined by a newline, whitespace normalised")
    asker: Asker = Field(default_factory=Asker, description="Who asked")
    ask_date: date | None = Field(None, description="Date the question was asked")
    reply_date: date | None = Field(None, description="Date of the doctor's reply")
    department: str | None = Field(None, description="Department as the site names it")
    specialty: str | None = Field(None,
                                  description="Canonical specialty id from the shipped taxonomy; null when unknown")
    doctor: Doctor = Field(default_factory=Doctor, description="The answering doctor")
    answer: str | None = Field(None, description="The doctor's reply with its sign-off; null when unanswered")
    answers: list[Answer] = Field(
        default_factory=list,
        description="Every reply on the page in page order, `answer` among them; empty when unanswered. Added in 0.3.0")
    kind: RecordKind = Field(
        "question", description="`question`: a patient's question; `faq`: a question-answer pair of an FAQ page "
                                "(kept only when the site asks for them). Added in 0.3.0")
    more_info: str | None = Field(
        None, description="Site-supplied supplementary article, not written by the answering doctor")
    similar_questions: list[SimilarQuestion] = Field(default_factory=list, description="Linked similar questions")
    related_faqs: list[RelatedFaq] = Field(default_factory=list, description="Linked FAQ topics")
    categories: list[str] = Field(default_factory=list, description="Site tags or categories")
    view_count: int | None = Field(None, ge=0, description="View count; null when not shown")
    crawled_at: datetime = Field(description="When the page was fetched (UTC)")
    source_lastmod: str | None = Field(
        None, description="The sitemap `lastmod` of the page when it was fetched, as the site wrote it (precision and "
                          "offset kept); null when the page was reached without one. Added in 0.2.0")
    content_hash: str = Field(
        description="Hash of the normalised title, question and answer, and of any further answers: changes when a "
                    "page is edited")
    parser_version: str = Field(description="Which parser produced the row (`<site>/<version>`)")
    warc_file: str | None = Field(None, description=WARC_FILE)
    warc_offset: int | None = Field(None, ge=0, description=WARC_OFFSET)
    warc_length: int | None = Field(None, ge=1, description=WARC_LENGTH)

    # Set by mask_record on the copy it returns; copies keep it, so a step that changes texts after masking
    # (none does: privacy is the last pipeline to touch them) must mask again.
    _masking: Masking | None = PrivateAttr(default=None)

    @property
    def masking(self) -> Masking | None:
        return self._masking

    def __eq__(self, other: object) -> bool:
        """Records are equal when their fields are: how a record was masked is not part of it (pydantic would
        compare private attributes too)."""
        if not isinstance(other, QARecord):
            return NotImplemented
        return self.__dict__ == other.__dict__

    @field_validator("crawled_at")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("crawled_at must be timezone-aware")
        return value

    @model_validator(mode="after")
    def _consistent_ids(self) -> QARecord:
        if self.record_id != f"{self.site}:{self.source_id}":
            raise ValueError(f"record_id {self.record_id!r} is not '<site>:<source_id>'")
        return self


class Reject(_Model):
    """A page that could not become a record: kept, never silently dropped."""

    url: str = Field(description="The page's URL")
    site: str = Field(description="Adapter id")
    stage: str = Field(description="Where it was refused: fetch, redirect, parse or validate")
    reasons: list[str] = Field(min_length=1, description="Why, one reason per entry")
    excerpt: str | None = Field(None, description="Start of the page text, to judge by eye")
    crawled_at: datetime = Field(description="When the page was fetched (UTC)")
    source_lastmod: str | None = Field(None, description="The sitemap `lastmod` of the page when it was fetched")
    warc_file: str | None = Field(None, description=WARC_FILE)
    warc_offset: int | None = Field(None, ge=0, description=WARC_OFFSET)
    warc_length: int | None = Field(None, ge=1, description=WARC_LENGTH)


class UnchangedFetch(_Model):
    """An article fetched again whose content the dataset already holds. No record row is added for it, so
    this row is what tells the next run that the page was checked, when, and under which `lastmod`."""

    record_id: str = Field(description="`<site>:<source_id>` of the record the page still matches")
    site: str = Field(description="Adapter id")
    source_lastmod: str | None = Field(None, description="The sitemap `lastmod` of the page when it was fetched")
    crawled_at: datetime = Field(description="When the page was fetched (UTC)")


HASHED_FIELDS = ("title", "question", "answer")  # what makes a new version of a record, with the further answers


def _normalised(text: str | None) -> str:
    return " ".join(unicodedata.normalize("NFKC", text or "").split())


def _answer_text(answer: Any) -> str | None:
    """A reply's text, None for a value that is no reply (left for the record's validation to refuse)."""
    if isinstance(answer, Answer):
        return answer.text
    text = answer.get("text") if isinstance(answer, Mapping) else None
    return text if isinstance(text, str) else None


def content_hash(fields: Mapping[str, Any]) -> str:
    """The hash of a record's HASHED_FIELDS and of the texts of its answers other than `answer` (a record's
    model_dump() or a parser's field mapping, answers as models or dicts), stable across whitespace and
    Unicode-form noise, so only real edits change it. A record with no further answer hashes as before 0.3.0:
    existing datasets do not see every record as edited."""
    parts = [_normalised(fields.get(name)) for name in HASHED_FIELDS]
    further = [_normalised(_answer_text(answer)) for answer in fields.get("answers") or ()]
    if parts[2] in further:  # the primary answer's own copy
        further.remove(parts[2])
    return hashlib.sha256("\x1f".join(parts + further).encode("utf-8")).hexdigest()[:32]


def validation_reasons(error: ValidationError) -> list[str]:
    return [f"{'.'.join(map(str, detail['loc'])) or 'record'}: {detail['msg']}" for detail in error.errors()]


def make_reject(url: str, site: str, stage: str, reasons: list[str], excerpt: str | None = None,
                source_lastmod: str | None = None, crawled_at: datetime | None = None) -> Reject:
    """Every reject is built here: the spider's (fetch, redirect, parse) and the validator's."""
    return Reject(url=url, site=site, stage=stage, reasons=reasons, excerpt=excerpt,
                  crawled_at=crawled_at or datetime.now(UTC), source_lastmod=source_lastmod)
