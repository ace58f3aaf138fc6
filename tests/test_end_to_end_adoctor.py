"""adoctor.tw end to end: its Chinese sandbox crawled beside the doctorqna and Taiwan e-Hospital mirrors into
one dataset; adoctor's rows equal its ground truth field by field, and the three sites share specialty ids."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from qacrawler.sandbox import AdoctorSite, DoctorQnaSite, SandboxServer, TwEHospitalSite
from tests.conftest import ROOT, query, records_glob
from tests.test_end_to_end import assert_equal_to_ground_truth, read_records, read_rejects

# One process runs the three crawls side by side (Scrapy's reactor runs once per process).
_CRAWL_ALL = """
import json, sys
from pathlib import Path
from qacrawler.crawl.process import run_crawls
jobs = [(name, {"base_url": url}) for name, url in json.loads(sys.argv[1]).items()]
results = run_crawls(jobs, Path(sys.argv[2]), {"QA_KEEP_ASKER_NAMES": True, "LOG_LEVEL": "WARNING"})
print(json.dumps({result.spider: result.stats.get("finish_reason") for result in results}))
"""


@pytest.fixture(scope="module")
def adoctor_site():
    return AdoctorSite(pages=150, seed=13)


@pytest.fixture(scope="module")
def three_sites(adoctor_site, tmp_path_factory):
    """The dataset of one crawl of the three mirrors, and each mirror's base URL."""
    out = tmp_path_factory.mktemp("three") / "dataset"
    sites = {"adoctor": adoctor_site, "doctorqna": DoctorQnaSite(pages=60, seed=2),
             "tw_ehospital": TwEHospitalSite(pages=60, seed=2)}
    with (SandboxServer(sites["adoctor"]) as adoctor, SandboxServer(sites["doctorqna"]) as doctorqna,
          SandboxServer(sites["tw_ehospital"]) as tw_ehospital):
        base_urls = {"adoctor": adoctor.base_url, "doctorqna": doctorqna.base_url,
                     "tw_ehospital": tw_ehospital.base_url}
        result = subprocess.run([sys.executable, "-c", _CRAWL_ALL, json.dumps(base_urls), str(out)], cwd=ROOT,
                                capture_output=True, text=True, timeout=300)
        hits = dict(adoctor.hits)
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    assert json.loads(result.stdout.splitlines()[-1]) == dict.fromkeys(sites, "finished")
    return out, base_urls, hits


def adoctor_rows(out: Path) -> list[dict]:
    return [row for row in read_records(out) if row["site"] == "adoctor"]


def test_every_good_article_once_and_equal_to_the_ground_truth(adoctor_site, three_sites):
    out, base_urls, _ = three_sites
    assert_equal_to_ground_truth("adoctor", adoctor_site, base_urls["adoctor"], out)


def test_the_crawl_reads_chinese_askers_open_ended_ages_and_both_genders(three_sites):
    askers = [row["asker"] for row in adoctor_rows(three_sites[0])]
    assert {asker["gender"] for asker in askers} == {"female", "male"}
    assert any(asker["age_min"] is not None and asker["age_max"] is None for asker in askers)
    assert all(row["language"] == "zh-Hant" and row["parser_version"] == "adoctor/1.0"
               for row in adoctor_rows(three_sites[0]))


def test_broken_pages_are_rejects_with_reasons(adoctor_site, three_sites):
    out, base_urls, _ = three_sites
    rejects = [row for row in read_rejects(out) if row["site"] == "adoctor"]
    assert {row["url"] for row in rejects} == {f"{base_urls['adoctor']}/article/{n}" for n in adoctor_site.broken()}
    assert all(row["reasons"] and row["stage"] in ("parse", "validate") for row in rejects)


def test_discovery_used_the_sitemap_and_the_listings(three_sites):
    hits = three_sites[2]
    assert {"/robots.txt", "/sitemap.xml", "/"} <= set(hits)
    assert any(path.startswith("/department/") for path in hits)
    assert not [path for path in hits if path.startswith("/en/")]


def test_every_adoctor_department_maps_to_a_specialty(three_sites):
    rows = adoctor_rows(three_sites[0])
    assert rows and all(row["specialty"] for row in rows)


def test_the_three_sites_share_specialty_ids_in_one_group_by(three_sites):
    out = three_sites[0]
    shared = query(
        f"SELECT specialty, count(DISTINCT site) AS sites, count(*) AS records "
        f"FROM read_parquet('{records_glob(out)}', hive_partitioning = true) "
        "WHERE specialty IS NOT NULL GROUP BY specialty HAVING count(DISTINCT site) = 3 ORDER BY specialty"
    )
    assert shared, "no specialty id is shared by doctorqna, tw_ehospital and adoctor"
    sites = query(f"SELECT DISTINCT site FROM read_parquet('{records_glob(out)}', hive_partitioning = true)")
    assert sorted(site for (site,) in sites) == ["adoctor", "doctorqna", "tw_ehospital"]
