"""What every site parser does once its fields are extracted: ids, taxonomy, hash, validation."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from qacrawler.records import QARecord, content_hash
from qacrawler.taxonomy import specialty_for

_specialty_for = lru_cache(maxsize=4096)(specialty_for)  # pure; a site has a few hundred department names


def build_record(
    *,
    site: str,
    source_id: str,
    url: str,
    language: str,
    parser_version: str,
    crawled_at: datetime | None = None,
    **fields: Any,
) -> QARecord:
    """Raises pydantic.ValidationError when the extracted fields do not make a valid record."""
    return QARecord(
        record_id=f"{site}:{source_id}",
        site=site,
        source_id=source_id,
        url=url,
        language=language,
        specialty=_specialty_for(fields.get("department")),
        content_hash=content_hash(fields.get("title"), fields.get("question"), fields.get("answer")),
        parser_version=f"{site}/{parser_version}",
        crawled_at=crawled_at or datetime.now(UTC),
        **fields,
    )
