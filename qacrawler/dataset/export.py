"""`qacrawler export DIR --format jsonl|csv`: answered questions as question/answer pairs with their split.

JSON lines carry flat fields plus a `messages` list (user question, assistant answer), the chat form
fine-tuning tools such as TRL's SFTTrainer take as is, and `answers`, every reply on the page (a forum
thread has several; `answer`, the pair's, is the accepted or best one). CSV is flat, one `answer` a row
with its `answer_count`, UTF-8 with a byte-order mark so spreadsheet programs open Chinese text correctly,
and a text cell that a spreadsheet would run as a formula gets a leading `'` (see spreadsheet_safe).
`kind` tells a patient's question from a site's FAQ pair (`faq`), which is a pair all the same. Rows are
the newest version of each answered question, sorted by record_id, so two exports of one dataset are
identical files. `more_info` is left out: it is the site's article, not the doctor's answer.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from qacrawler import dataset as qa_dataset
from qacrawler.page.sites.build import single_answer

FORMATS = ("jsonl", "csv")
FIELDS = ("id", "site", "language", "url", "kind", "title", "question", "answer", "answer_count", "specialty",
          "department", "ask_date", "reply_date", "asker_gender", "asker_age_min", "asker_age_max", "split")
REPLY_FIELDS = ("text", "author_name", "date", "upvotes", "accepted")  # a reply in JSON lines' `answers`
# OWASP's CSV-injection list: a cell starting with one of these is a formula (or becomes one once a spreadsheet
# trims it); the full-width forms are read as formulas by East Asian spreadsheet locales.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
_COLUMNS = ["record_id", "site", "language", "url", "kind", "title", "question", "answer", "answers", "specialty",
            "department", "ask_date", "reply_date", "asker", "doctor"]


class NothingToExport(ValueError):
    """The dataset holds no answered question: an empty file would look like a successful export."""


@dataclass(frozen=True)
class Exported:
    path: Path
    pairs: int
    unanswered: int  # newest versions with no answer: no pair to write


def default_path(root: str | Path, fmt: str) -> Path:
    return Path(root) / "exports" / f"qa-pairs.{fmt}"


def pairs(root: str | Path, ratios: tuple[float, float, float] = qa_dataset.DEFAULT_RATIOS,
          seed: int | str = qa_dataset.DEFAULT_SEED) -> Iterator[dict[str, Any] | None]:
    """The exported rows as dicts with FIELDS and `answers`, newest version, by record_id; None for an unanswered
    question."""
    table = qa_dataset.split(root, ratios, seed, columns=_COLUMNS)
    for row in table.to_pylist():
        if not row["answer"]:
            yield None
            continue
        asker = row["asker"] or {}
        # a row written before 0.3.0 has no answers: its one reply, as the parser gives it now
        replies = row["answers"] or single_answer(row)
        yield {
            "id": row["record_id"], "site": row["site"], "language": row["language"], "url": row["url"],
            "kind": row["kind"] or "question", "title": row["title"], "question": row["question"],
            "answer": row["answer"], "answer_count": len(replies),
            "specialty": row["specialty"], "department": row["department"],
            "ask_date": row["ask_date"].isoformat() if row["ask_date"] else None,
            "reply_date": row["reply_date"].isoformat() if row["reply_date"] else None,
            "asker_gender": asker.get("gender"), "asker_age_min": asker.get("age_min"),
            "asker_age_max": asker.get("age_max"), "split": row["split"],
            "answers": [{name: _json_value(reply.get(name)) for name in REPLY_FIELDS} for reply in replies],
        }


def _json_value(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def spreadsheet_safe(value: Any) -> Any:
    """A text value a spreadsheet shows as text: a `'` before a formula prefix, also one after leading whitespace.

    Titles and questions come from the open web, so `=HYPERLINK(...)` must not become a live formula on
    the analyst's machine. The quote is visible in a text editor; a spreadsheet hides it.
    """
    if isinstance(value, str) and (value.startswith(FORMULA_PREFIXES) or value.lstrip().startswith(FORMULA_PREFIXES)):
        return "'" + value
    return value


def prompt(row: dict[str, Any]) -> str:
    """The user turn: the asker's title, then the question body."""
    return f"{row['title']}\n\n{row['question']}" if row["title"] else row["question"]


def export(root: str | Path, fmt: str, out_path: str | Path | None = None,
           ratios: tuple[float, float, float] = qa_dataset.DEFAULT_RATIOS,
           seed: int | str = qa_dataset.DEFAULT_SEED) -> Exported:
    """Writes the pairs to out_path (default <root>/exports/qa-pairs.<fmt>) atomically; returns what it wrote.

    Raises ValueError for an unknown format, FileNotFoundError when root is not a dataset and
    NothingToExport (writing nothing) when it holds no answered question.
    """
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    out = Path(out_path) if out_path is not None else default_path(root, fmt)
    read = list(pairs(root, ratios, seed))  # read before anything is created, so a bad root leaves no trace
    rows = [row for row in read if row is not None]
    if not rows:
        raise NothingToExport(f"{root} holds no answered question to export "
                              f"({len(read)} records, none answered); no file written")
    out.parent.mkdir(parents=True, exist_ok=True)
    temp = out.with_name(f".{out.name}.tmp")
    try:
        if fmt == "jsonl":
            with open(temp, "w", encoding="utf-8", newline="\n") as handle:
                for row in rows:
                    messages = [{"role": "user", "content": prompt(row)},
                                {"role": "assistant", "content": row["answer"]}]
                    handle.write(json.dumps({**row, "messages": messages}, ensure_ascii=False) + "\n")
        else:
            with open(temp, "w", encoding="utf-8-sig", newline="") as handle:
                writer = csv.DictWriter(handle, fieldnames=FIELDS)
                writer.writeheader()
                writer.writerows({name: spreadsheet_safe(row[name]) for name in FIELDS} for row in rows)
        os.replace(temp, out)
    finally:
        temp.unlink(missing_ok=True)
    return Exported(out, len(rows), len(read) - len(rows))
