"""The parse pool gives what parsing in process gives: the same records, the same refusals, across processes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from qacrawler.page.pool import InvalidPage, ParsePool, default_processes, page_records
from qacrawler.page.privacy import mask_record
from qacrawler.page.records import Masking
from qacrawler.page.sites.errors import NotAnArticle
from qacrawler.page.sites.registry import get_site
from tests.fixture_cases import FIXTURES_ROOT

CRAWLED_AT = datetime(2026, 11, 30, 8, tzinfo=UTC)


def fixture(site: str, case: str) -> tuple[bytes, str]:
    folder = FIXTURES_ROOT / site / case
    return (folder / "page.html").read_bytes(), (folder / "url.txt").read_text().strip()


@pytest.fixture(scope="module")
def pool():
    with ParsePool([get_site("doctorqna"), get_site("tw_ehospital")], processes=2) as started:
        yield started


def test_records_from_the_pool_equal_records_parsed_in_process(pool):
    for site_id, case in (("doctorqna", "seed_semantic"), ("tw_ehospital", "roc_dates")):
        body, url = fixture(site_id, case)
        expected = page_records(get_site(site_id), body, url, crawled_at=CRAWLED_AT)
        assert pool.submit(site_id, body, url, crawled_at=CRAWLED_AT).result(timeout=60) == expected


def test_a_pool_with_a_names_policy_returns_records_masked_under_it():
    body, url = fixture("doctorqna", "seed_semantic")
    site = get_site("doctorqna")
    [parsed] = page_records(site, body, url, crawled_at=CRAWLED_AT)
    assert parsed.asker.name and parsed.masking is None
    with ParsePool([site], processes=1, keep_names=False) as masking:
        [masked] = masking.submit("doctorqna", body, url, crawled_at=CRAWLED_AT).result(timeout=60)
    assert masked.model_dump() == mask_record(parsed, keep_names=False).model_dump()
    assert masked.asker.name is None
    assert masked.masking == Masking(keep_names=False, counts=mask_record(parsed, keep_names=False).masking.counts)
    assert masked.masking.counts["asker_name_removed"] == 1


def test_a_refusal_crosses_the_process_boundary_with_its_reason(pool):
    body, url = fixture("doctorqna", "not_found")
    with pytest.raises(NotAnArticle) as in_process:
        page_records(get_site("doctorqna"), body, url)
    with pytest.raises(NotAnArticle) as from_pool:
        pool.submit("doctorqna", body, url).result(timeout=60)
    assert type(from_pool.value) is type(in_process.value) and from_pool.value.reason == in_process.value.reason


def test_a_page_whose_fields_are_invalid_is_an_invalid_page_with_reasons(pool):
    body, url = fixture("doctorqna", "seed_semantic")
    broken = body.replace(b"20~29 year old", b"150~160 year old")  # ages over 130 fail the record's validation
    with pytest.raises(InvalidPage) as in_process:
        page_records(get_site("doctorqna"), broken, url)
    with pytest.raises(InvalidPage) as from_pool:
        pool.submit("doctorqna", broken, url).result(timeout=60)
    assert from_pool.value.reasons == in_process.value.reasons
    assert any(reason.startswith("asker.age_min") for reason in from_pool.value.reasons)


def test_invalid_page_pickles_with_its_reasons():
    import pickle

    error = pickle.loads(pickle.dumps(InvalidPage(["title: missing", "ask_date: bad"])))
    assert error.reasons == ["title: missing", "ask_date: bad"] and str(error) == "title: missing; ask_date: bad"


def test_a_site_the_pool_was_not_started_with_is_refused(pool):
    with pytest.raises(KeyError, match="adoctor"):
        pool.submit("adoctor", b"", "https://adoctor.tw/article/1")


def test_no_pool_is_started_with_no_process():
    with pytest.raises(ValueError, match="at least one process"):
        ParsePool([get_site("doctorqna")], processes=0)
    assert default_processes() != 1
