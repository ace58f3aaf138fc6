"""Planted contact details and asker names in both languages are masked in every case, and dates, doses and
ages are not.

Each sandbox is built with `pii=True` (about 10 % of its good articles carry e-mails, phones, Taiwan IDs and
LINE IDs next to look-alike dates, doses, ages, blood pressures, lab values and ICD codes; a share of the
answers address the asker by name), crawled with the default privacy settings and with `--keep-asker-names`,
and the dataset is held against the ground truth with every planted span replaced by its placeholder: equal
text proves the placeholder sits where the identifier was and that nothing else was masked. The names are
also looked for in the rejects, the crawl log and both export formats.
"""

from __future__ import annotations

import csv
import json
import re
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from qacrawler.page.privacy import GENERIC_NAMES, name_forms
from qacrawler.sandbox import DoctorQnaSite, SandboxServer, TwEHospitalSite
from qacrawler.sandbox.doctorqna_text import GREETING_NAMES
from qacrawler.sandbox.pii import addresses
from tests.conftest import ROOT
from tests.test_end_to_end import read_records, read_rejects

CRAWLS = ((), ("--keep-asker-names",))
KINDS = ("EMAIL", "PHONE", "ID", "CONTACT")
TEXT_FIELDS = ("title", "question", "answer", "more_info")
EXCERPTS = ("question_excerpt", "answer_excerpt")
SITES: dict[str, Callable[[], DoctorQnaSite | TwEHospitalSite]] = {
    "doctorqna": lambda: DoctorQnaSite(pages=150, seed=11, pii=True),
    "tw_ehospital": lambda: TwEHospitalSite(pages=160, seed=3, pii=True),
}


@dataclass
class Planted:
    site_id: str
    site: DoctorQnaSite | TwEHospitalSite
    outs: dict[tuple[str, ...], Path]  # the dataset of each crawl, by its extra options

    def crawl(self, *extra: str) -> Path:
        return self.outs[extra]

    def good(self) -> list[int]:
        return [number for number in self.site.article_ids() if number not in self.site.broken()]

    def names(self, number: int) -> list[str]:
        """The texts that name the article's asker where the masker must find them (see identifying)."""
        return self.site.planted_names(number) if identifying(self.site.truth(number)["asker"]["name"]) else []

    def spans(self) -> list[tuple[str, str]]:
        """Every planted (kind, text) of the site, longest first so no span is replaced inside a longer one."""
        spans = [item for number in self.site.pii_articles() for item in self.site.planted_pii(number)]
        return sorted(spans, key=lambda item: -len(item[1]))


@pytest.fixture(scope="module", params=list(SITES))
def planted(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Planted:
    """The site crawled twice at once into two datasets: with the default privacy settings and keeping names."""
    site_id, site = request.param, SITES[request.param]()
    outs = {extra: tmp_path_factory.mktemp(site_id) / "dataset" for extra in CRAWLS}
    with SandboxServer(site) as server:
        crawls = {
            extra: subprocess.Popen(
                [sys.executable, "-m", "qacrawler.cli", "crawl", site_id, "--base-url", server.base_url,
                 "--out", str(out), *extra],
                cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for extra, out in outs.items()
        }
        for process in crawls.values():
            stdout, stderr = process.communicate(timeout=300)
            assert process.returncode == 0, stdout + stderr[-3000:]
    return Planted(site_id, site, outs)


def identifying(name: str | None) -> bool:
    """A name that identifies someone: not a placeholder (匿名, anonymous), not one or two letters (Q, JJ)."""
    if not name or name.casefold() in GENERIC_NAMES:
        return False
    return sum(char.isalpha() for char in name) >= (2 if any("\u3400" <= char <= "\u9fff" for char in name) else 3)


def masked(text: str | None, spans: list[tuple[str, str]], names: list[str] = ()) -> str | None:
    for kind, span in spans:
        text = text and text.replace(span, f"[{kind}]")
    for name in sorted(names, key=len, reverse=True):
        text = text and text.replace(name, "[NAME]")
    return text


def texts_of(row: dict) -> list[str]:
    """Every free text of a record: its own fields, its replies and what it shows of similar questions."""
    texts = [row[name] for name in TEXT_FIELDS]
    texts += [text for reply in row["answers"] for text in (reply["text"], reply["author_name"])]
    for entry in row["similar_questions"]:
        texts += [entry["title"], *(entry[name] for name in EXCERPTS)]
    return [text for text in texts if text]


def rows_by_id(out: Path) -> dict[str, dict]:
    rows = read_records(out)
    assert len(rows) == len({row["source_id"] for row in rows})
    return {row["source_id"]: row for row in rows}


def manifest(out: Path) -> dict:
    (path,) = (out / "runs").glob("*.json")
    return json.loads(path.read_text())


def assert_masked_where_planted(planted: Planted, out: Path, names_masked: bool) -> None:
    """Every good article is in the dataset as its truth with the planted spans, and the names of its asker
    unless kept (and nothing else), masked."""
    spans, rows = planted.spans(), rows_by_id(out)
    assert sorted(rows) == sorted(str(number) for number in planted.good())
    mismatches = []
    for number in planted.good():
        truth, row = planted.site.truth(number), rows[str(number)]
        names = planted.names(number) if names_masked else []
        for name in TEXT_FIELDS:
            if row[name] != masked(truth[name], spans, names):
                mismatches.append(f"article {number} {name}: {row[name]!r}")
        if [reply["text"] for reply in row["answers"]] != ([row["answer"]] if row["answer"] else []):
            mismatches.append(f"article {number} answers: {row['answers']!r}, not the masked answer")
        got = [[entry[name] for name in EXCERPTS] for entry in row["similar_questions"]]
        others = ([name for name in GREETING_NAMES if addresses(name, truth["asker"]["name"] or "")]
                  if names_masked else [])
        expected = [[masked(entry[name], spans, others) for name in EXCERPTS] for entry in truth["similar_questions"]]
        if got != expected:
            mismatches.append(f"article {number} similar excerpts: {got!r}, expected {expected!r}")
    assert not mismatches, f"{len(mismatches)} mismatches, first ones:\n" + "\n".join(mismatches[:10])


def assert_nothing_planted_left(planted: Planted, out: Path) -> None:
    """No planted span, nor the handle or mailbox name inside it, is anywhere in the records or rejects."""
    blob = "\n".join(text for row in read_records(out) for text in texts_of(row))
    blob += "\n".join(row["excerpt"] or "" for row in read_rejects(out))
    leaks = []
    for kind, span in planted.spans():
        secrets = [span]
        if kind == "CONTACT":
            secrets.append(span.rsplit(":", 1)[-1].rsplit("：", 1)[-1].strip())
        if kind == "EMAIL":
            secrets.append(span.replace("＠", "@").split("@")[0].strip())
        leaks += [f"{kind} {secret!r} of {span!r}" for secret in secrets if secret in blob]
    assert not leaks, leaks


def test_every_planted_identifier_becomes_its_placeholder_and_nothing_else_is_masked(planted):
    assert_masked_where_planted(planted, planted.crawl(), names_masked=True)


def test_no_planted_identifier_is_left_anywhere_in_the_dataset(planted):
    out = planted.crawl()
    assert_nothing_planted_left(planted, out)
    rows = rows_by_id(out)
    for number in planted.site.pii_articles():
        row = rows[str(number)]
        shown = Counter({kind: (row["question"] + (row["answer"] or "")).count(f"[{kind}]") for kind in KINDS})
        assert shown >= Counter(kind for kind, _ in planted.site.planted_pii(number)), number
    if planted.site_id == "doctorqna":  # the first question paragraph is also shown on other articles' pages
        excerpts = [entry["question_excerpt"] for row in rows.values() for entry in row["similar_questions"]]
        assert any(f"[{kind}]" in excerpt for excerpt in excerpts for kind in KINDS)


def test_dates_doses_ages_and_lab_values_beside_them_survive_verbatim(planted):
    rows = rows_by_id(planted.crawl())
    kinds = set()
    for number in planted.site.pii_articles():
        row = rows[str(number)]
        for kind, text in planted.site.planted_lookalikes(number):
            assert text in row["question"] + "\n" + (row["answer"] or ""), (number, kind, text)
            kinds.add(kind)
    assert kinds == {"date", "dose", "age", "blood_pressure", "lab", "icd"}


def test_stats_and_manifest_count_at_least_the_planted_identifiers(planted):
    stats = manifest(planted.crawl())["stats"]
    spans = planted.spans()
    for kind, count in Counter(kind for kind, _ in spans).items():
        assert stats.get(f"privacy/masked/{kind}", 0) >= count, kind
    assert set(Counter(kind for kind, _ in spans)) == set(KINDS)
    assert stats["privacy/records_masked"] >= len(planted.site.pii_articles())


def test_asker_names_are_removed_by_default(planted):
    out = planted.crawl()
    rows = read_records(out)
    assert rows and all(row["asker"]["name"] is None for row in rows)
    named = sum(planted.site.truth(number)["asker"]["name"] is not None for number in planted.good())
    assert named and manifest(out)["stats"]["privacy/asker_name_removed"] == named


def test_keep_asker_names_keeps_the_names_but_still_masks_contact_details(planted):
    out = planted.crawl("--keep-asker-names")
    rows = rows_by_id(out)
    for number in planted.good():
        assert rows[str(number)]["asker"]["name"] == planted.site.truth(number)["asker"]["name"], number
    assert "privacy/asker_name_removed" not in manifest(out)["stats"]
    assert_masked_where_planted(planted, out, names_masked=False)
    assert_nothing_planted_left(planted, out)
    named = [number for number in planted.good() if planted.names(number)]
    assert named and all(name in rows[str(number)]["answer"] for number in named for name in planted.names(number))
    assert "privacy/masked/NAME" not in manifest(out)["stats"]


# --- asker names ------------------------------------------------------------------------------------


def test_answers_address_identifiable_askers_and_the_rest_are_placeholders_or_initials(planted):
    """The sandbox gives the name tests something to find, and every greeted name left unmasked is one the
    masker leaves alone by design."""
    named = [number for number in planted.good() if planted.names(number)]
    assert len(named) >= 10
    for number in planted.good():
        name = planted.site.truth(number)["asker"]["name"]
        if planted.site.planted_names(number) and not name_forms(name):
            assert not identifying(name), name


def test_stats_count_every_masked_name(planted):
    stats = manifest(planted.crawl())["stats"]
    planted_names = sum(len(planted.names(number)) for number in planted.good())
    assert stats["privacy/masked/NAME"] >= planted_names


def export_rows(out: Path) -> dict[str, list[dict]]:
    """Both export formats of the dataset, written by the command line, as rows by format."""
    rows: dict[str, list[dict]] = {}
    for fmt in ("jsonl", "csv"):
        path = out.parent / f"pairs.{fmt}"
        result = subprocess.run([sys.executable, "-m", "qacrawler.cli", "export", str(out), "--format", fmt,
                                 "--out", str(path)], cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr
        with open(path, encoding="utf-8-sig", newline="") as handle:
            rows[fmt] = ([json.loads(line) for line in handle] if fmt == "jsonl" else list(csv.DictReader(handle)))
    return rows


def test_no_asker_name_in_any_record_reject_log_or_export(planted):
    out = planted.crawl()
    records = rows_by_id(out)
    exported = export_rows(out)
    leaks = []
    for number in planted.good():
        names = planted.names(number)
        texts = texts_of(records[str(number)])
        for rows in exported.values():
            texts += [text for row in rows if row["id"] == f"{planted.site_id}:{number}"
                      for text in (row["title"], row["question"], row["answer"]) if text]
        leaks += [f"{number}: {name!r}" for name in names for text in texts if name in text]
    assert not leaks, leaks
    assert sum(len(rows) for rows in exported.values()) >= len(planted.good())  # answered ones, in both formats

    names = {planted.site.asker_name(number) for number in planted.site.article_ids()}
    names = {name for name in names if identifying(name)}
    (log,) = (out / "runs").glob("*.log")
    log_text = log.read_text(encoding="utf-8")
    assert not [name for name in names if name in log_text]

    kept = {row["url"]: row["excerpt"] or "" for row in read_rejects(planted.crawl("--keep-asker-names"))}
    rejects = read_rejects(out)
    assert sorted(kept) == sorted(row["url"] for row in rejects)
    shown = 0
    for row in rejects:
        name = planted.site.asker_name(int(re.search(r"[0-9]+$", row["url"]).group()))
        if name and name in kept[row["url"]]:  # the refused page showed its asker line
            shown += 1
            assert "[NAME]" in row["excerpt"], row
            if identifying(name):
                assert name not in row["excerpt"] + "".join(row["reasons"]), row
    if planted.site_id == "tw_ehospital":  # its undecodable pages are refused after their asker line
        assert shown
