"""`qacrawler fixture save`: a page (a file, or fetched once from the sandbox on 127.0.0.1) becomes a fixture
folder that the fixture runner (tests/test_fixtures.py) accepts field by field; wrong input is one line and
exit 2 with nothing written."""

from __future__ import annotations

import http.server
import json
import shutil
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from qacrawler.cli import main
from qacrawler.crawl import settings
from qacrawler.crawl.spiders.base import user_agent
from qacrawler.sandbox import DoctorQnaSite, SandboxServer, TwEHospitalSite
from tests import test_fixtures as runner
from tests.fixture_cases import FIXTURES_ROOT, RECORD_FIELDS, Case, cases_of

SEED_CASE = FIXTURES_ROOT / "doctorqna" / "seed_semantic"


def save(*args: str) -> int:
    return main(["fixture", "save", *args])


def refused(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    with pytest.raises(SystemExit) as exited:
        save(*args)
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    return err


def saved_case(root: Path, site: str, name: str) -> Case:
    [case] = [case for case in cases_of(root, site) if case.name == name]
    return case


def assert_passes_the_runner(case: Case) -> None:
    runner.test_the_folder_holds_the_page_its_url_and_meta(case)
    if case.is_article:
        runner.test_expected_names_every_record_field(case)
        runner.test_expected_content_hash_is_the_hash_of_the_expected_texts(case)
        runner.test_crawled_at_is_the_fixed_one_of_meta_json(case)
        for field in RECORD_FIELDS:
            runner.test_field(case, field)
    else:
        runner.test_not_an_article(case)


def test_a_saved_file_becomes_a_case_the_runner_accepts(tmp_path, capsys):
    url = (SEED_CASE / "url.txt").read_text(encoding="utf-8").strip()
    assert save("doctorqna", str(SEED_CASE / "page.html"), "copy", "--url", url, "--root", str(tmp_path)) == 0
    assert "review expected.json" in capsys.readouterr().out
    case = saved_case(tmp_path, "doctorqna", "copy")
    assert case.page == (SEED_CASE / "page.html").read_bytes() and case.url == url
    assert case.meta == {"crawled_at": "2025-01-02T03:04:05Z"}
    assert case.expected == json.loads((SEED_CASE / "expected.json").read_text(encoding="utf-8"))
    assert_passes_the_runner(case)


def test_a_file_with_a_content_type_keeps_it_in_meta_json(tmp_path):
    source = FIXTURES_ROOT / "tw_ehospital" / "undeclared_big5"
    url = (source / "url.txt").read_text(encoding="utf-8").strip()
    assert save("tw_ehospital", str(source / "page.html"), "big5", "--url", url, "--content-type",
                "text/html; charset=big5", "--root", str(tmp_path)) == 0
    case = saved_case(tmp_path, "tw_ehospital", "big5")
    assert case.content_type == "text/html; charset=big5"
    assert_passes_the_runner(case)


def test_a_page_that_is_no_article_is_saved_with_the_parsers_reason(tmp_path):
    source = FIXTURES_ROOT / "doctorqna" / "listing_page"
    assert save("doctorqna", str(source / "page.html"), "listing", "--url", "https://doctorqna.com/en/",
                "--root", str(tmp_path)) == 0
    case = saved_case(tmp_path, "doctorqna", "listing")
    assert not case.is_article and case.expected["not_an_article"]
    assert_passes_the_runner(case)


@pytest.mark.parametrize(
    ("site_id", "mirror", "article_path"),
    [("doctorqna", DoctorQnaSite, "/en/article/{}"),
     ("tw_ehospital", TwEHospitalSite, "/doctor/All/ShowDetail.php?q_no={}")],
)
def test_a_sandbox_article_fetched_over_loopback_matches_its_ground_truth(tmp_path, site_id, mirror, article_path):
    site = mirror(pages=60, seed=3)
    article_id = next(article_id for article_id in site.article_ids() if article_id not in site.broken())
    truth = site.truth(article_id)
    path = article_path.format(article_id)
    with SandboxServer(site) as server:
        assert save(site_id, server.base_url + path, "fetched", "--root", str(tmp_path)) == 0
        assert server.hits[path.split("?")[0]] == 1  # fetched once, robots.txt not read
        assert "/robots.txt" not in server.hits
    case = saved_case(tmp_path, site_id, "fetched")
    assert case.url == server.base_url + path and (case.content_type or "").startswith("text/html")
    assert (case.expected["source_id"], case.expected["title"], case.expected["question"]) == (
        str(article_id), truth["title"], truth["question"])
    assert_passes_the_runner(case)


@contextmanager
def recording_server(status: int, headers: dict[str, str], body: bytes) -> Iterator[tuple[str, list[str]]]:
    """A one-route loopback server that answers every GET alike and records the User-Agents it saw."""
    agents: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            agents.append(self.headers.get("User-Agent", ""))
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", agents
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_the_fetch_names_the_crawler_and_is_capped_like_a_crawl(tmp_path, capsys, monkeypatch):
    page = (SEED_CASE / "page.html").read_bytes()
    with recording_server(200, {"Content-Type": "text/html; charset=utf-8"}, page) as (base, agents):
        assert save("doctorqna", base + "/en/article/133763", "ok", "--root", str(tmp_path)) == 0
        monkeypatch.setattr(settings, "DOWNLOAD_MAXSIZE", len(page) - 1)
        err = refused(capsys, "doctorqna", base + "/en/article/133763", "big", "--root", str(tmp_path))
    assert agents == [user_agent(settings.QA_CONTACT)] * 2
    assert "DOWNLOAD_MAXSIZE" in err and not (tmp_path / "doctorqna" / "big").exists()


def test_an_error_status_and_a_redirect_off_http_are_refused(tmp_path, capsys):
    with recording_server(404, {}, b"gone") as (base, _):
        assert "answered HTTP 404" in refused(capsys, "doctorqna", base + "/en/article/1", "x", "--root", str(tmp_path))
    for target in ("file:///etc/passwd", "ftp://127.0.0.1/en/article/1"):
        with recording_server(302, {"Location": target}, b"") as (base, _):
            err = refused(capsys, "doctorqna", base + "/en/article/1", "x", "--root", str(tmp_path))
        assert f"redirects to '{target}', which is not http(s)" in err
    assert not (tmp_path / "doctorqna").exists()


def test_an_existing_case_needs_force(tmp_path, capsys):
    args = ("doctorqna", str(SEED_CASE / "page.html"), "seed", "--url", "https://doctorqna.com/en/article/133763",
            "--root", str(tmp_path))
    assert save(*args) == 0
    (tmp_path / "doctorqna" / "seed" / "expected.json").write_text("{}", encoding="utf-8")
    (tmp_path / "doctorqna" / "seed" / "content_type.txt").write_text("stale", encoding="utf-8")
    assert "pass --force" in refused(capsys, *args)
    assert (tmp_path / "doctorqna" / "seed" / "expected.json").read_text(encoding="utf-8") == "{}"
    assert save(*args, "--force") == 0
    case = saved_case(tmp_path, "doctorqna", "seed")
    assert sorted(path.name for path in case.folder.iterdir()) == ["expected.json", "meta.json", "page.html", "url.txt"]
    assert_passes_the_runner(case)
    assert sorted(path.name for path in (tmp_path / "doctorqna").iterdir()) == ["seed"]  # no staging folder left


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("nosuchsite", "page.html", "x", "--url", "https://e.org/1"), "unknown site 'nosuchsite'; known sites: "),
        (("../etc", "page.html", "x", "--url", "https://e.org/1"), "unknown site '../etc'"),
        (("fields", "page.html", "x", "--url", "https://e.org/1"), "unknown site 'fields'"),
        (("doctorqna", "page.html", "../escape", "--url", "https://e.org/1"), "fixture name '../escape'"),
        (("doctorqna", "page.html", "a/b", "--url", "https://e.org/1"), "fixture name 'a/b'"),
        (("doctorqna", "page.html", ".hidden", "--url", "https://e.org/1"), "fixture name '.hidden'"),
        (("doctorqna", "page.html", "x"), "needs --url"),
        (("doctorqna", "page.html", "x", "--url", "ftp://e.org/1"), "is not an http(s) URL"),
        (("doctorqna", "missing.html", "x", "--url", "https://e.org/1"), "cannot read missing.html"),
        (("doctorqna", "ftp://e.org/en/article/1", "x"), "is not an http(s) URL"),
        (("doctorqna", "http://127.0.0.1:{port}/en/article/1", "x"), "cannot fetch http://127.0.0.1:"),
    ],
)
def test_wrong_input_is_one_line_and_exit_2_with_nothing_written(tmp_path, capsys, monkeypatch, args, message):
    shutil.copy(SEED_CASE / "page.html", tmp_path / "page.html")
    monkeypatch.chdir(tmp_path)
    args = tuple(arg.format(port=closed_port()) for arg in args)
    err = refused(capsys, *args, "--root", "fixtures")
    assert err.startswith("qacrawler fixture: error: ") and message in err
    assert not (tmp_path / "fixtures").exists()
