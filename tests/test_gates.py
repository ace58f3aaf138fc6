"""Quality gates decide from a run's stats; thresholds merge defaults, site and run."""

import pytest

from qacrawler.crawl import settings
from qacrawler.crawl.gates import evaluate, merged_thresholds, overrides_from
from qacrawler.page.sites import tw_ehospital

HEALTHY = {"validate/passed": 98, "rejects/stage/parse": 1, "rejects/stage/validate": 1, "coverage/reply_date": 97,
           "coverage/title": 98, "log_count/ERROR": 0, "finish_reason": "finished"}


def by_name(stats, thresholds):
    return {result.name: result for result in evaluate(stats, thresholds)}


def test_a_healthy_run_passes_every_gate():
    results = by_name(HEALTHY, {"min_records": 50, "max_reject_ratio": 0.05, "max_errors": 0,
                                "finish_reasons": ["finished"], "coverage": {"reply_date": 0.95, "title": 0.95}})
    assert all(result.passed for result in results.values()), results
    assert results["max_reject_ratio"].figure == 0.02
    assert results["coverage.reply_date"].figure == pytest.approx(0.9898, abs=1e-4)


def test_renamed_labels_fail_by_name_with_the_figure():
    stats = {"validate/passed": 0, "rejects/stage/parse": 100, "finish_reason": "finished"}
    results = by_name(stats, {"min_records": 1, "max_reject_ratio": 0.05, "coverage": {"reply_date": 0.95}})
    assert not results["min_records"].passed and results["min_records"].figure == 0
    assert not results["max_reject_ratio"].passed and results["max_reject_ratio"].figure == 1.0
    assert results["coverage.reply_date"].figure == "n/a (no new records)"
    assert results["min_records"].line() == "gate min_records FAILED: 0 (threshold 1)"


def test_low_coverage_errors_and_a_bad_finish_fail():
    stats = {**HEALTHY, "coverage/reply_date": 50, "log_count/ERROR": 3, "finish_reason": "shutdown"}
    results = by_name(stats, {"max_errors": 0, "finish_reasons": ["finished"], "coverage": {"reply_date": 0.95}})
    failed = [name for name, result in results.items() if not result.passed]
    assert failed == ["coverage.reply_date", "max_errors", "finish_reason"]


def test_site_and_run_overrides_merge_coverage_field_by_field():
    merged = merged_thresholds(settings.QA_GATES, dict(tw_ehospital.DECLARATION.gates),
                               overrides_from(["min_records=500", "coverage.title=0.5"]))
    assert merged["min_records"] == 500
    assert merged["coverage"]["answer"] == 0.8
    assert merged["coverage"]["title"] == 0.5
    assert merged["coverage"]["question"] == settings.QA_GATES["coverage"]["question"]
    assert settings.QA_GATES["coverage"]["title"] == 0.95  # defaults untouched


@pytest.mark.parametrize("text", ["min_records", "nosuchgate=1", "coverage.title=high"])
def test_bad_overrides_say_what_is_wrong(text):
    with pytest.raises(ValueError, match="gate override"):
        overrides_from([text])


def test_an_incremental_run_that_adds_nothing_passes_on_what_the_dataset_holds():
    stats = {"incremental/skipped_unchanged": 140, "incremental/skipped_rejected": 4, "finish_reason": "finished"}
    results = by_name(stats, {"min_records": 1, "max_reject_ratio": 0.05, "coverage": {"reply_date": 0.95}})
    assert all(result.passed for result in results.values()), results
    assert results["min_records"].figure == 140
    assert results["coverage.reply_date"].figure == "n/a (no new records)"


def test_a_relabelled_site_fails_on_its_new_pages_even_with_a_full_dataset():
    stats = {"incremental/skipped_unchanged": 1000, "rejects/stage/parse": 20, "finish_reason": "finished"}
    results = by_name(stats, {"min_records": 1, "max_reject_ratio": 0.05})
    assert not results["max_reject_ratio"].passed
    assert results["max_reject_ratio"].figure == 1.0


def test_coverage_judges_patients_questions_not_the_faq_pairs_a_site_keeps():
    stats = {**HEALTHY, "validate/passed": 148, "validate/passed_faq": 50}  # 98 questions, 97 with a reply date
    results = by_name(stats, {"coverage": {"reply_date": 0.95}})
    assert results["coverage.reply_date"].passed and results["coverage.reply_date"].figure == pytest.approx(0.9898,
                                                                                                          abs=1e-4)
    only_pairs = by_name({"validate/passed": 30, "validate/passed_faq": 30}, {"coverage": {"reply_date": 0.95}})
    assert only_pairs["coverage.reply_date"].figure == "n/a (no new records)"
