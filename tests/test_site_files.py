"""Site files (qacrawler/page/sites/site_file.py, docs/site-files.md): a bad file gets one line naming the key, the
smallest file gives the right ids and canonical URLs, folders register, politeness reaches the crawl, builtin
ids cannot be shadowed; a page that makes several records is crawled into all of them, once."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from dataclasses import replace

import pytest
from scrapy.crawler import Crawler
from scrapy.settings import Settings

from qacrawler.arguments import UsageError
from qacrawler.crawl.spiders.base import spider_for
from qacrawler.page.sites.errors import NotAnArticle
from qacrawler.page.sites.registry import BUILTIN, get_site, register_site_files
from qacrawler.page.sites.site import MAX_ID_CHARS
from qacrawler.page.sites.site_file import SiteFileError, load_site_file, load_site_files
from qacrawler.sandbox import SandboxServer
from tests.conftest import ROOT, run_cli
from tests.multi_record_site import PAIRSQA, PairsMirror
from tests.test_end_to_end import read_records

SMALLEST = """\
id = "example_health"
language = "en"
base_url = "https://answers.example.org"
article = '^/questions/(\\d+)'
sitemaps = ["/sitemap.xml"]
"""


def write(folder, name: str, text: str):
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def smallest_with(*, drop: tuple[str, ...] = (), add: str = "") -> str:
    lines = [line for line in SMALLEST.splitlines() if line.split(" =")[0] not in drop]
    return "\n".join(lines) + "\n" + add


# (file text, a part of the one line: the key and what is wrong)
BAD_FILES = {
    "TOML syntax": ('id = "x\nlanguage = "en"\n', "not valid TOML: "),
    "unknown key": (smallest_with(add='langauge = "en"\n'), "langauge: unknown key; did you mean 'language'?"),
    "missing key": (smallest_with(drop=("article",)), "article: missing; every site file needs id, language, "
                                                      "base_url, article"),
    "wrong type": (smallest_with(drop=("sitemaps",), add='sitemaps = "/sitemap.xml"\n'),
                   "sitemaps: expected a list of strings, e.g. [\"/sitemap.xml\"], got a string '/sitemap.xml'"),
    "boolean as number": (smallest_with(add="[politeness]\ndownload_delay = true\n"),
                          "politeness.download_delay: expected a number, got a boolean True"),
    "bad id": (smallest_with(drop=("id",), add='id = "Example-Health"\n'), "id: 'Example-Health' is not an id"),
    "bad language": (smallest_with(drop=("language",), add='language = "english please"\n'),
                     "language: 'english please' is not a BCP 47 language tag"),
    "regex": (smallest_with(drop=("article",), add="article = '^/q/(\\d+'\n"),
              "article: regular expression '^/q/(\\\\d+' does not compile: missing ), unterminated subpattern"),
    "base_url not http": (smallest_with(drop=("base_url",), add='base_url = "ftp://answers.example.org"\n'),
                          "base_url: 'ftp://answers.example.org' is not an http(s) URL"),
    "unknown syntax": (smallest_with(add='syntaxes = ["jsonld"]\n'),
                       "syntaxes[0]: unknown syntax 'jsonld'; did you mean 'json-ld'?"),
    "unknown field override": (smallest_with(add='[fields]\ndepartmnt = { css = "nav li" }\n'),
                               "fields.departmnt: not a field a rule may fill; did you mean 'department'?"),
    "css and xpath": (smallest_with(add='[fields]\ndepartment = { css = "li", xpath = "//li" }\n'),
                      "fields.department: give exactly one of css or xpath"),
    "CSS does not compile": (smallest_with(add='[fields]\ndepartment = { css = "nav >> li" }\n'),
                             "fields.department.css: 'nav >> li' does not compile"),
    "XPath does not compile": (smallest_with(add="[fields]\nview_count = { xpath = \"//span[\" }\n"),
                               "fields.view_count.xpath: '//span[' does not compile"),
    "unknown politeness key": (smallest_with(add="[politeness]\nrobotstxt_obey = false\n"),
                               "politeness.robotstxt_obey: unknown key"),
    "negative delay": (smallest_with(add="[politeness]\ndownload_delay = -1\n"),
                       "politeness.download_delay: -1 is out of range; give a number of at least 0"),
    "timezone": (smallest_with(add='timezone = "Mars/Olympus_Mons"\n'),
                 "timezone: 'Mars/Olympus_Mons' is not an IANA time zone"),
    "no discovery": (smallest_with(drop=("sitemaps",)), "sitemaps: no way to find articles"),
    "listing not a path": (smallest_with(add='listings = ["questions"]\n'),
                           "listings[0]: 'questions' is not a path on base_url"),
    "template without id": (smallest_with(add='article_template = "/questions/{qid}"\n'),
                            "article_template: '/questions/{qid}' is not a path with one {id}"),
    "foreign sandbox": (smallest_with(add='sandbox = "os:system"\n'),
                        "sandbox: 'os:system' is not one of qacrawler's own mirrors"),
    "coverage over 1": (smallest_with(add="[gates.coverage]\nanswer = 90\n"),
                        "gates.coverage.answer: 90 is a share between 0 and 1"),
    "unknown required field": (smallest_with(add='required_fields = ["anwser"]\n'),
                               "required_fields[0]: unknown record field 'anwser'; did you mean 'answer'?"),
    "builtin id": (smallest_with(drop=("id",), add='id = "doctorqna"\n'),
                   "id: 'doctorqna' is already declared by a builtin site"),
}


@pytest.mark.parametrize(("text", "line"), BAD_FILES.values(), ids=BAD_FILES.keys())
def test_a_bad_site_file_gets_one_line_naming_the_file_and_the_key(tmp_path, text, line):
    path = write(tmp_path, "site.toml", text)
    with pytest.raises(SiteFileError) as raised:
        load_site_files([path])
    message = str(raised.value)
    assert "\n" not in message
    assert message.startswith(f"{path}: ") and line in message, message
    assert isinstance(raised.value, UsageError)  # the command line prints it as its one line, exit 2


def test_a_file_that_is_not_utf8_or_missing_says_so(tmp_path):
    (tmp_path / "latin.toml").write_bytes(SMALLEST.replace("en", "\xe9n").encode("latin-1"))
    with pytest.raises(SiteFileError, match="not UTF-8 text"):
        load_site_file(tmp_path / "latin.toml")
    with pytest.raises(SiteFileError, match="no such site file or folder"):
        load_site_files([tmp_path / "missing.toml"])
    (tmp_path / "empty").mkdir()
    with pytest.raises(SiteFileError, match="holds no \\*.toml site file"):
        load_site_files([tmp_path / "empty"])


def test_the_toml_line_of_a_syntax_error_is_named(tmp_path):
    path = write(tmp_path, "site.toml", SMALLEST + "keep_faq = yes\ncard_notes = []\n")
    with pytest.raises(SiteFileError, match=r"not valid TOML: .*\(at line 6, column 12\)"):
        load_site_file(path)


def test_the_smallest_file_gives_source_ids_and_canonical_urls(tmp_path):
    site = load_site_file(write(tmp_path, "example.toml", SMALLEST))
    assert (site.id, site.language, site.base_url, site.discovery.sitemaps) == (
        "example_health", "en", "https://answers.example.org", ("/sitemap.xml",))
    assert site.parser_version.startswith("qapage-") and site.parser_version.endswith("+1")
    url = "https://www.answers.example.org/questions/123/why-headaches?utm_source=x#answer-2"
    assert site.source_id_from_url(url) == "123" and site.record_id_from_url(url) == "example_health:123"
    assert site.canonical_url(url) == "https://www.answers.example.org/questions/123"
    assert site.source_id_from_url("https://other.example/questions/123") is None
    assert site.source_id_from_url("https://answers.example.org/questions/" + "9" * 40) is None  # no such number


def test_a_pattern_without_a_group_takes_the_path_up_to_its_end(tmp_path):
    site = load_site_file(write(tmp_path, "slugs.toml", smallest_with(
        drop=("article",), add="article = '^/q/[a-z0-9-]+(?:\\?id=\\d+)?'\n")))
    assert site.source_id_from_url("https://answers.example.org/q/how-to-sleep") == "/q/how-to-sleep"
    assert site.source_id_from_url("https://answers.example.org/q/how-to-sleep/answers?page=2") == "/q/how-to-sleep"
    assert site.canonical_url("https://answers.example.org/q/how-to-sleep/answers?page=2") == (
        "https://answers.example.org/q/how-to-sleep")
    assert site.source_id_from_url("https://answers.example.org/q/sleep?id=5&utm=1") == "/q/sleep?id=5"
    assert site.canonical_url("https://answers.example.org/q/sleep?utm=1&id=5") == "https://answers.example.org/q/sleep"
    assert site.record_id_from_url("https://answers.example.org/q/sleep?id=5") == "example_health:/q/sleep?id=5"
    long_slug = "a" * MAX_ID_CHARS
    assert site.source_id_from_url(f"https://answers.example.org/q/{long_slug}") is None  # beyond the cap
    assert site.canonical_url(f"https://answers.example.org/q/{long_slug}") == (
        f"https://answers.example.org/q/{long_slug}")  # not an article: left as it is


def test_a_site_without_article_template_refuses_the_id_walk_in_one_line(tmp_path):
    site = load_site_file(write(tmp_path, "example.toml", SMALLEST))
    assert site.discovery.describe(id_walk=bool(site.article_template)) == "sitemap /sitemap.xml, article links"
    with pytest.raises(LookupError, match="no article_template"):
        site.article_path(5)
    with pytest.raises(UsageError, match="has no article_template, so it cannot walk ids"):
        spider_for(site)(min_id="1", max_id="3")


def test_every_key_of_the_format_is_read(tmp_path):
    site = load_site_file(write(tmp_path, "full.toml", SMALLEST + """\
listings = ["/questions"]
listing_pattern = '^/questions(\\?page=\\d+)?$'
article_links = false
article_template = "/questions/{id}"
description = "Example Health answers"
hosts = ["Answers-CDN.example.org"]
syntaxes = ["json-ld", "microdata", "rdfa"]
keep_faq = true
timezone = "America/New_York"
parser_version = 2
required_fields = ["answer", "doctor.name"]
card_notes = ["Answers are written by volunteers."]
sandbox = "qacrawler.sandbox.qapage:QAPageSite"

[fields]
department = { css = "nav.breadcrumb li:nth-last-child(2)" }
view_count = { xpath = "//span[@class='views']/text()" }

[politeness]
download_delay = 2.0
concurrent_requests_per_domain = 1

[gates]
min_records = 10
coverage = { department = 0.5 }
"""))
    parser = site.parser.__self__  # type: ignore[attr-defined]  # the bound QAPageParser.parse
    assert (parser.syntaxes, parser.keep_faq, parser.timezone) == (("json-ld", "microdata", "rdfa"), True,
                                                                   "America/New_York")
    assert parser.overrides["department"].css == "nav.breadcrumb li:nth-last-child(2)"
    assert parser.overrides["view_count"].xpath == "//span[@class='views']/text()"
    assert site.discovery.listings == ("/questions",) and not site.discovery.article_links
    assert site.canonical_url("https://answers.example.org/questions/7?x=1") == "https://answers.example.org/questions/7"
    assert site.hosts == ("answers-cdn.example.org",) and site.is_own_url("https://answers-cdn.example.org/x")
    assert site.parser_version.endswith("+2") and site.required_fields == ("answer", "doctor.name")
    assert site.crawl_settings == {"DOWNLOAD_DELAY": 2.0, "CONCURRENT_REQUESTS_PER_DOMAIN": 1}
    assert site.gates == {"min_records": 10, "coverage": {"department": 0.5}}
    assert site.description == "Example Health answers" and site.card_notes == ("Answers are written by volunteers.",)
    assert site.sandbox == "qacrawler.sandbox.qapage:QAPageSite" and site.source == str(tmp_path / "full.toml")


def test_a_folder_of_files_registers_in_name_order_and_one_id_twice_is_refused(tmp_path):
    folder = tmp_path / "sites"
    folder.mkdir()
    write(folder, "b.toml", smallest_with(drop=("id",), add='id = "bravo_health"\n'))
    write(folder, "a.toml", smallest_with(drop=("id",), add='id = "alpha_health"\n'))
    write(folder, "notes.txt", "not a site file")
    assert [site.id for site in load_site_files([folder])] == ["alpha_health", "bravo_health"]
    assert [site.id for site in load_site_files([folder, folder / "a.toml"])] == ["alpha_health", "bravo_health"]
    twin = write(tmp_path, "twin.toml", smallest_with(drop=("id",), add='id = "alpha_health"\n'))
    with pytest.raises(SiteFileError, match=f"'alpha_health' is already declared by {re.escape(str(folder))}"):
        load_site_files([folder, twin])
    listed = run_cli("sites", "-s", f"QA_SITE_FILES={folder}", timeout=60)
    assert listed.returncode == 0, listed.stderr
    rows = {line.split()[0]: line for line in listed.stdout.splitlines()[1:]}
    assert str(folder / "a.toml") in rows["alpha_health"] and "builtin" in rows["doctorqna"]
    scrapy_list = subprocess.run([sys.executable, "-m", "scrapy", "list", "-s", f"QA_SITE_FILES={folder}"], cwd=ROOT,
                                 capture_output=True, text=True, timeout=120)
    assert scrapy_list.returncode == 0, scrapy_list.stderr[-2000:]
    assert scrapy_list.stdout.split() == sorted([*(site.id for site in BUILTIN), "alpha_health", "bravo_health"])


def test_a_site_file_cannot_take_the_id_of_a_registered_site(tmp_path):
    first = write(tmp_path, "first.toml", SMALLEST)
    assert [site.id for site in register_site_files([first])] == ["example_health"]
    assert register_site_files([first])[0].source == str(first)  # the same file again replaces itself
    second = tmp_path / "more"
    second.mkdir()
    write(second, "again.toml", SMALLEST)
    with pytest.raises(SiteFileError, match=f"'example_health' is already declared by {re.escape(str(first))}"):
        register_site_files([second])
    assert get_site("example_health").source == str(first)
    assert get_site("doctorqna").source is None  # a builtin stays itself


def crawler_of(site, **cmdline) -> Crawler:
    settings = Settings()
    settings.setmodule("qacrawler.crawl.settings", priority="project")
    for name, value in cmdline.items():
        settings.set(name, value, priority="cmdline")
    return Crawler(spider_for(site), settings)


def test_politeness_overrides_reach_the_crawl_but_never_robots_or_autothrottle(tmp_path):
    site = load_site_file(write(tmp_path, "slow.toml", SMALLEST + "[politeness]\ndownload_delay = 2.5\n"
                                                                  "download_timeout = 60\n"))
    crawler = crawler_of(site, DOWNLOAD_TIMEOUT=90)
    spider_for(site).from_crawler(crawler)
    settings = crawler.settings
    assert settings.getfloat("DOWNLOAD_DELAY") == 2.5  # the file's, over the project's 1.0
    assert settings.getint("DOWNLOAD_TIMEOUT") == 90  # the command line's -s still wins
    assert settings.getbool("ROBOTSTXT_OBEY") and settings.getbool("AUTOTHROTTLE_ENABLED")
    mirror = crawler_of(site)
    spider_for(site).from_crawler(mirror, base_url="http://127.0.0.1:8080")
    assert mirror.settings.getfloat("DOWNLOAD_DELAY") == 0  # a loopback mirror runs at the sandbox's pace
    assert mirror.settings.getint("DOWNLOAD_TIMEOUT") == 60


def test_a_declaration_may_not_turn_robots_txt_off():
    with pytest.raises(ValueError, match="not ROBOTSTXT_OBEY"):
        replace(PAIRSQA, crawl_settings={"ROBOTSTXT_OBEY": False})


def test_a_page_of_several_records_gives_them_all_and_parse_says_so():
    mirror = PairsMirror()
    _, _, page = mirror.render("/faq/2", {}, base_url="")
    records = PAIRSQA.records(page, "https://pairsqa.example/faq/2")
    assert [record.record_id for record in records] == ["pairsqa:2#1", "pairsqa:2#2"]
    assert {record.url for record in records} == {"https://pairsqa.example/faq/2"}
    with pytest.raises(NotAnArticle, match="makes 2 records"):
        PAIRSQA.parse(page, "https://pairsqa.example/faq/2")
    _, _, single = mirror.render("/faq/1", {}, base_url="")
    assert PAIRSQA.parse(single, "https://pairsqa.example/faq/1").record_id == "pairsqa:1"


def manifest_of(out, run: int) -> dict:
    manifests = sorted((json.loads(path.read_text()) for path in (out / "runs").glob("*.json")),
                       key=lambda manifest: manifest["started_at"])
    return manifests[run]


def test_a_site_whose_pages_make_several_records_is_crawled_into_all_of_them_once(tmp_path):
    mirror = PairsMirror()
    out = tmp_path / "dataset"
    command = ["crawl", "pairsqa", "--out", str(out), "-s", "QA_SITE_MODULES=tests.multi_record_site"]
    with SandboxServer(mirror) as server:
        first = run_cli(*command, "--base-url", server.base_url)
        assert first.returncode == 0, first.stdout + first.stderr[-3000:]
        rows = read_records(out)
        assert {row["record_id"] for row in rows} == mirror.record_ids() and len(rows) == len(mirror.record_ids())
        assert {row["kind"] for row in rows if "#" in row["record_id"]} == {"faq"}
        ledger = manifest_of(out, 0)["ledger"]
        assert (ledger["scheduled"], ledger["recorded"], ledger["unaccounted"]) == (len(mirror.ids), len(mirror.ids), 0)
        second = run_cli(*command, "--base-url", server.base_url)
    assert second.returncode == 0, second.stdout + second.stderr[-3000:]
    assert len(read_records(out)) == len(rows)  # the second run adds nothing
    again = manifest_of(out, 1)
    assert again["ledger"]["unaccounted"] == 0 and again["counts"]["records"] == 0
    assert again["ledger"]["skipped"] + again["ledger"]["recorded"] == len(mirror.ids)


class QAPageMirror:
    """Two pages with schema.org QAPage JSON-LD and a sitemap: enough for a crawl of a site file to schedule,
    fetch and account for every article, whatever the structured-data parser makes of them."""

    ids = (1, 2)

    def render(self, path: str, query: dict[str, list[str]], *, base_url: str) -> tuple[int, dict[str, str], bytes]:
        if path == "/sitemap.xml":
            urls = "".join(f"<url><loc>{base_url}/questions/{number}</loc></url>" for number in self.ids)
            body = f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'
            return 200, {"Content-Type": "application/xml"}, body.encode("utf-8")
        match = re.fullmatch(r"/questions/([0-9]+)", path)
        if match is None or int(match.group(1)) not in self.ids:
            return 404, {"Content-Type": "text/html"}, b"<html><body>not found</body></html>"
        data = {"@context": "https://schema.org", "@type": "QAPage", "mainEntity": {
            "@type": "Question", "name": f"Headache question {match.group(1)}",
            "text": "Why do I wake with a headache?", "dateCreated": "2024-01-02T10:00:00Z", "answerCount": 1,
            "acceptedAnswer": {"@type": "Answer", "text": "See a neurologist.", "dateCreated": "2024-01-03T10:00:00Z",
                               "author": {"@type": "Person", "name": "Dr. Lee"}}}}
        page = (f'<html><head><script type="application/ld+json">{json.dumps(data)}</script></head>'
                f"<body><h1>{data['mainEntity']['name']}</h1></body></html>")
        return 200, {"Content-Type": "text/html; charset=utf-8"}, page.encode("utf-8")


def test_qacrawler_crawl_takes_a_site_file_into_the_crawl_process(tmp_path):
    site_file = write(tmp_path, "example.toml", SMALLEST)
    out = tmp_path / "dataset"
    with SandboxServer(QAPageMirror()) as server:
        result = run_cli("crawl", str(site_file), "--base-url", server.base_url, "--out", str(out))
    assert result.returncode in (0, 2), result.stdout + result.stderr[-3000:]  # 2: a gate, until the parser reads
    manifest = manifest_of(out, 0)
    assert manifest["spider"] == "example_health"  # the crawl's spider loader registered the file again
    ledger = manifest["ledger"]
    assert (ledger["scheduled"], ledger["recorded"] + ledger["rejected"], ledger["unaccounted"]) == (2, 2, 0)


def toml_blocks(text: str) -> list[str]:
    return re.findall(r"```toml\n(.*?)```", text, re.S)


def test_the_readme_leads_adding_a_site_with_the_smallest_file_which_sites_accepts(tmp_path):
    readme = (ROOT / "README.md").read_text("utf-8")
    adding = readme[readme.index("## Adding a site"):]
    assert toml_blocks(adding)[0] == SMALLEST  # the smallest file, verbatim
    assert toml_blocks((ROOT / "docs" / "site-files.md").read_text("utf-8"))[0] == SMALLEST
    path = write(tmp_path, "smallest.toml", toml_blocks(adding)[0])
    listed = run_cli("sites", str(path), timeout=60)
    assert listed.returncode == 0, listed.stderr
    assert any(line.split()[:4] == ["example_health", "en", "https://answers.example.org", str(path)]
               for line in listed.stdout.splitlines())


def test_fixture_save_keeps_the_site_file_beside_the_cases_and_the_runner_registers_it(tmp_path):
    from tests.fixture_cases import all_cases

    site_file = write(tmp_path, "fixture.toml", smallest_with(drop=("id",), add='id = "fixture_health"\n'))
    page = write(tmp_path, "page.html", "<html><body><p>No structured data here.</p></body></html>")
    root = tmp_path / "fixtures"
    saved = run_cli("fixture", "save", str(site_file), str(page), "plain_page", "--url",
                    "https://answers.example.org/questions/5", "--root", str(root), timeout=60)
    assert saved.returncode == 0, saved.stderr
    assert (root / "fixture_health" / "site.toml").read_text("utf-8") == site_file.read_text("utf-8")
    [case] = all_cases(root)
    assert case.id == "fixture_health/plain_page" and not case.is_article
    assert get_site("fixture_health").source == str(root / "fixture_health" / "site.toml")


def test_a_site_file_and_a_site_module_crawl_side_by_side_into_one_dataset(tmp_path):
    site_file = write(tmp_path, "example.toml", SMALLEST)
    out = tmp_path / "dataset"
    pairs = PairsMirror()
    with SandboxServer(QAPageMirror()) as qapage, SandboxServer(pairs) as faq:
        result = run_cli("crawl", str(site_file), "pairsqa", "--out", str(out),
                         "--base-url", f"example_health={qapage.base_url}", "--base-url", f"pairsqa={faq.base_url}",
                         "-s", "QA_SITE_MODULES=tests.multi_record_site")
    assert result.returncode in (0, 2), result.stdout + result.stderr[-3000:]  # 2: a gate, until the parser reads
    manifests = {manifest_of(out, run)["spider"]: manifest_of(out, run) for run in (0, 1)}
    assert manifests["example_health"]["base_url"] == qapage.base_url
    assert manifests["pairsqa"]["base_url"] == faq.base_url and manifests["pairsqa"]["gates_passed"]
    assert all(manifest["ledger"]["unaccounted"] == 0 for manifest in manifests.values())
    assert {row["record_id"] for row in read_records(out) if row["site"] == "pairsqa"} == pairs.record_ids()
