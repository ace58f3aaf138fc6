"""Site declarations and the registry: one definition of each site's URLs, ids and rules."""

from __future__ import annotations

import pytest

from qacrawler.page.sites.errors import NotAnArticle
from qacrawler.page.sites.registry import BUILTIN, UnknownSite, get_site
from qacrawler.page.sites.site import Discovery, Site
from tests.conftest import run_cli
from tests.fixture_cases import all_cases


def test_record_ids_of_the_shipped_sites_do_not_change():
    """Datasets written before declarations existed must still match: the ids are the old ones."""
    assert get_site("doctorqna").record_id_from_url("https://doctorqna.com/en/article/133763") == "doctorqna:133763"
    assert get_site("tw_ehospital").record_id_from_url(
        "https://sp1.hso.mohw.gov.tw/doctor/All/ShowDetail.php?q_no=00212345&SortBy=q_no") == "tw_ehospital:212345"


@pytest.mark.parametrize(("site_id", "url"), [
    ("doctorqna", "https://adoctor.tw/en/article/5"),
    ("doctorqna", "https://evil.example/en/article/5"),
    ("tw_ehospital", "https://doctorqna.com/doctor/All/ShowDetail.php?q_no=5"),
])
def test_a_url_of_another_host_is_no_article_of_the_site(site_id, url):
    site = get_site(site_id)
    assert site.source_id_from_url(url) is None and site.record_id_from_url(url) is None
    with pytest.raises(NotAnArticle, match="is not on"):
        site.parse(b"<html><body>Ask Date: 2020/01/01</body></html>", url)


def test_every_shipped_fixture_parses_through_its_declaration():
    case = next(case for case in all_cases() if case.site == "doctorqna" and case.is_article)
    record = get_site("doctorqna").parse(case.page, case.url, crawled_at=case.crawled_at)
    assert record.record_id == case.expected["record_id"]


def test_a_mirror_and_the_www_twin_are_the_same_site():
    site = get_site("doctorqna")
    assert site.source_id_from_url("https://www.doctorqna.com/en/article/7") == "7"
    assert site.source_id_from_url("http://127.0.0.1:8080/en/article/7?utm=1") == "7"  # a mirror on this machine
    staging = site.at("https://staging.doctorqna.example")
    assert staging.source_id_from_url("https://staging.doctorqna.example/en/article/7") == "7"
    assert site.source_id_from_url("https://staging.doctorqna.example/en/article/7") is None
    assert site.canonical_url("http://127.0.0.1:8080/en/article/7/?utm=1#x") == "http://127.0.0.1:8080/en/article/7"


def test_a_bad_declaration_is_refused_with_the_reason():
    common = dict(language="en", base_url="https://x.example", article_template="/q/{id}", parser=lambda *a, **k: None,
                  parser_version="1", description="x")
    with pytest.raises(ValueError, match="lower-case"):
        Site(id="Bad-Id", article=r"^/q/(\d+)$", **common)
    with pytest.raises(ValueError, match="crawl_settings may set only"):
        Site(id="x", article=r"^/q/(\d+)$", crawl_settings={"AUTOTHROTTLE_ENABLED": False}, **common)
    assert Site(id="x", article=r"^/q/\d+$", **common).source_id_from_url("https://x.example/q/7") == "/q/7"


def test_unknown_site_names_the_known_ones():
    with pytest.raises(UnknownSite, match="known sites: .*doctorqna"):
        get_site("nosuch")


def test_the_sites_command_lists_every_site_with_language_base_url_and_discovery():
    result = run_cli("sites", timeout=60)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["site", "language", "base", "URL", "source", "discovery"]
    for site in BUILTIN:  # a test may have registered more in this process
        line = next(line for line in lines if line.startswith(site.id + " "))
        assert site.language in line and site.base_url in line and site.discovery.describe() in line
        assert line.split()[3] == "builtin"
    assert Discovery(sitemaps=("/s.xml",), article_links=False).describe() == "sitemap /s.xml, id walk"


def test_scrapy_lists_every_registered_site():
    import subprocess
    import sys

    from tests.conftest import ROOT

    result = subprocess.run([sys.executable, "-m", "scrapy", "list"], cwd=ROOT, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split() == sorted(site.id for site in BUILTIN)
