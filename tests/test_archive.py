"""The raw-page archive (qacrawler.crawl.archive): every fetched response kept as WARC, read back by warcio,
one record of the dataset at a time (qacrawler.dataset.raw_page, `qacrawler show`), surviving a SIGKILL."""

from __future__ import annotations

import gzip
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from warcio.archiveiterator import ArchiveIterator

from qacrawler.dataset import NoRawPage, raw_page
from qacrawler.dataset.warc import salvage_archives
from qacrawler.sandbox import DoctorQnaSite, SandboxServer
from qacrawler.sandbox.faults import Response
from qacrawler.sandbox.qapage import QAPageSite
from tests.conftest import ROOT, run_cli
from tests.test_end_to_end import read_records, read_rejects
from tests.test_end_to_end_qapage import SITE_FILE, SITE_ID
from tests.test_scheduled_runs import crawl_command, last_manifest, wait_for_files

ARTICLE = re.compile(r"/en/article/(\d+)(/?)")
REQUIRED_RESPONSE_HEADERS = ("WARC-Target-URI", "WARC-Date", "WARC-Record-ID", "WARC-IP-Address",
                             "WARC-Payload-Digest", "WARC-Block-Digest", "WARC-Identified-Payload-Type",
                             "WARC-Warcinfo-ID", "Qacrawler-Site")


class EncodedAndMovedSite:
    """The doctorqna mirror as real servers send it: every article gzip-encoded, some articles moved (301)
    to their address with a trailing slash."""

    def __init__(self, site: DoctorQnaSite, moved: set[int]):
        self.site, self.moved = site, moved

    def render(self, path: str, query: dict[str, list[str]], *, base_url: str) -> Response:
        match = ARTICLE.fullmatch(path)
        if match and int(match[1]) in self.moved and not match[2]:
            return 301, {"Location": f"{base_url}{path}/", "Content-Type": "text/html", "Content-Length": "5"}, b"moved"
        status, headers, body = self.site.render(path.rstrip("/") if match else path, query, base_url=base_url)
        if match and status == 200:
            body = gzip.compress(body)
            headers = {**headers, "Content-Encoding": "gzip", "Content-Length": str(len(body))}
        return status, headers, body

    def served(self, url: str, base_url: str) -> bytes:
        """The decoded body the mirror sends for a URL."""
        path = url.removeprefix(base_url)
        return self.site.render(path.rstrip("/") if ARTICLE.fullmatch(path) else path, {}, base_url=base_url)[2]


def warc_records(out: Path) -> Iterator[tuple[Path, Any, bytes]]:
    """(file, record, decoded payload) of every WARC record of the dataset, digests checked as they are read."""
    for path in sorted((out / "archive").rglob("*.warc.gz")):
        with open(path, "rb") as handle:
            for record in ArchiveIterator(handle, check_digests=True):
                yield path, record, record.content_stream().read()


@pytest.fixture(scope="module")
def doctorqna_site() -> EncodedAndMovedSite:
    site = DoctorQnaSite(pages=60, seed=11)
    return EncodedAndMovedSite(site, set(site.article_ids()[:3]))


@pytest.fixture(scope="module")
def qapage_site() -> QAPageSite:
    return QAPageSite(pages=20, seed=5)


@pytest.fixture(scope="module")
def servers(doctorqna_site, qapage_site) -> Iterator[tuple[SandboxServer, SandboxServer]]:
    with SandboxServer(doctorqna_site) as doctorqna, SandboxServer(qapage_site) as qapage:
        yield doctorqna, qapage


@pytest.fixture(scope="module")
def crawled(servers, tmp_path_factory) -> Path:
    """Both sites side by side into one dataset, WARC files rotated at 40 KB."""
    doctorqna, qapage = servers
    out = tmp_path_factory.mktemp("archive") / "dataset"
    result = run_cli("crawl", "doctorqna", str(SITE_FILE), "--out", str(out),
                     "--base-url", f"doctorqna={doctorqna.base_url}", "--base-url", f"{SITE_ID}={qapage.base_url}",
                     "-s", "QA_ARCHIVE_MAX_BYTES=40000", "--gate", "max_reject_ratio=1")
    assert result.returncode == 0, result.stderr[-3000:]
    return out


def served_body(url: str, doctorqna_site, qapage_site, servers) -> bytes:
    doctorqna, qapage = servers
    if url.startswith(doctorqna.base_url):
        return doctorqna_site.served(url, doctorqna.base_url)
    return qapage_site.render(url.removeprefix(qapage.base_url), {}, base_url=qapage.base_url)[2]


def test_every_record_and_reject_row_reads_back_the_bytes_served_for_its_page(crawled, doctorqna_site, qapage_site,
                                                                              servers):
    records, rejects = read_records(crawled), read_rejects(crawled)
    assert {row["site"] for row in records} == {"doctorqna", SITE_ID}
    parse_rejects = [row for row in rejects if row["stage"] in ("parse", "validate")]
    assert parse_rejects, "the sandbox plants broken pages"
    for row in records + parse_rejects:
        page = raw_page(row, crawled)
        assert page.status == 200
        assert page.body == served_body(page.url, doctorqna_site, qapage_site, servers), row["url"]
        assert page.url.rstrip("/") == row["url"]
        assert page.warc_file == row["warc_file"]
        assert (crawled / page.warc_file).stat().st_mode & 0o777 == 0o600


def test_request_and_response_records_pair_up_with_the_headers_common_crawl_writes(crawled):
    warcinfo: dict[Path, str] = {}
    requests: dict[str, Any] = {}
    responses = []
    for path, record, _ in warc_records(crawled):
        headers = record.rec_headers
        if record.rec_type == "warcinfo":
            assert path not in warcinfo, "one warcinfo record, first in its file"
            warcinfo[path] = headers.get_header("WARC-Record-ID")
            continue
        assert headers.get_header("WARC-Warcinfo-ID") == warcinfo[path]
        if record.rec_type == "request":
            requests[headers.get_header("WARC-Concurrent-To")] = record
        else:
            assert record.rec_type == "response"
            responses.append(record)
    assert responses and len(requests) == len(responses)
    for response in responses:
        headers = response.rec_headers
        assert [name for name in REQUIRED_RESPONSE_HEADERS if not headers.get_header(name)] == []
        request = requests[headers.get_header("WARC-Record-ID")]
        assert request.rec_headers.get_header("WARC-Target-URI") == headers.get_header("WARC-Target-URI")
        assert request.rec_headers.get_header("WARC-Date") == headers.get_header("WARC-Date")
        assert request.http_headers.get_header("User-Agent").startswith("qacrawler/")
    targets = [response.rec_headers.get_header("WARC-Target-URI") for response in responses]
    for path in ("/robots.txt", "/sitemap.xml"):
        assert any(target.endswith(path) for target in targets), f"{path} not archived"
    assert {response.rec_headers.get_header("Qacrawler-Site") for response in responses} == {"doctorqna", SITE_ID}


def test_gzip_encoded_pages_are_stored_decoded_with_their_real_length(crawled, doctorqna_site, servers):
    articles = [(record, body) for _, record, body in warc_records(crawled) if record.rec_type == "response"
                and ARTICLE.search(record.rec_headers.get_header("WARC-Target-URI"))
                and record.http_headers.get_statuscode() == "200"]
    assert articles
    for record, body in articles:
        assert record.http_headers.get_header("Content-Encoding") is None
        assert record.http_headers.get_header("Transfer-Encoding") is None
        assert int(record.http_headers.get_header("Content-Length")) == len(body)
        assert body == doctorqna_site.served(record.rec_headers.get_header("WARC-Target-URI"), servers[0].base_url)
        assert not body.startswith(b"\x1f\x8b")  # no gzip magic: the decoded page


def test_a_redirect_is_archived_and_the_record_points_to_the_page_it_led_to(crawled, doctorqna_site, servers):
    base_url = servers[0].base_url
    by_target = {}
    for _, record, _ in warc_records(crawled):
        if record.rec_type == "response":
            by_target.setdefault(record.rec_headers.get_header("WARC-Target-URI"), []).append(record)
    records = {row["url"]: row for row in read_records(crawled)}
    for number in doctorqna_site.moved & set(doctorqna_site.site.article_ids()) - set(doctorqna_site.site.broken()):
        url = f"{base_url}/en/article/{number}"
        [moved] = by_target[url]
        assert moved.http_headers.get_statuscode() == "301"
        assert moved.http_headers.get_header("Location") == url + "/"
        [final] = by_target[url + "/"]
        assert final.rec_headers.get_header("Qacrawler-Requested-URL") == url
        page = raw_page(records[url], crawled)
        assert (page.url, page.status) == (url + "/", 200)


def test_files_rotate_by_size_are_renamed_private_and_listed_in_the_manifest(crawled):
    folder = crawled / "archive" / "site=doctorqna"
    files = sorted(folder.glob("*"))
    assert len(files) >= 3, "40 KB files: the doctorqna crawl makes several"
    assert all(path.name.endswith(".warc.gz") for path in files), "a .tmp file left behind"
    assert all(path.stat().st_mode & 0o777 == 0o600 for path in files)
    assert all(directory.stat().st_mode & 0o777 == 0o700 for directory in (crawled / "archive", folder))
    manifests = [json.loads(path.read_text()) for path in (crawled / "runs").glob("*.json")]
    assert len(manifests) == 2, "one run per site, side by side"
    listed = sorted(str(path.relative_to(crawled)) for path in (crawled / "archive").rglob("*.warc.gz"))
    assert sorted(name for manifest in manifests for name in manifest["archive"]) == listed
    for manifest in manifests:
        assert all(re.fullmatch(rf"archive/site={manifest['spider']}/{manifest['run_id']}-\d{{5}}\.warc\.gz", name)
                   for name in manifest["archive"])
        assert manifest["stats"]["archive/files"] == len(manifest["archive"])


def test_the_card_says_what_the_archive_holds_and_its_configs_leave_it_out(crawled):
    card = (crawled / "README.md").read_text(encoding="utf-8")
    assert "`archive/` holds the raw pages" in card and "must not be published" in card
    header = card.split("---")[1]
    assert "archive" not in header


def test_export_and_compact_leave_the_archive_alone_and_compact_keeps_provenance(crawled, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(crawled, copy)
    before = sorted(path.name for path in (copy / "archive").rglob("*"))
    assert run_cli("export", str(copy), "--out", str(tmp_path / "pairs.jsonl")).returncode == 0
    assert b"warc" not in (tmp_path / "pairs.jsonl").read_bytes()
    result = run_cli("compact", str(copy))
    assert result.returncode == 0, result.stderr
    assert sorted(path.name for path in (copy / "archive").rglob("*")) == before
    for row in read_records(copy):
        assert raw_page(row, copy).status == 200


def test_show_prints_the_raw_page_of_a_record(crawled, doctorqna_site, servers):
    row = next(row for row in read_records(crawled) if row["site"] == "doctorqna")
    body = run_cli_bytes("show", row["record_id"], "--dataset", str(crawled), "--body")
    assert body.returncode == 0 and body.stdout == doctorqna_site.served(row["url"], servers[0].base_url)
    headers = run_cli_bytes("show", row["record_id"], "--dataset", str(crawled), "--headers")
    assert headers.stdout.startswith(b"HTTP/1.1 200 OK\r\n") and b"Content-Type: text/html" in headers.stdout
    assert b"<html" not in headers.stdout
    whole = run_cli_bytes("show", row["record_id"], "--dataset", str(crawled), "--version", "1")
    assert whole.stdout == headers.stdout + b"\r\n" + body.stdout


@pytest.mark.parametrize(("arguments", "message"), [
    (["doctorqna:999999999"], "is not a record of"),
    (["doctorqna:1", "--dataset", "/nonexistent/x"], "is not a qacrawler dataset"),
    (["{first}", "--version", "5"], "has 1 versions"),
    (["{first}", "--crawled-at", "1999"], "has no version crawled at 1999"),
])
def test_show_refuses_in_one_line(crawled, arguments, message):
    first = read_records(crawled)[0]["record_id"]
    arguments = [argument.format(first=first) for argument in arguments]
    if "--dataset" not in arguments:
        arguments += ["--dataset", str(crawled)]
    result = run_cli("show", *arguments)
    assert result.returncode == 2
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_no_archive_writes_none_and_show_says_so(servers, tmp_path):
    out = tmp_path / "dataset"
    result = run_cli("crawl", str(SITE_FILE), "--base-url", servers[1].base_url, "--out", str(out), "--no-archive",
                     "--gate", "max_reject_ratio=1")
    assert result.returncode == 0, result.stderr[-2000:]
    assert not (out / "archive").exists()
    rows = read_records(out)
    assert rows and all(row["warc_file"] is None and row["warc_offset"] is None for row in rows)
    with pytest.raises(NoRawPage, match="no archived page"):
        raw_page(rows[0], out)
    shown = run_cli("show", rows[0]["record_id"], "--dataset", str(out))
    assert shown.returncode == 2 and "no archived page" in shown.stderr
    assert len(shown.stderr.strip().splitlines()) == 1


def test_retention_prunes_old_files_and_their_rows_say_pruned(servers, tmp_path):
    out = tmp_path / "dataset"
    command = ("crawl", str(SITE_FILE), "--base-url", servers[1].base_url, "--out", str(out),
               "--gate", "max_reject_ratio=1", "--gate", "min_records=0")
    assert run_cli(*command).returncode == 0
    [old] = (out / "archive").rglob("*.warc.gz")
    month_ago = time.time() - 30 * 86400
    os.utime(old, (month_ago, month_ago))
    second = run_cli(*command, "--full", "-s", "QA_ARCHIVE_KEEP_DAYS=7")
    assert second.returncode == 0, second.stderr[-2000:]
    assert not old.exists()
    manifest = last_manifest(out)
    assert manifest["stats"]["archive/pruned_files"] == 1
    assert [str(path.relative_to(out)) for path in (out / "archive").rglob("*.warc.gz")] == manifest["archive"]
    stale = [row for row in read_records(out) if row["warc_file"] == str(old.relative_to(out))]
    assert stale, "the first run's rows keep their pointers"
    with pytest.raises(NoRawPage, match="pruned"):
        raw_page(stale[0], out)
    pointing = stale + [row for row in read_rejects(out) if row["warc_file"] == str(old.relative_to(out))]
    check = run_cli("check", str(out))
    assert check.returncode == 0 and f"gone (pruned or removed); {len(pointing)} rows point into it" in check.stdout


def test_check_reports_a_broken_pointer_without_crashing(crawled, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(crawled, copy)
    good = run_cli("check", str(copy))
    assert good.returncode == 0 and " 0 broken" in good.stdout, good.stdout
    [part] = list((copy / "rejects").glob("*.parquet"))[:1]
    table = pq.read_table(part)
    offsets = [None if value is None else value + 7 for value in table.column("warc_offset").to_pylist()]
    pq.write_table(table.set_column(table.schema.get_field_index("warc_offset"), "warc_offset",
                                    [offsets]), part)
    bad = run_cli("check", str(copy))
    assert bad.returncode == 1 and ("damaged at offset" in bad.stdout or "no WARC response record" in bad.stdout)
    assert "Traceback" not in bad.stderr


def test_salvage_keeps_whole_records_and_cuts_a_torn_last_one(crawled, tmp_path):
    source = sorted((crawled / "archive" / "site=doctorqna").glob("*.warc.gz"))[0]
    folder = tmp_path / "archive" / "site=doctorqna"
    folder.mkdir(parents=True)
    whole = source.read_bytes()
    torn = gzip.compress(b"WARC/1.1\r\n" + b"x" * 5000)[:-40]
    (folder / (source.name + ".tmp")).write_bytes(whole + torn)
    assert salvage_archives(tmp_path) == [folder / source.name]
    assert (folder / source.name).read_bytes() == whole
    assert not list(folder.glob("*.tmp"))


def run_cli_bytes(*args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "qacrawler.cli", *args], capture_output=True, timeout=120, cwd=ROOT)


def test_sigkill_mid_crawl_then_the_next_run_every_row_finds_its_page(tmp_path):
    site = DoctorQnaSite(pages=500, seed=21)
    out = tmp_path / "dataset"
    with SandboxServer(site) as server:
        command = crawl_command(server, out, "-s", "QA_PARQUET_BATCH_ROWS=40")
        with subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) as process:
            wait_for_files(out, 3, process)
            os.kill(process.pid, signal.SIGKILL)
        killed = read_records(out)
        assert killed and list((out / "archive").rglob("*.warc.gz.tmp")), "the killed run's file is unfinished"
        resumed = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
        assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert last_manifest(out)["stats"]["archive/salvaged_files"] == 1
    assert not list((out / "archive").rglob("*.tmp"))
    rows = read_records(out)
    assert {row["warc_file"] for row in killed} <= {row["warc_file"] for row in rows}
    for row in rows:
        page = raw_page(row, out)
        assert page.body == site.render(row["url"].removeprefix(server.base_url), {}, base_url=server.base_url)[2]
