"""The adoctor.tw mirror: doctorqna's mirror with adoctor's label table and Chinese text, checked against the
adoctor parser (every good page reads as its truth, in all three layouts) and against its own URL scheme."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from qacrawler.page.sites import adoctor
from qacrawler.page.sites.errors import PageMissing
from qacrawler.page.taxonomy import specialty_for
from qacrawler.sandbox import AdoctorSite, DoctorQnaSite
from qacrawler.sandbox.doctorqna_layouts import LAYOUTS

BASE = "http://127.0.0.1:8000"


@pytest.fixture(scope="module")
def site():
    return AdoctorSite(pages=300, seed=4)


def _body(site: AdoctorSite, path: str, **query: str) -> tuple[int, str]:
    status, headers, body = site.render(path, {name: [value] for name, value in query.items()}, base_url=BASE)
    assert headers["Content-Type"].endswith("charset=utf-8")
    return status, body.decode("utf-8")


def _parsed_as_truth(site: AdoctorSite, article_id: int) -> dict:
    """The parser's record in the truth's terms: URLs as paths."""
    truth = site.truth(article_id)
    record = adoctor.parse(site.render(truth["path"], base_url=BASE)[2], BASE + truth["path"]).model_dump()
    record["similar_questions"] = [{**entry, "url": entry["url"].removeprefix(BASE)}
                                   for entry in record["similar_questions"]]
    record["related_faqs"] = [{**entry, "url": entry["url"].removeprefix(BASE)} for entry in record["related_faqs"]]
    record["more_info"] = record["more_info"] or ""
    return {name: record[name] for name in truth if name != "path"}


def test_every_good_page_reads_as_its_truth_in_every_layout(site):
    good = [number for number in site.article_ids() if number not in site.broken()]
    assert {site.layout(number) for number in good} == set(LAYOUTS)
    mismatches = [number for number in good if _parsed_as_truth(site, number) != {
        name: value for name, value in site.truth(number).items() if name != "path"}]
    assert mismatches == []


def test_pages_show_the_label_tables_wording_in_chinese(site):
    number = next(n for n in site.article_ids() if n not in site.broken() and site.layout(n) == "semantic")
    status, html = _body(site, f"/article/{number}")
    truth = site.truth(number)
    assert status == 200 and '<html lang="zh-Hant">' in html
    for label in (adoctor.LABELS.ask_date[0], adoctor.LABELS.reply_date[0], adoctor.LABELS.share[0],
                  adoctor.LABELS.more_info):
        assert label in html
    assert f"{truth['doctor']['name']} 醫師回覆-{truth['department']}" in html
    gender = {"female": "女性", "male": "男性"}[truth["asker"]["gender"]]
    assert re.search(rf"{re.escape(truth['asker']['name'])},{truth['asker']['age_min']}~\d*歲{gender},", html)


def test_askers_include_both_genders_and_open_ended_ages(site):
    askers = [site.truth(n)["asker"] for n in site.article_ids() if n not in site.broken()]
    assert {asker["gender"] for asker in askers} == {"female", "male"}
    assert any(asker["age_max"] is None for asker in askers)
    assert all(asker["age_min"] is not None for asker in askers)


def test_every_department_maps_into_the_specialty_taxonomy(site):
    departments = {site.truth(n)["department"] for n in site.article_ids() if n not in site.broken()}
    assert len(departments) > 5
    assert {name for name in departments if specialty_for(name) is None} == set()


def test_the_ids_are_doctorqnas_and_the_urls_have_no_language_prefix(site):
    assert site.article_ids() == DoctorQnaSite(pages=300, seed=4).article_ids()
    _, sitemap = _body(site, "/sitemaps/articles-1.xml")
    locations = re.findall(r"<loc>([^<]+)</loc>", sitemap)
    assert locations and all(re.fullmatch(rf"{BASE}/article/[1-9][0-9]*", location) for location in locations)
    _, home = _body(site, "/")
    slugs = set(re.findall(r'href="/department/([a-z0-9-]+)"', home))
    assert slugs
    status, listing = _body(site, f"/department/{sorted(slugs)[0]}")
    assert status == 200 and re.search(r'href="/article/[1-9][0-9]*"', listing)
    assert _body(site, "/en/")[0] == 404


def test_faq_links_of_chinese_topics_lead_to_their_pages(site):
    faqs = [faq for number in site.article_ids()[:80] if number not in site.broken()
            for faq in site.truth(number)["related_faqs"]]
    assert any(faq["topic"] for faq in faqs)
    for faq in faqs:
        status, html = _body(site, faq["url"])
        assert status == 200 and faq["department"] in html and (faq["topic"] or "") in html


def test_missing_pages_say_so_in_the_parsers_words(site):
    status, html = _body(site, "/article/1")
    assert status == 404
    with pytest.raises(PageMissing):
        adoctor.parse(html, f"{BASE}/article/1")


def test_a_revision_edits_answers_the_parser_still_reads(site):
    revised = AdoctorSite(pages=60, seed=4)
    revision = revised.revise(2, 2, datetime(2025, 1, 5, tzinfo=UTC))
    for number in revision.added_ids + revision.edited_ids:
        assert _parsed_as_truth(revised, number) == {
            name: value for name, value in revised.truth(number).items() if name != "path"}
    assert all("更新：" in revised.truth(number)["answer"] for number in revision.edited_ids)
