"""`qacrawler reparse`: records rebuilt from archived pages with the current parsers, no request made.

The dataset's archive is the one its crawl wrote (qacrawler.crawl.archive). Foreign WARC files are written here
as wget writes them: no Qacrawler-* headers, chunked and gzip bodies, revisits, error statuses.
"""

from __future__ import annotations

import gzip
import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from scrapy import Spider
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from qacrawler.crawl.pipelines.dedupe import DedupePipeline
from qacrawler.page.records import UnchangedFetch
from qacrawler.page.sites.registry import get_site
from qacrawler.sandbox import DoctorQnaSite, SandboxServer
from qacrawler.sandbox.qapage import QAPageSite
from tests.conftest import ROOT, run_cli
from tests.test_end_to_end import read_records
from tests.test_end_to_end_qapage import expected_record
from tests.test_pipelines import crawler_for, record, write_run
from tests.test_scheduled_runs import last_manifest

SITE_FILE = ROOT / "qacrawler" / "sandbox" / "qapage.toml"
SITE_ID = "healthanswers"
REAL_BASE = "https://healthanswers.example.org"
NOT_COMPARED = {"crawled_at", "warc_file", "warc_offset", "warc_length"}  # the fetch's own time and place


def bumped_site_file(folder: Path, version: str) -> Path:
    """The site file with another parser_version: what a parser fix does."""
    text = SITE_FILE.read_text("utf-8").replace('parser_version = "1"', f'parser_version = "{version}"')
    path = folder / f"healthanswers-v{version}.toml"
    path.write_text(text, "utf-8")
    return path


def http_block(status: int, reason: str, headers: list[tuple[str, str]]) -> StatusAndHeaders:
    return StatusAndHeaders(f"{status} {reason}", headers, protocol="HTTP/1.1")


def write_exchange(writer: WARCWriter, url: str, status: int, headers: list[tuple[str, str]], body: bytes,
                   extra: dict[str, str] | None = None) -> None:
    """A request record and its response record (WARC-Concurrent-To), as the crawl's archive writes them."""
    path = url.split("/", 3)[3] if url.count("/") >= 3 else ""
    request = writer.create_warc_record(url, "request", payload=io.BytesIO(b""), http_headers=StatusAndHeaders(
        f"GET /{path} HTTP/1.1", [("Host", url.split("/")[2])], is_http_request=True))
    response = writer.create_warc_record(url, "response", payload=io.BytesIO(body),
                                         http_headers=http_block(status, "OK" if status == 200 else "Error",
                                                                 headers),
                                         warc_headers_dict={"WARC-Concurrent-To":
                                                            request.rec_headers.get_header("WARC-Record-ID"),
                                                            **(extra or {})})
    for exchange_record in (request, response):
        write_and_close(writer, exchange_record)


def write_and_close(writer: WARCWriter, record) -> None:
    """warcio buffers a payload it digests in a temporary file that the record keeps open."""
    writer.write_record(record)
    record.raw_stream.close()


def comparable(row: dict) -> dict:
    return {name: value for name, value in row.items() if name not in NOT_COMPARED}


@pytest.fixture(scope="module")
def mirror():
    site = QAPageSite(pages=40, seed=5)
    with SandboxServer(site) as server:
        yield site, server


@pytest.fixture(scope="module")
def reparsed(mirror, tmp_path_factory):
    """A crawl (parser 1) and its archive; a re-parse with parser 2; a fresh crawl with parser 2; a second
    re-parse. Hits on the mirror are counted around both re-parses."""
    site, server = mirror
    folder = tmp_path_factory.mktemp("reparse")
    dataset, fresh = folder / "dataset", folder / "fresh"
    crawled = run_cli("crawl", str(SITE_FILE), "--base-url", server.base_url, "--out", str(dataset))
    assert crawled.returncode == 0, crawled.stderr[-2000:]
    archived = len(site.article_ids())  # the crawl archived every article page it fetched, once
    assert not list((dataset / "archive").rglob("*.tmp"))
    version_two = bumped_site_file(folder, "2")
    hits_before = sum(server.hits.values())
    first = run_cli("reparse", str(dataset), "--site-files", str(version_two), "-s", "QA_PARSE_PROCESSES=2")
    first_manifest = last_manifest(dataset)
    second = run_cli("reparse", str(dataset), "--site-files", str(version_two), "-s", "QA_PARSE_PROCESSES=2")
    hits_after = sum(server.hits.values())
    crawled_again = run_cli("crawl", str(version_two), "--base-url", server.base_url, "--out", str(fresh))
    assert crawled_again.returncode == 0, crawled_again.stderr[-2000:]
    return {"dataset": dataset, "fresh": fresh, "first": first, "second": second, "archived": archived,
            "first_manifest": first_manifest, "second_manifest": last_manifest(dataset),
            "hits": (hits_before, hits_after)}


def test_a_parser_bump_reparsed_equals_a_fresh_crawl_field_for_field(reparsed):
    assert reparsed["first"].returncode == 0, reparsed["first"].stderr[-2000:]
    new_rows = [row for row in read_records(reparsed["dataset"]) if row["parser_version"].endswith("+2")]
    fresh_rows = read_records(reparsed["fresh"])
    assert sorted(row["record_id"] for row in new_rows) == sorted(row["record_id"] for row in fresh_rows)
    fresh = {row["record_id"]: comparable(row) for row in fresh_rows}
    mismatches = [f"{row['record_id']} {name}: {value!r} != {fresh[row['record_id']][name]!r}"
                  for row in new_rows for name, value in comparable(row).items()
                  if value != fresh[row["record_id"]][name]]
    assert not mismatches, "\n".join(mismatches[:10])


def test_a_reparse_makes_no_request(reparsed):
    hits_before, hits_after = reparsed["hits"]
    assert hits_after == hits_before
    manifest = reparsed["first_manifest"]
    assert manifest["counts"]["pages"] == 0
    assert "downloader/request_count" not in manifest["stats"]


def test_the_reparse_has_its_own_manifest_with_its_mode_and_pool(reparsed):
    manifest = reparsed["first_manifest"]
    assert manifest["mode"] == "reparse"
    assert manifest["spider"] == SITE_ID
    assert manifest["stats"]["reparse/processes"] == 2
    assert manifest["stats"]["reparse/pages"] == reparsed["archived"]
    responses = []
    for path in (reparsed["dataset"] / "archive").rglob("*.warc.gz"):
        with path.open("rb") as stream:
            responses += [record.rec_headers.get_header("WARC-Target-URI") for record in ArchiveIterator(stream)
                          if record.rec_type == "response"]
    not_articles = [url for url in responses if "/questions/" not in url]  # robots.txt, sitemaps, listings
    assert len(not_articles) >= 3 and manifest["stats"]["reparse/skipped_not_article"] == len(not_articles)
    assert manifest["gates_passed"] is True
    assert manifest["run_id"] in run_cli("runs", str(reparsed["dataset"])).stdout


def test_a_second_reparse_adds_nothing(reparsed):
    assert reparsed["second"].returncode == 0, reparsed["second"].stderr[-2000:]
    manifest = reparsed["second_manifest"]
    assert manifest["run_id"] != reparsed["first_manifest"]["run_id"]
    assert manifest["counts"]["records"] == 0
    assert manifest["stats"]["dedupe/duplicate"] == manifest["stats"]["validate/passed"] > 0


def test_a_refused_page_is_a_parse_reject_of_the_reparse(reparsed, mirror):
    site, _ = mirror
    stats = reparsed["first_manifest"]["stats"]
    assert stats.get("rejects/stage/parse", 0) == len(site.refused())


# -- dedupe: a new parser version is a new version, in crawls too -------------------------------------------


def test_dedupe_keeps_known_content_made_by_another_parser_version(tmp_path):
    write_run(tmp_path, [record("1"), record("2")])
    crawler = crawler_for(tmp_path)
    crawler.spider = Spider(name="doctorqna", site=get_site("doctorqna"))
    dedupe = DedupePipeline.from_crawler(crawler)
    dedupe.open_spider()
    fixed = record("1").model_copy(update={"parser_version": "doctorqna/99"})
    assert dedupe.process_item(fixed) is fixed
    assert isinstance(dedupe.process_item(fixed), UnchangedFetch)  # once per run
    assert isinstance(dedupe.process_item(record("2")), UnchangedFetch)  # same parser, same content
    assert crawler.stats.get_value("dedupe/new_parser_version") == 1
    assert crawler.stats.get_value("dedupe/duplicate") == 2


def test_a_full_crawl_after_a_parser_bump_stores_the_corrected_rows(reparsed, mirror, tmp_path):
    """A crawl that fetches pages again (here --full) stores them under the new parser version, as reparse."""
    _, server = mirror
    version_three = bumped_site_file(tmp_path, "3")
    result = run_cli("crawl", str(version_three), "--base-url", server.base_url, "--out",
                     str(reparsed["fresh"]), "--full")
    assert result.returncode == 0, result.stderr[-2000:]
    rows = read_records(reparsed["fresh"])
    assert sum(row["parser_version"].endswith("+3") for row in rows) == len(
        {row["record_id"] for row in rows})


# -- WARC files made elsewhere -------------------------------------------------------------------------------


def chunked(body: bytes) -> bytes:
    half = len(body) // 2
    parts = (body[:half], body[half:])
    return b"".join(f"{len(part):x}\r\n".encode() + part + b"\r\n" for part in parts) + b"0\r\n\r\n"


def write_wget_warc(path: Path, site: QAPageSite, numbers: list[int]) -> None:
    """As `wget --warc-file` stores a crawl: raw bodies (the first page chunked, the second gzip), a revisit,
    a 404, a page that is no article, a page of an unknown host."""
    with path.open("wb") as stream:
        writer = WARCWriter(stream, gzip=True)
        writer.write_record(writer.create_warcinfo_record(path.name, {"software": "Wget/1.21.3"}))
        for position, number in enumerate(numbers):
            status, headers, body = site.render(site.article_path(number), base_url=REAL_BASE)
            fields = [("Content-Type", headers["Content-Type"])]
            if position == 0:
                fields, body = [*fields, ("Transfer-Encoding", "chunked")], chunked(body)
            elif position == 1:
                fields, body = [*fields, ("Content-Encoding", "gzip")], gzip.compress(body)
            write_exchange(writer, f"{REAL_BASE}{site.article_path(number)}", status, fields, body)
        revisit = writer.create_revisit_record(f"{REAL_BASE}{site.article_path(numbers[0])}", "sha1:AAAA",
                                               f"{REAL_BASE}{site.article_path(numbers[0])}",
                                               datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
        write_and_close(writer, revisit)
        write_exchange(writer, f"{REAL_BASE}/questions/999999", 404, [("Content-Type", "text/html")], b"gone")
        write_exchange(writer, f"{REAL_BASE}/questions", 200, [("Content-Type", "text/html")], b"<html></html>")
        write_exchange(writer, "https://elsewhere.example.com/questions/1", 200, [("Content-Type", "text/html")],
                       b"<html></html>")


def test_a_wget_warc_reparses_into_the_records_of_its_pages(mirror, tmp_path):
    site, _ = mirror
    numbers = site.question_ids()[:4]
    warc = tmp_path / "wget.warc.gz"
    write_wget_warc(warc, site, numbers)
    out = tmp_path / "from-wget"
    result = run_cli("reparse", "--warc", str(warc), "--out", str(out), "--site-files", str(SITE_FILE),
                     "-s", "QA_PARSE_PROCESSES=1")
    assert result.returncode == 0, result.stderr[-2000:]
    rows = {row["record_id"]: row for row in read_records(out)}
    assert sorted(rows) == sorted(f"{SITE_ID}:{number}" for number in numbers)
    for number in numbers:  # the ground truth, names and contact details masked as in a crawl
        row = rows[f"{SITE_ID}:{number}"]
        for name, value in expected_record(site, REAL_BASE, number, keep_names=False).items():
            assert row[name] == value, f"{number} {name}"
    stats = last_manifest(out)["stats"]
    assert stats["reparse/skipped_revisits"] == 1
    assert stats["reparse/skipped_status"] == 1
    assert stats["reparse/skipped_no_site"] == 2  # the listing and the unknown host


def write_two_site_warc(path: Path, qapage: QAPageSite) -> tuple[list[str], list[str]]:
    """Two healthanswers and two doctorqna articles at the sites' real addresses; their record ids."""
    doctorqna = DoctorQnaSite(pages=30, seed=3)
    doctorqna_ids = [number for number in doctorqna.article_ids() if number not in doctorqna.broken()][:2]
    with path.open("wb") as stream:
        writer = WARCWriter(stream, gzip=True)
        for number in qapage.question_ids()[:2]:
            status, headers, body = qapage.render(qapage.article_path(number), base_url=REAL_BASE)
            write_exchange(writer, f"{REAL_BASE}{qapage.article_path(number)}", status,
                           [("Content-Type", headers["Content-Type"])], body)
        for number in doctorqna_ids:
            status, headers, body = doctorqna.render(doctorqna.article_path(number), {},
                                                     base_url="https://doctorqna.com")
            write_exchange(writer, f"https://doctorqna.com{doctorqna.article_path(number)}", status,
                           [("Content-Type", headers["Content-Type"])], body)
    return ([f"{SITE_ID}:{number}" for number in qapage.question_ids()[:2]],
            [f"doctorqna:{number}" for number in doctorqna_ids])


def test_every_site_of_a_warc_is_reparsed_and_site_limits_it(mirror, tmp_path):
    site, _ = mirror
    warc = tmp_path / "two-sites.warc.gz"
    healthanswers_ids, doctorqna_ids = write_two_site_warc(warc, site)
    both, limited = tmp_path / "both", tmp_path / "limited"
    result = run_cli("reparse", "--warc", str(warc), "--out", str(both), "--site-files", str(SITE_FILE))
    assert result.returncode == 0, result.stderr[-2000:]
    assert sorted(row["record_id"] for row in read_records(both)) == sorted(healthanswers_ids + doctorqna_ids)
    manifests = [json.loads(path.read_text()) for path in (both / "runs").glob("*.json")]
    assert sorted(manifest["spider"] for manifest in manifests) == ["doctorqna", SITE_ID]
    result = run_cli("reparse", "--warc", str(warc), "--out", str(limited), "--site-files", str(SITE_FILE),
                     "--site", SITE_ID)
    assert result.returncode == 0, result.stderr[-2000:]
    assert sorted(row["record_id"] for row in read_records(limited)) == sorted(healthanswers_ids)
    assert last_manifest(limited)["stats"]["reparse/skipped_no_site"] == 2  # doctorqna's pages


def test_no_article_of_the_named_site_is_one_line(mirror, tmp_path):
    site, _ = mirror
    warc = tmp_path / "wget.warc.gz"
    write_wget_warc(warc, site, site.question_ids()[:2])
    result = run_cli("reparse", "--warc", str(warc), "--out", str(tmp_path / "out"), "--site-files", str(SITE_FILE),
                     "--site", "doctorqna")
    assert one_error_line(result) == ("qacrawler reparse: error: no archived article of doctorqna to re-parse "
                                      "(skipped_no_site 4, skipped_revisits 1, skipped_status 1)")


# -- errors --------------------------------------------------------------------------------------------------


def one_error_line(result) -> str:
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    return lines[0]


def test_a_dataset_without_archive_is_one_line(tmp_path):
    (tmp_path / "records").mkdir()
    (tmp_path / "runs").mkdir()
    assert "has no archive" in one_error_line(run_cli("reparse", str(tmp_path)))


def test_an_unknown_site_is_one_line(reparsed):
    assert "nosuchsite" in one_error_line(run_cli("reparse", str(reparsed["dataset"]), "--site", "nosuchsite"))


def test_a_file_that_is_not_warc_is_one_line(tmp_path):
    bogus = tmp_path / "page.html"
    bogus.write_text("<html>not a web archive</html>")
    assert "is not a WARC file" in one_error_line(
        run_cli("reparse", "--warc", str(bogus), "--out", str(tmp_path / "out")))


def test_a_body_over_the_size_limit_is_a_counted_skip(mirror, tmp_path):
    """A foreign WARC may hold a gzip bomb: its body is read no further than DOWNLOAD_MAXSIZE."""
    site, _ = mirror
    numbers = site.question_ids()[:2]
    warc = tmp_path / "bomb.warc.gz"
    write_wget_warc(warc, site, numbers)
    bomb = gzip.compress(b"<html>" + b" " * 3_000_000 + b"</html>")
    with warc.open("ab") as stream:
        write_exchange(WARCWriter(stream, gzip=True), f"{REAL_BASE}{site.article_path(site.question_ids()[5])}", 200,
                       [("Content-Type", "text/html"), ("Content-Encoding", "gzip")], bomb)
    out = tmp_path / "out"
    result = run_cli("reparse", "--warc", str(warc), "--out", str(out), "--site-files", str(SITE_FILE),
                     "-s", "QA_PARSE_PROCESSES=0", "-s", "DOWNLOAD_MAXSIZE=1000000")
    assert result.returncode == 0, result.stderr[-2000:]
    assert last_manifest(out)["stats"]["reparse/skipped_too_large"] == 1
    assert {row["record_id"] for row in read_records(out)} == {f"{SITE_ID}:{number}" for number in numbers}


def test_a_corrupt_record_is_a_counted_skip(mirror, tmp_path):
    site, _ = mirror
    numbers = site.question_ids()[:3]
    warc = tmp_path / "damaged.warc.gz"
    write_wget_warc(warc, site, numbers)
    data = warc.read_bytes()
    cut = data.rfind(b"\x1f\x8b\x08")  # the last record's gzip member: its middle is overwritten
    warc.write_bytes(data[:cut + 20] + b"\x00garbage\xff" * 20 + data[cut + 220:])
    out = tmp_path / "out"
    result = run_cli("reparse", "--warc", str(warc), "--out", str(out), "--site-files", str(SITE_FILE),
                     "-s", "QA_PARSE_PROCESSES=0")
    assert result.returncode == 0, result.stderr[-2000:]
    manifest = json.loads(sorted((out / "runs").glob("*.json"))[-1].read_text())
    assert manifest["stats"]["reparse/unreadable_records"] == 1
    assert manifest["stats"]["reparse/processes"] == 0
    assert {row["record_id"] for row in read_records(out)} == {f"{SITE_ID}:{number}" for number in numbers}
