"""Re-parse figures: `qacrawler reparse` of an archive of sandbox pages, parsing in the reactor's process, on one
worker process and on one per core, next to the parser alone; and the archive's WARC bytes per page."""

from __future__ import annotations

import io
import json
import shutil
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from qacrawler.page.pool import default_processes
from qacrawler.sandbox import DoctorQnaSite

BASE_URL = "http://127.0.0.1:8000"  # where the archived pages were "fetched": a mirror's address
RUN_ID = "20261201T000000Z-bench0"


def write_archive(site: DoctorQnaSite, root: Path) -> tuple[int, int]:
    """Every article page of the sandbox as the crawl's archive stores it (request + response records, gzip per
    record, ``Qacrawler-Site``); returns (article responses, bytes of the WARC file)."""
    folder = root / "archive" / "site=doctorqna"
    folder.mkdir(parents=True)
    path = folder / f"{RUN_ID}-00000.warc.gz"
    moment = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    with path.open("wb") as stream:
        writer = WARCWriter(stream, gzip=True)
        writer.write_record(writer.create_warcinfo_record(path.name, {"software": "qacrawler benchmarks"}))
        for article_id in site.article_ids():
            url = BASE_URL + site.article_path(article_id)
            status, headers, body = site.render(site.article_path(article_id), {}, base_url=BASE_URL)
            request = writer.create_warc_record(url, "request", payload=io.BytesIO(b""), http_headers=StatusAndHeaders(
                f"GET {site.article_path(article_id)} HTTP/1.1", [("Host", "127.0.0.1:8000")], is_http_request=True))
            response = writer.create_warc_record(
                url, "response", payload=io.BytesIO(body),
                http_headers=StatusAndHeaders(f"{status} OK", list(headers.items()), protocol="HTTP/1.1"),
                warc_headers_dict={"WARC-Date": moment, "Qacrawler-Site": "doctorqna",
                                   "WARC-Concurrent-To": request.rec_headers.get_header("WARC-Record-ID")})
            for record in (request, response):
                writer.write_record(record)
                record.raw_stream.close()  # warcio keeps the digested payload's temporary file open
    return len(site.article_ids()), path.stat().st_size


def reparse_once(archive_root: Path, out: Path, processes: int, work: Path,
                 run_measured: Callable[[list[str], Path], dict[str, Any]]) -> dict[str, Any]:
    """`qacrawler reparse` of a copy of the archive into an empty dataset: every page makes a row."""
    shutil.rmtree(out, ignore_errors=True)
    shutil.copytree(archive_root / "archive", out / "archive")
    (out / "runs").mkdir()
    command = [sys.executable, "-m", "qacrawler.cli", "reparse", str(out), "-s", f"QA_PARSE_PROCESSES={processes}"]
    figures = run_measured(command, work / f"{out.name}.log")
    manifests = sorted((out / "runs").glob("*.json"))
    if not manifests:
        raise RuntimeError(f"the reparse wrote no manifest; see {work / f'{out.name}.log'}")
    manifest = json.loads(manifests[-1].read_text())
    pages, elapsed = manifest["stats"].get("reparse/pages", 0), manifest["elapsed_seconds"]
    return {**figures, "processes": processes, "pages": pages, "records": manifest["counts"]["records"],
            "requests": manifest["stats"].get("downloader/request_count", 0), "elapsed_seconds": elapsed,
            "pages_per_s": pages / elapsed}


def measure(site: DoctorQnaSite, work: Path, parser_pages_per_s: float,
            run_measured: Callable[[list[str], Path], dict[str, Any]]) -> dict[str, Any]:
    archive_root = work / "reparse-archive"
    shutil.rmtree(archive_root, ignore_errors=True)
    pages, warc_bytes = write_archive(site, archive_root)
    cores = max(default_processes(), 1)
    runs = {name: reparse_once(archive_root, work / f"reparse-{name}", processes, work, run_measured)
            for name, processes in (("in_process", 0), ("one_process", 1), ("all_cores", cores))}
    one, every = runs["one_process"]["pages_per_s"], runs["all_cores"]["pages_per_s"]
    return {"archived_pages": pages, "warc_bytes": warc_bytes, "warc_bytes_per_page": warc_bytes / pages,
            **runs, "cores": cores, "all_cores_vs_one_process_pages_per_s": every / one,
            "one_process_vs_parser_pages_per_s": one / parser_pages_per_s,
            "all_cores_vs_parser_pages_per_s": every / parser_pages_per_s}
