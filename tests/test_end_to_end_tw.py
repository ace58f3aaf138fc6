"""Taiwan e-Hospital end to end: Big5 sandbox → Parquet equal to its ground truth; id walks skip gaps."""

from __future__ import annotations

import json

import pytest

from qacrawler.sandbox import SandboxServer, TwEHospitalSite
from tests.conftest import run_cli
from tests.test_end_to_end import assert_equal_to_ground_truth, read_records, read_rejects


@pytest.fixture(scope="module")
def tw_site():
    return TwEHospitalSite(pages=160, seed=3)


@pytest.fixture(scope="module")
def tw_sandbox(tw_site):
    with SandboxServer(tw_site) as server:
        yield server


@pytest.fixture(scope="module")
def tw_crawled(tw_sandbox, tmp_path_factory):
    out = tmp_path_factory.mktemp("tw") / "dataset"
    result = run_cli("crawl", "tw_ehospital", "--base-url", tw_sandbox.base_url, "--out", str(out),
                     "--keep-asker-names")
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    return out


def test_every_question_once_and_equal_to_the_ground_truth(tw_site, tw_sandbox, tw_crawled):
    assert_equal_to_ground_truth("tw_ehospital", tw_site, tw_sandbox.base_url, tw_crawled)


def test_all_charset_styles_and_markups_were_crawled(tw_site, tw_crawled):
    crawled = {int(row["source_id"]) for row in read_records(tw_crawled)}
    assert {tw_site.charset_style(number) for number in crawled} == {"header+meta", "meta", "header", "none"}
    assert {tw_site.generation(number) for number in crawled} == {"older", "newer"}
    unanswered = [row for row in read_records(tw_crawled) if row["answer"] is None]
    assert unanswered and all(row["reply_date"] is None and row["doctor"]["name"] is None for row in unanswered)


def test_undecodable_pages_are_rejects_never_mojibake(tw_site, tw_sandbox, tw_crawled):
    rejects = read_rejects(tw_crawled)
    expected = {f"{tw_sandbox.base_url}/doctor/All/ShowDetail.php?q_no={number}" for number in tw_site.broken()}
    assert expected and {row["url"] for row in rejects} == expected
    assert all("do not decode as" in " ".join(row["reasons"]) for row in rejects)
    for row in read_records(tw_crawled):
        assert "\ufffd" not in row["question"] + (row["answer"] or "") + row["title"]


def test_every_department_maps_to_a_specialty(tw_crawled):
    rows = read_records(tw_crawled)
    assert {row["department"] for row in rows if row["department"] and row["specialty"] is None} == set()
    manifest = json.loads(next((tw_crawled / "runs").glob("*.json")).read_text())
    assert not [key for key in manifest["stats"] if key.startswith("taxonomy/unknown_department/")]


def test_an_id_walk_fetches_a_bounded_range_and_counts_gaps(tw_site, tw_sandbox, tmp_path):
    gaps = tw_site.missing_ids()
    low = max(1, gaps[0] - 10)
    high = gaps[0] + 10
    out = tmp_path / "walk"
    result = run_cli("crawl", "tw_ehospital", "--base-url", tw_sandbox.base_url, "--out", str(out),
                     "--min-id", str(low), "--max-id", str(high), "--gate", "max_reject_ratio=1")
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    manifest = json.loads(next((out / "runs").glob("*.json")).read_text())
    gaps_in_range = [number for number in gaps if low <= number <= high]
    assert manifest["stats"]["spider/missing_id"] == len(gaps_in_range)
    walked = {int(row["source_id"]) for row in read_records(out)}
    expected = {number for number in tw_site.article_ids() if low <= number <= high and number not in tw_site.broken()}
    assert expected <= walked
    rejected = {row["url"] for row in read_rejects(out)}
    assert not [url for url in rejected if any(url.endswith(f"q_no={number}") for number in gaps_in_range)]
