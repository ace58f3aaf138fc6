"""What the sandbox tests of both sites check of planted contact details (pii=True)."""

from __future__ import annotations

from typing import Any

from qacrawler.page.privacy import mask_text

LOOKALIKE_KINDS = {"date", "dose", "age", "blood_pressure", "lab", "icd"}


def masked_spans(text: str | None, planted: list[tuple[str, str]]) -> str | None:
    """The text with every planted span replaced by its placeholder, longest first."""
    for kind, span in sorted(planted, key=lambda item: -len(item[1])):
        text = text and text.replace(span, f"[{kind}]")
    return text


def assert_masking_matches_planting(site: Any) -> None:
    """mask_text replaces exactly the planted spans of every planted article and keeps its look-alikes."""
    for article_id in site.pii_articles():
        truth, planted = site.truth(article_id), site.planted_pii(article_id)
        for field in ("question", "answer"):
            assert mask_text(truth[field]) == masked_spans(truth[field], planted), (article_id, field)
        masked = mask_text(truth["question"] + "\n" + (truth["answer"] or ""))
        for _, text in site.planted_lookalikes(article_id):
            assert text in masked, (article_id, text)
