"""A fourth site from a declaration and a label table alone (tests/imaginary_site.py, nothing under qacrawler/):
its pages parse, and `qacrawler crawl` takes it from the registry into a dataset equal to its mirror's truth."""

from __future__ import annotations

import pytest

from qacrawler.page.sites.registry import get_site
from qacrawler.sandbox import SandboxServer
from tests.conftest import run_cli
from tests.imaginary_site import SaludQaMirror
from tests.test_end_to_end import read_records

FIELDS = ("title", "question", "ask_date", "department", "answer", "reply_date")


@pytest.mark.parametrize("number", SaludQaMirror.ids[:4])
def test_its_pages_parse_to_the_truth(number):
    mirror = SaludQaMirror()
    record = get_site("saludqa").parse(mirror.page(number), f"https://saludqa.example/pregunta/{number}")
    truth = mirror.truth(number)
    assert record.record_id == f"saludqa:{number}" and record.language == "es"
    assert {name: getattr(record, name) for name in FIELDS} == {name: truth[name] for name in FIELDS}
    assert record.asker.model_dump(include={"name", "age_min", "age_max", "gender"}) == truth["asker"]
    assert record.doctor.name == truth["doctor"]["name"]


def test_it_is_crawled_from_its_mirror_into_the_dataset(tmp_path):
    mirror = SaludQaMirror()
    out = tmp_path / "dataset"
    with SandboxServer(mirror) as server:
        result = run_cli("crawl", "saludqa", "--base-url", server.base_url, "--out", str(out), "--keep-asker-names",
                         "-s", "QA_SITE_MODULES=tests.imaginary_site")
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    rows = {int(row["source_id"]): row for row in read_records(out)}
    assert sorted(rows) == list(mirror.ids)
    for number, row in rows.items():
        truth = mirror.truth(number)
        assert {name: row[name] for name in FIELDS} == {name: truth[name] for name in FIELDS}, number
        assert (row["site"], row["asker"]["name"], row["doctor"]["name"]) == (
            "saludqa", truth["asker"]["name"], truth["doctor"]["name"])
    assert (out / "records" / "site=saludqa").is_dir()
    assert "saludqa" in (out / "README.md").read_text("utf-8")  # the card names the site


def test_scrapy_knows_it_only_when_its_module_is_registered():
    listed = run_cli("sites", timeout=60)
    assert "saludqa" not in listed.stdout  # not shipped: the setting brings it in
    refused = run_cli("crawl", "saludqa", "--out", "/nonexistent/x", timeout=60)
    assert refused.returncode == 2 and "unknown site 'saludqa'" in refused.stderr
