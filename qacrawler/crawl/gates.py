"""Quality gates: read a finished run's stats and decide whether a scheduler should trust it.

Scrapy exits 0 whenever it started, so a site that renamed its labels would otherwise "succeed" with
empty columns. Thresholds: QA_GATES, then the site declaration's, then QA_GATES_BY_SITE[site], then per-run overrides.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class GateResult:
    name: str
    passed: bool
    figure: float | str
    threshold: float | str | list[str]

    def line(self) -> str:
        verdict = "passed" if self.passed else "FAILED"
        return f"gate {self.name} {verdict}: {self.figure} (threshold {self.threshold})"

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def merged_thresholds(defaults: dict[str, Any], *overrides: dict[str, Any] | None) -> dict[str, Any]:
    """Later overrides win; `coverage` merges field by field."""
    merged = {**defaults, "coverage": dict(defaults.get("coverage", {}))}
    for override in overrides:
        for name, value in (override or {}).items():
            if name == "coverage":
                merged["coverage"].update(value)
            else:
                merged[name] = value
    return merged


def valid_records(stats: dict[str, Any]) -> int:
    """Records that passed validation now, or unchanged ones the dataset holds: a re-run adding none is fine."""
    return stats.get("validate/passed", 0) + stats.get("incremental/skipped_unchanged", 0)


def rejects(stats: dict[str, Any]) -> int:
    return sum(value for key, value in stats.items() if key.startswith("rejects/stage/"))


def evaluate(stats: dict[str, Any], thresholds: dict[str, Any]) -> list[GateResult]:
    records, parsed, rejected = valid_records(stats), stats.get("validate/passed", 0), rejects(stats)
    results = []
    if "min_records" in thresholds:
        results.append(GateResult("min_records", records >= thresholds["min_records"], records,
                                  thresholds["min_records"]))
    if "max_reject_ratio" in thresholds:  # over the article pages this run fetched
        ratio = round(rejected / (parsed + rejected), 4) if parsed + rejected else 0.0
        results.append(GateResult("max_reject_ratio", ratio <= thresholds["max_reject_ratio"], ratio,
                                  thresholds["max_reject_ratio"]))
    questions = parsed - stats.get("validate/passed_faq", 0)  # coverage counts patients' questions only
    for field, minimum in sorted(thresholds.get("coverage", {}).items()):
        if not questions:  # nothing new to judge; min_records and max_reject_ratio still speak for the run
            results.append(GateResult(f"coverage.{field}", True, "n/a (no new records)", minimum))
            continue
        share = round(stats.get(f"coverage/{field}", 0) / questions, 4)
        results.append(GateResult(f"coverage.{field}", share >= minimum, share, minimum))
    if "max_errors" in thresholds:
        errors = stats.get("log_count/ERROR", 0)
        results.append(GateResult("max_errors", errors <= thresholds["max_errors"], errors, thresholds["max_errors"]))
    if "ledger_unaccounted" in thresholds:  # scheduled articles that ended as neither record, reject, skip nor deferral
        unaccounted = stats.get("ledger/unaccounted", 0)
        results.append(GateResult("ledger_unaccounted", unaccounted <= thresholds["ledger_unaccounted"], unaccounted,
                                  thresholds["ledger_unaccounted"]))
    if "finish_reasons" in thresholds:
        reason = str(stats.get("finish_reason"))
        results.append(GateResult("finish_reason", reason in thresholds["finish_reasons"], reason,
                                  thresholds["finish_reasons"]))
    return results


def parse_override(text: str) -> tuple[str, Any]:
    """`min_records=500`, `coverage.reply_date=0.9`, `max_errors=3`: one command-line gate override."""
    name, separator, value = text.partition("=")
    known = ("min_records", "max_reject_ratio", "max_errors", "ledger_unaccounted")
    if not separator or not (name in known or name.startswith("coverage.")):
        raise ValueError(f"gate override {text!r} should be NAME=NUMBER with NAME one of {', '.join(known)} "
                         "or coverage.<field>")
    try:
        number = float(value)
    except ValueError:
        raise ValueError(f"gate override {text!r}: {value!r} is not a number") from None
    return name, int(number) if name in ("min_records", "max_errors", "ledger_unaccounted") else number


def overrides_from(texts: list[str]) -> dict[str, Any]:
    overrides: dict[str, Any] = {}
    for text in texts:
        name, value = parse_override(text)
        if name.startswith("coverage."):
            overrides.setdefault("coverage", {})[name.removeprefix("coverage.")] = value
        else:
            overrides[name] = value
    return overrides
