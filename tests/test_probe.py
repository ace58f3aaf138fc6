"""`qacrawler probe`: what a page carries and the verdict, from a file and from a URL on a loopback server; bad
input gets one line and exit 2."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from qacrawler import cli
from qacrawler.crawl import settings
from qacrawler.crawl.spiders.base import user_agent
from qacrawler.probe import ENOUGH, NEEDS_PARSER
from tests.fixture_cases import FIXTURES_ROOT

DISCOURSE = FIXTURES_ROOT / "qapage" / "discourse_jsonld"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, list[str]]:
    status = cli.main(["probe", *argv])
    return status, capsys.readouterr().out.splitlines()


def test_a_saved_qapage_is_enough_for_a_site_file(capsys):
    status, lines = run(capsys, str(DISCOURSE / "page.html"))
    assert status == 0
    assert lines[0].startswith("page: https://community.diabetesconnect.org/t/dawn-phenomenon-or-somogyi-effect/18844")
    assert lines[1] == "structured data: json-ld (1 top-level node(s)), microdata (3 top-level node(s))"
    assert "QAPage 1" in lines[2] and "Answer 3" in lines[2]
    assert "  title: Dawn phenomenon or Somogyi effect? My fasting sugars are all over the place" in lines
    assert "  doctor.name: cde_maria" in lines and "  answers: 3 (0 accepted)" in lines
    assert lines[-1] == f"verdict: {ENOUGH}"


def test_url_beside_the_file_or_given(capsys, tmp_path):
    page = tmp_path / "saved.html"
    page.write_bytes((DISCOURSE / "page.html").read_bytes())
    assert run(capsys, str(page))[1][0] == f"page: http://localhost/saved.html ({page.stat().st_size} bytes)"
    assert run(capsys, str(page), "--url", "https://x.example/t/1")[1][0].startswith("page: https://x.example/t/1 ")


@pytest.mark.parametrize(("case", "refused", "verdict"), [
    ("qapage/faq_refused", "refused: FAQPage: an FAQ",
     "verdict: an FAQ page, no patient's question; a site file with keep_faq = true keeps its pairs"),
    ("qapage/no_structured_data", "refused: no schema.org structured data (json-ld, microdata, rdfa)",
     f"verdict: {NEEDS_PARSER}"),
    ("qapage/article_only", "refused: no schema.org QAPage: found Article, Organization, Person",
     f"verdict: {NEEDS_PARSER}"),
    ("qapage_faq/question_without_text", "refused: QAPage question without text",
     "verdict: QAPage data without what a record needs (QAPage question without text: nothing was asked)"),
])
def test_pages_a_site_file_cannot_serve_say_why(capsys, case, refused, verdict):
    status, lines = run(capsys, str(FIXTURES_ROOT / case / "page.html"))
    assert status == 1 and lines[-2].startswith(refused) and lines[-1] == verdict


def test_a_question_only_in_rdfa_needs_the_site_file_to_ask_for_it(capsys):
    status, lines = run(capsys, str(FIXTURES_ROOT / "qapage_rdfa" / "rdfa_question" / "page.html"))
    assert status == 0 and lines[1] == "structured data: rdfa (1 top-level node(s))"
    assert lines[-1] == f'verdict: {ENOUGH}, with syntaxes = ["rdfa"]: the question is only in rdfa'


def test_a_page_that_cannot_be_read(capsys, tmp_path):
    page = tmp_path / "big5.html"
    page.write_bytes(b'<html><head><meta charset="utf-8"></head><body>\xa7\xda</body></html>')
    status, lines = run(capsys, str(page))
    assert status == 1 and lines[-2].startswith("refused: bytes at offset") and "cannot be read" in lines[-1]


class _Server:
    """One loopback HTTP server serving one page; it records the requests it answered."""

    def __init__(self, body: bytes, status: int = 200):
        self.requests: list[dict[str, str]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - the http.server API
                outer.requests.append({"path": self.path, "user_agent": self.headers.get("User-Agent", "")})
                self.send_response(status)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self) -> _Server:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def served() -> Iterator[_Server]:
    with _Server((DISCOURSE / "page.html").read_bytes()) as server:
        yield server


def test_a_url_is_fetched_once_with_our_user_agent(capsys, served):
    status, lines = run(capsys, f"{served.url}/t/dawn/18844")
    assert status == 0 and lines[-1] == f"verdict: {ENOUGH}"
    assert served.requests == [{"path": "/t/dawn/18844", "user_agent": user_agent(settings.QA_CONTACT)}]


def test_a_page_over_the_download_limit_is_one_line(capsys, served, monkeypatch):
    monkeypatch.setattr(settings, "DOWNLOAD_MAXSIZE", 1000)
    with pytest.raises(SystemExit) as raised:
        cli.main(["probe", f"{served.url}/t/dawn/18844"])
    error = capsys.readouterr().err
    assert raised.value.code == 2 and error.count("\n") == 1 and "is larger than" in error


def test_an_http_error_is_one_line():
    with _Server(b"gone", status=404) as server, pytest.raises(SystemExit) as raised:
        cli.main(["probe", f"{server.url}/t/1"])
    assert raised.value.code == 2


@pytest.mark.parametrize(("argv", "message"), [
    (["ftp://example.org/page"], "'ftp://example.org/page' is not an http(s) URL"),
    (["/no/such/page.html"], "cannot read /no/such/page.html: No such file or directory"),
    ([str(DISCOURSE / "page.html"), "--url", "javascript:alert(1)"],
     "--url 'javascript:alert(1)' is not an http(s) URL"),
    ([str(DISCOURSE)], "cannot read"),
])
def test_bad_input_is_one_line_and_exit_2(capsys, argv, message):
    with pytest.raises(SystemExit) as raised:
        cli.main(["probe", *argv])
    error = capsys.readouterr().err
    assert raised.value.code == 2 and error.count("\n") == 1 and message in error and "Traceback" not in error
