"""Every site's parser on every fixture folder (tests/fixtures/<site>/<case>/), one assertion per field.

The cases are found on disk (tests/fixture_cases.py), so a new site's folder or a case written by
`qacrawler fixture save` is tested without a code change. Test ids read `site/case/field`.
"""

from __future__ import annotations

import functools
from typing import Any

import pytest

from qacrawler.page.records import content_hash
from qacrawler.page.sites.errors import NotAnArticle
from tests.fixture_cases import RECORD_FIELDS, Case, all_cases, dumps, fixture_sites, site_of

CASES = all_cases()
ARTICLES = [case for case in CASES if case.is_article]
NOT_ARTICLES = [case for case in CASES if not case.is_article]
META_KEYS = {"crawled_at", "content_type"}


def ids(cases: list[Case]) -> list[str]:
    return [case.id for case in cases]


@functools.cache
def parsed(case: Case) -> list[dict[str, Any]]:
    """The case's records, read as the crawl reads pages (Site.records)."""
    return dumps(site_of(case.site).records(case.page, case.url, crawled_at=case.crawled_at,
                                            content_type=case.content_type))


@pytest.mark.parametrize("site", fixture_sites())
def test_every_fixture_site_has_a_parser_and_articles_and_refusals(site):
    assert callable(site_of(site).parse)
    site_cases = [case for case in CASES if case.site == site]
    assert any(case.is_article for case in site_cases) and any(not case.is_article for case in site_cases)


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_the_folder_holds_the_page_its_url_and_meta(case):
    assert (case.folder / "page.html").is_file() and case.url.startswith(("http://", "https://"))
    assert set(case.meta) <= META_KEYS and case.crawled_at.utcoffset() is not None
    assert not (case.folder / "content_type.txt").exists()  # the content type lives in meta.json


@pytest.mark.parametrize("case", ARTICLES, ids=ids(ARTICLES))
def test_expected_names_every_record_field(case):
    assert case.records and all(sorted(record) == sorted(RECORD_FIELDS) for record in case.records)


@pytest.mark.parametrize("case", ARTICLES, ids=ids(ARTICLES))
def test_expected_content_hash_is_the_hash_of_the_expected_texts(case):
    assert [record["content_hash"] for record in case.records] == [content_hash(record) for record in case.records]


@pytest.mark.parametrize(("case", "field"), [(case, field) for case in ARTICLES for field in RECORD_FIELDS],
                         ids=[f"{case.id}/{field}" for case in ARTICLES for field in RECORD_FIELDS])
def test_field(case, field):
    assert [record[field] for record in parsed(case)] == [record[field] for record in case.records]


@pytest.mark.parametrize("case", ARTICLES, ids=ids(ARTICLES))
def test_crawled_at_is_the_fixed_one_of_meta_json(case):
    assert {record["crawled_at"] for record in parsed(case)} == {case.crawled_at.isoformat().replace("+00:00", "Z")}


@pytest.mark.parametrize("case", NOT_ARTICLES, ids=ids(NOT_ARTICLES))
def test_not_an_article(case):
    with pytest.raises(NotAnArticle) as raised:
        site_of(case.site).records(case.page, case.url, crawled_at=case.crawled_at, content_type=case.content_type)
    assert case.expected["not_an_article"] in raised.value.reason
    assert "\n" not in raised.value.reason and raised.value.reason == str(raised.value)


def test_a_new_site_folder_is_found_without_code(tmp_path):
    for site, case in (("newsite", "one"), ("newsite", "two"), ("other", "a")):
        (tmp_path / site / case).mkdir(parents=True)
        (tmp_path / site / case / "expected.json").write_text('{"not_an_article": "x"}', encoding="utf-8")
    (tmp_path / "newsite" / "draft").mkdir()  # no expected.json yet: not a case
    (tmp_path / "README.txt").write_text("not a site", encoding="utf-8")
    assert fixture_sites(tmp_path) == ["newsite", "other"]
    assert [case.id for case in all_cases(tmp_path)] == ["newsite/one", "newsite/two", "other/a"]
