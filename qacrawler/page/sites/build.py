"""What every site parser does once its fields are extracted: ids, taxonomy, hash, validation."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from qacrawler.page.records import Doctor, QARecord, content_hash
from qacrawler.page.taxonomy import specialty_for

if TYPE_CHECKING:
    from qacrawler.page.sites.site import Site

_specialty_for = lru_cache(maxsize=4096)(specialty_for)  # pure; a site has a few hundred department names


def build_record(*, site: Site, source_id: str, url: str, crawled_at: datetime | None = None,
                 **fields: Any) -> QARecord:
    """Raises pydantic.ValidationError when the extracted fields do not make a valid record."""
    if "answers" not in fields:
        fields["answers"] = single_answer(fields)
    return QARecord(
        record_id=site.record_id(source_id),
        site=site.id,
        source_id=source_id,
        url=url,
        language=site.language,
        specialty=_specialty_for(fields.get("department")),
        content_hash=content_hash(fields),
        parser_version=f"{site.id}/{site.parser_version}",
        crawled_at=crawled_at or datetime.now(UTC),
        **fields,
    )


def single_answer(fields: Mapping[str, Any]) -> list[dict[str, Any]]:
    """`answers` of a site with one reply per page: that reply, so every site's answers read the same way.
    Given as the model's input (validated with the record, so an error names `answers.0.<field>`)."""
    text = fields.get("answer")
    if not isinstance(text, str) or not text.strip():
        return []  # unanswered
    doctor = fields.get("doctor")
    name = doctor.name if isinstance(doctor, Doctor) else doctor.get("name") if isinstance(doctor, Mapping) else None
    return [{"text": text, "author_name": name, "date": fields.get("reply_date")}]
