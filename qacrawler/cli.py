"""The `qacrawler` command line. A wrong argument gets one line saying what is wrong, never a traceback."""

from __future__ import annotations

import argparse
import errno
import inspect
import json
import os
import shlex
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

from pydantic import ValidationError

from qacrawler.arguments import UsageError, check_base_url, check_id_range
from qacrawler.crawl import gates
from qacrawler.crawl.extensions.manifest import run_counts
from qacrawler.crawl.fetch_failures import failure_line
from qacrawler.crawl.process import CrawlResult, project_settings, run_crawls
from qacrawler.crawl.run import InvalidRunId, check_run_id
from qacrawler.dataset.files import LOCK_FILE, CorruptFile, DatasetLocked, run_manifests
from qacrawler.page.records import validation_reasons
from qacrawler.page.sites.registry import (
    BUILTIN,
    UnknownSite,
    all_sites,
    get_site,
    load_site_modules,
    register_site_files,
)
from qacrawler.page.sites.site import Site

DEMO_MARKER = ".qacrawler-demo"
# Mirrors of sites declared by a site file shipped beside them: `qacrawler sandbox --site NAME` serves the mirror
# the file's `sandbox` key names and prints the command that crawls it with that file.
SANDBOX_SITE_FILES = {"qapage": Path(__file__).parent / "sandbox" / "qapage.toml"}
EXIT_LOCKED = 3


class OneLineParser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see `{self.prog} --help`)\n")


def positive_int(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {text!r}")
    return int(text)


def positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected a number of seconds above 0, got {text!r}")
    return value


def port_number(text: str) -> int:
    if not text.isdigit() or not 0 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"expected a port between 0 and 65535 (0 = any free port), got {text!r}")
    return int(text)


def setting_override(text: str) -> tuple[str, str]:
    name, separator, value = text.partition("=")
    if not separator or not name.isupper() or not name.replace("_", "").isalnum():
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE with an upper-case setting name, got {text!r}")
    if name == "QA_RUN_ID":
        try:
            check_run_id(value)
        except InvalidRunId as error:
            raise argparse.ArgumentTypeError(str(error)) from None
    return name, value


def fault_plan(text: str):
    from qacrawler.sandbox.faults import FaultPlan

    try:
        return FaultPlan.parse(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def hostile_plan(text: str):
    from qacrawler.sandbox.hostile import HostilePlan

    try:
        return HostilePlan.parse(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def milliseconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value <= 60_000:  # also refuses nan and inf
        raise argparse.ArgumentTypeError(f"expected milliseconds between 0 and 60000, got {text!r}")
    return value


def gate_override(text: str) -> str:
    try:
        gates.parse_override(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    return text


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(prog="qacrawler",
                           description="Crawl public health Q&A sites into validated Parquet datasets.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=OneLineParser)

    demo = commands.add_parser("demo", help="start the local sandbox site, crawl it, summarise the dataset")
    demo.add_argument("--out", type=Path, default=Path("output/demo"), help="dataset folder (default output/demo)")
    demo.add_argument("--pages", type=positive_int, default=1200, help="sandbox article pages (default 1200)")
    demo.add_argument("--seed", type=int, default=7, help="sandbox seed (default 7)")

    crawl = commands.add_parser("crawl", help="crawl sites into a dataset folder")
    crawl.add_argument("site", nargs="+", metavar="SITE",
                       help="site id (`qacrawler sites` lists them), site file (PATH.toml) or folder of them (DIR/); "
                            "several crawl side by side into one dataset")
    crawl.add_argument("--out", type=Path, help="dataset folder (default output/<site>; required for several sites)")
    crawl.add_argument("--base-url", action="append", default=[], metavar="[SITE=]URL",
                       help="crawl this mirror instead of the real site (e.g. the sandbox's URL); with several sites "
                            "SITE=URL, once per site")
    crawl.add_argument("--max-pages", type=positive_int, help="stop after this many responses")
    crawl.add_argument("--min-id", type=positive_int, help="also walk article ids from here (with --max-id)")
    crawl.add_argument("--max-id", type=positive_int, help="last article id of the walk")
    crawl.add_argument("--full", action="store_true", help="fetch every article, not only new or changed ones")
    crawl.add_argument("--jobdir", type=Path, help="keep crawl state here so a stopped run resumes (Scrapy JOBDIR)")
    crawl.add_argument("--contact", help="e-mail or URL for site operators, sent in the User-Agent")
    crawl.add_argument("--keep-asker-names", action="store_true",
                       help="keep asker names in the dataset (off by default)")
    crawl.add_argument("--no-archive", action="store_true",
                       help="do not keep the raw pages as WARC under DIR/archive/ (records then have no provenance)")
    crawl.add_argument("-s", "--set", action="append", default=[], type=setting_override, metavar="NAME=VALUE",
                       help="override a Scrapy or qacrawler setting for this run, e.g. -s QA_PARQUET_BATCH_ROWS=1000")
    crawl.add_argument("--gate", action="append", default=[], type=gate_override, metavar="NAME=VALUE",
                       help="override a quality gate for this run, e.g. min_records=500 or coverage.reply_date=0.9")
    crawl.add_argument("--redis", metavar="URL", help="be one worker of a crawl shared through this Redis "
                                                      "(redis://HOST:PORT/DB): one frontier, one dataset, one run")
    crawl.add_argument("--workers-idle", type=positive_float, metavar="SECONDS",
                       help="with --redis: stop once the shared queue has been empty this long (default 30)")

    workers = commands.add_parser("workers", help="the running shared crawls of a Redis: workers, queue, pages/s")
    workers.add_argument("--redis", required=True, metavar="URL", help="the crawls' Redis (redis://HOST:PORT/DB)")

    reparse = commands.add_parser("reparse", help="rebuild records from archived pages with the current parsers, "
                                                  "no network: rows only where a record changed")
    reparse.add_argument("dataset", type=Path, nargs="?", metavar="DATASET",
                         help="the dataset whose archive/ to re-parse (or --warc with --out)")
    reparse.add_argument("--site", action="append", default=[], metavar="SITE",
                         help="only this site (repeatable; default: every site in the archive)")
    reparse.add_argument("--warc", nargs="+", type=Path, default=[], metavar="FILE",
                         help="WARC files made elsewhere (wget --warc-file, a Common Crawl extract); site by URL")
    reparse.add_argument("--out", type=Path, help="the dataset --warc builds or extends")
    reparse.add_argument("--site-files", nargs="+", default=[], metavar="PATH",
                         help="site files (PATH.toml) or folders of them whose sites the pages may belong to")
    reparse.add_argument("--keep-asker-names", action="store_true",
                         help="keep asker names in the dataset (off by default)")
    reparse.add_argument("-s", "--set", action="append", default=[], type=setting_override, metavar="NAME=VALUE",
                         help="override a setting, e.g. -s QA_PARSE_PROCESSES=1 (default: one per core)")
    reparse.add_argument("--gate", action="append", default=[], type=gate_override, metavar="NAME=VALUE",
                         help="override a quality gate for this run, e.g. min_records=500")

    parse = commands.add_parser("parse", help="print the parser's record for saved pages, one JSON line per file")
    parse.add_argument("--site", required=True, help="site id (`qacrawler sites` lists them) or site file (PATH.toml)")
    parse.add_argument("--url", help="the pages' URL (default: url.txt beside each file)")
    parse.add_argument("files", nargs="+", type=Path, metavar="FILE")

    probe = commands.add_parser("probe", help="which schema.org data a page carries and the record the QAPage parser "
                                              "makes of it: does the site need only a site file?")
    probe.add_argument("source", metavar="URL-or-FILE", help="an http(s) URL (fetched once) or a saved page")
    probe.add_argument("--url", help="a file's URL, for its relative links (default: url.txt beside it)")

    fixture = commands.add_parser("fixture", help="parser fixtures: tests/fixtures/<site>/<name>/")
    fixture_commands = fixture.add_subparsers(dest="fixture_command", metavar="save", required=True,
                                              parser_class=OneLineParser)
    fixture_save = fixture_commands.add_parser(
        "save", help="save a page and the current parser's record as a fixture folder, for review")
    fixture_save.add_argument("site", help="site id (a parser in qacrawler/page/sites/) or site file (PATH.toml)")
    fixture_save.add_argument("source", metavar="URL-or-FILE", help="an http(s) URL fetched once, or a saved page")
    fixture_save.add_argument("name", metavar="NAME", help="the case's folder name, e.g. open_ended_age")
    fixture_save.add_argument("--url", help="the page's address for url.txt (required with a FILE)")
    fixture_save.add_argument("--content-type", help="the HTTP Content-Type to parse under (default: the server's)")
    fixture_save.add_argument("--root", type=Path, default=Path("tests/fixtures"),
                              help="fixtures folder (default tests/fixtures)")
    fixture_save.add_argument("--force", action="store_true", help="replace an existing fixture folder")

    compact = commands.add_parser("compact", help="rewrite a dataset to one row per record_id (newest), atomically")
    compact.add_argument("dataset", type=Path, metavar="DIR")

    report = commands.add_parser("report", help="write an HTML report with plots of a dataset")
    report.add_argument("dataset", type=Path, metavar="DIR")
    report.add_argument("--out", type=Path, help="folder for report.html and its PNGs (default DIR/report)")

    export = commands.add_parser("export", help="write question/answer pairs with their split")
    export.add_argument("dataset", type=Path, metavar="DIR")
    export.add_argument("--format", choices=("jsonl", "csv"), default="jsonl", help="jsonl (default) or csv")
    export.add_argument("--out", type=Path, help="file to write (default DIR/exports/qa-pairs.<format>)")

    check = commands.add_parser("check", help="verify every Parquet file of a dataset; exit 1 when any is bad")
    check.add_argument("dataset", type=Path, metavar="DIR")
    check.add_argument("--quarantine", action="store_true",
                       help="move bad files to DIR/quarantine/ (out of every reader's way), logging what moved")

    sites = commands.add_parser("sites",
                                help="list the sites qacrawler can crawl: language, base URL, source, discovery")
    sites.add_argument("paths", nargs="*", metavar="PATH", help="also these site files (PATH.toml) or folders of them")
    sites.add_argument("-s", "--set", action="append", default=[], type=setting_override, metavar="NAME=VALUE",
                       help="the crawl's QA_SITE_FILES or QA_SITE_MODULES, to list the sites a scheduled job knows")

    show = commands.add_parser("show", help="print the raw page (status line, headers, body) a record was made from")
    show.add_argument("record_id", metavar="RECORD_ID", help="<site>:<source_id>")
    show.add_argument("--dataset", type=Path, metavar="DIR", help="dataset folder (default output/<site>)")
    version = show.add_mutually_exclusive_group()
    version.add_argument("--version", type=int, metavar="N",
                         help="the N-th stored version, 1 = oldest, -1 = latest (default)")
    version.add_argument("--crawled-at", metavar="TIME",
                         help="the version fetched at this time (ISO, a prefix will do)")
    part = show.add_mutually_exclusive_group()
    part.add_argument("--headers", action="store_true", help="only the status line and headers")
    part.add_argument("--body", action="store_true", help="only the body")

    runs = commands.add_parser("runs", help="list a dataset's past runs: counts, durations, gate results")
    runs.add_argument("dataset", type=Path, metavar="DIR")

    sandbox = commands.add_parser("sandbox", help="serve the local sandbox site until interrupted")
    sandbox.add_argument("--port", type=port_number, default=0, help="port (default: any free port)")
    sandbox.add_argument("--pages", type=positive_int, default=1200, help="article pages (default 1200)")
    sandbox.add_argument("--seed", type=int, default=7, help="seed (default 7)")
    sandbox.add_argument("--site", default="doctorqna",
                         help="which site to mirror (default doctorqna; `qacrawler sites`; "
                              f"{', '.join(SANDBOX_SITE_FILES)}: a site declared by a site file)")
    sandbox.add_argument("--faults", type=fault_plan, metavar="SPEC",
                         help="inject faults, e.g. server_error=0.05,too_many_requests=0.05,drop=0.02,truncate=0.02")
    sandbox.add_argument("--latency", type=milliseconds, default=0.0, metavar="MS",
                         help="wait this long before every response, as a distant site would (default 0)")
    sandbox.add_argument("--jitter", type=milliseconds, default=0.0, metavar="MS",
                         help="vary each wait by up to this much either way, at most --latency (default 0)")
    sandbox.add_argument("--hostile", type=hostile_plan, metavar="SPEC",
                         help="doctorqna only: articles that redirect, rate-limit, send huge bodies or a gzip bomb, "
                              "e.g. all=2 or other_host=3,bomb=1 (qacrawler/sandbox/hostile.py)")
    sandbox.add_argument("--plant-pii", action="store_true",
                         help="write contact details and ID numbers into some questions and the asker's name into some "
                              "answers, to test the privacy stage")
    sandbox.add_argument("--renamed-labels", action="store_true",
                         help="doctorqna only: rename the page labels as a site redesign would")
    sandbox.add_argument("--hostile-pages", action="store_true",
                         help="serve odd charset labels, malformed links and parser bombs "
                              "(see sandbox/hostile_pages.py)")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except UsageError as error:
        parser.exit(2, f"qacrawler {args.command}: error: {error}\n")
    except DatasetLocked as error:
        parser.exit(EXIT_LOCKED, f"qacrawler {args.command}: {error}\n")
    except CorruptFile as error:
        parser.exit(2, f"qacrawler {args.command}: error: {error}\n")
    except (PermissionError, NotADirectoryError, IsADirectoryError, FileExistsError) as error:  # an unusable path
        where = f"{error.filename}: " if error.filename else ""
        parser.exit(2, f"qacrawler {args.command}: error: {where}{error.strerror or error}\n")
    except KeyboardInterrupt:
        return 130


def command_parse(args: argparse.Namespace) -> int:
    from qacrawler.page.sites.errors import NotAnArticle

    [site] = sites_named([args.site], one_each=True)
    status = 0
    for path in args.files:
        url = args.url or _url_beside(path)
        try:
            records = site.records(path.read_bytes(), url)
        except OSError as error:
            print(f"{path}: cannot read: {error.strerror}", file=sys.stderr)
            status = 1
        except NotAnArticle as error:
            print(f"{path}: not an article: {error.reason}", file=sys.stderr)
            status = 1
        except ValidationError as error:
            print(f"{path}: invalid record: {'; '.join(validation_reasons(error))}", file=sys.stderr)
            status = 1
        else:
            for record in records:  # one, or one per pair of an FAQ page its site keeps
                print(json.dumps(record.model_dump(mode="json"), ensure_ascii=False))
    return status


def command_probe(args: argparse.Namespace) -> int:
    from qacrawler.probe import probe

    return probe(args.source, args.url)


def setting_list(value: str) -> list[str]:
    """A `-s NAME=a,b` list, split as Scrapy's getlist splits it."""
    return [part.strip() for part in value.split(",") if part.strip()]


def known_site(site_id: str, site_modules: str = "", site_files: str = "") -> Site:
    """The registered site of that id, after importing the modules a `-s QA_SITE_MODULES=` names and reading the
    site files of a `-s QA_SITE_FILES=`."""
    load_site_modules(setting_list(site_modules))
    register_site_files(setting_list(site_files))
    try:
        return get_site(site_id)
    except UnknownSite as error:
        raise UsageError(f"{error}; Try: qacrawler sites") from None


def is_site_path(name: str) -> bool:
    """A site file or folder of them where a site id is expected: it ends in .toml or holds a slash (a folder is
    written `sites/`, so a folder named like a site id, e.g. a dataset's, is never taken for one)."""
    return name.endswith(".toml") or "/" in name or os.sep in name


def sites_named(names: list[str], settings: dict[str, str] | None = None, one_each: bool = False) -> list[Site]:
    """The sites the command line names, each once: ids (of builtin sites, and of the modules and site files
    `-s QA_SITE_MODULES=` / `-s QA_SITE_FILES=` name) and site files or folders of them."""
    settings = settings or {}
    sites: dict[str, Site] = {}
    for name in names:
        if is_site_path(name):
            declared = register_site_files([name])
            if one_each and len(declared) != 1:
                raise UsageError(f"{name} declares {len(declared)} sites; give one site file")
        else:
            declared = [known_site(name, settings.get("QA_SITE_MODULES", ""), settings.get("QA_SITE_FILES", ""))]
        sites.update((site.id, site) for site in declared)
    return list(sites.values())


def command_sites(args: argparse.Namespace) -> int:
    settings = dict(args.set)
    load_site_modules(setting_list(settings.get("QA_SITE_MODULES", "")))
    register_site_files([*setting_list(settings.get("QA_SITE_FILES", "")), *args.paths])
    builtin = {site.id for site in BUILTIN}
    rows = [(site.id, site.language, site.base_url,
             "builtin" if site.id in builtin else site.source or "site module",
             site.discovery.describe(id_walk=bool(site.article_template)))
            for site in all_sites()]
    header = ("site", "language", "base URL", "source", "discovery")
    widths = [max(len(row[column]) for row in [header, *rows]) for column in range(4)]
    for row in [header, *rows]:
        print("  ".join(f"{cell:<{width}}" for cell, width in zip(row, widths, strict=False)) + f"  {row[4]}")
    return 0


def command_fixture(args: argparse.Namespace) -> int:
    from qacrawler.fixture_save import save_fixture

    site = sites_named([args.site], one_each=True)[0] if args.site.endswith(".toml") else None  # else an id
    folder, expected = save_fixture(site.id if site else args.site, args.source, args.name, url=args.url,
                                    content_type=args.content_type, root=args.root, force=args.force)
    verdict = (f"not an article: {expected['not_an_article']}" if "not_an_article" in expected
               else f"record {expected['record_id']}")
    print(f"wrote {folder} ({verdict}); review expected.json against the page before committing it")
    site_file = folder.parent / "site.toml"  # the fixture runner registers the site from it
    if site is not None and site.source and not site_file.exists():
        shutil.copyfile(site.source, site_file)
        print(f"wrote {site_file} (the site file the cases of {site.id} are parsed with)")
    return 0


def _url_beside(path: Path) -> str:
    candidate = path.parent / "url.txt"
    if not candidate.is_file():
        raise UsageError(f"no --url given and no url.txt beside {path}; pass --url with the page's address")
    return candidate.read_text("utf-8").strip()


def crawl_overrides(args: argparse.Namespace) -> dict[str, Any]:
    overrides: dict[str, Any] = {"QA_PROGRESS_INTERVAL": 1.0 if sys.stderr.isatty() else 10.0}
    gate_overrides = gates.overrides_from(getattr(args, "gate", []))
    if getattr(args, "max_pages", None):
        overrides["CLOSESPIDER_PAGECOUNT"] = args.max_pages
        gate_overrides.setdefault("finish_reasons", ["finished", "closespider_pagecount"])
    overrides["QA_GATES_OVERRIDES"] = gate_overrides
    if getattr(args, "contact", None):
        overrides["QA_CONTACT"] = args.contact
    if getattr(args, "keep_asker_names", False):
        overrides["QA_KEEP_ASKER_NAMES"] = True
    if getattr(args, "full", False):
        overrides["QA_INCREMENTAL"] = False
    if getattr(args, "no_archive", False):
        overrides["QA_ARCHIVE"] = False
    if getattr(args, "jobdir", None):
        overrides["JOBDIR"] = str(args.jobdir)
    overrides.update(getattr(args, "set", []))
    return overrides


def command_crawl(args: argparse.Namespace) -> int:
    settings = dict(args.set)
    sites = sites_named(args.site, settings)
    if len(sites) > 1:
        names = ", ".join(site.id for site in sites)
        if not args.out:
            raise UsageError(f"give --out when crawling several sites ({names}) into one dataset")
        if args.min_id is not None or args.max_id is not None:
            raise UsageError(f"--min-id and --max-id are one site's; crawl {names} one at a time with them")
    base_urls = mirror_urls(args.base_url, sites)
    id_walk: dict[str, str] = {}
    if args.min_id is not None or args.max_id is not None:
        check_id_range(args.min_id, args.max_id)
        if not sites[0].article_template:
            raise UsageError(f"site {sites[0].id} has no article_template, so it cannot walk ids; add one to "
                             f"{sites[0].source or 'its declaration'} or drop --min-id/--max-id")
        id_walk = {"min_id": str(args.min_id), "max_id": str(args.max_id)}
    out = writable_folder(args.out or Path("output") / sites[0].id, "--out")
    overrides = crawl_overrides(args)
    site_files = [str(Path(site.source).resolve()) for site in sites if site.source]
    if site_files:  # the crawl's spider loader registers them again, beside those of -s QA_SITE_FILES
        overrides["QA_SITE_FILES"] = [*setting_list(settings.get("QA_SITE_FILES", "")), *site_files]
    jobs = [(site.id, {**id_walk, **({"base_url": base_urls[site.id]} if site.id in base_urls else {})})
            for site in sites]
    if args.redis:
        overrides.update(join_shared_crawl(args, sites, out))
    elif args.workers_idle is not None:
        raise UsageError("--workers-idle is a setting of shared crawls; give --redis URL with it")
    results = run_crawls(jobs, out, overrides, prepare=announce_new_dataset, shared=bool(args.redis))
    print_summary(results)
    return exit_status(results)


def command_reparse(args: argparse.Namespace) -> int:
    from qacrawler.crawl import reparse
    from qacrawler.page.pool import ParsePool, default_processes

    settings = dict(args.set)
    register_site_files([*setting_list(settings.get("QA_SITE_FILES", "")), *args.site_files])
    if args.warc:
        if args.dataset is not None or args.out is None:
            raise UsageError("--warc builds the dataset given with --out, not a DATASET argument: "
                             "qacrawler reparse --warc FILE... --out DIR")
        for path in args.warc:
            reparse.check_warc_file(path)
        out = writable_folder(args.out, "--out")
        sites = sites_named(args.site, settings) if args.site else all_sites()
        scan = reparse.scan_warc_files(args.warc, sites)
    else:
        if args.dataset is None:
            raise UsageError("give the DATASET to re-parse, or --warc FILE... --out DIR")
        out = existing_dataset(args.dataset)
        archive = out / reparse.ARCHIVE
        if not archive.is_dir():
            raise UsageError(f"{out} has no archive ({archive}): it was crawled with --no-archive or before "
                             "archiving; nothing to re-parse")
        archived = sorted(path.name.removeprefix("site=") for path in archive.glob("site=*") if path.is_dir())
        sites = sites_named(args.site or archived, settings)
        scan = reparse.scan_archive(out, sites)
    processes = parse_processes(settings.get("QA_PARSE_PROCESSES"), default_processes())
    overrides = {**crawl_overrides(args), "QA_ARCHIVE": False}  # the pages come from an archive: none fetched
    keep_names = project_settings(overrides).getbool("QA_KEEP_ASKER_NAMES")
    pool = ParsePool(sites, processes, keep_names=keep_names) if processes else None
    try:
        jobs = reparse.reparse_jobs(scan, sites, pool)
        if not jobs:
            skipped = ", ".join(f"{reason} {count}" for reason, count in sorted(scan.skipped.items()))
            raise UsageError(f"no archived article of {', '.join(site.id for site in sites)} to re-parse"
                             + (f" ({skipped})" if skipped else ""))
        results = run_crawls(jobs, out, overrides, prepare=announce_new_dataset)
    finally:
        if pool is not None:
            pool.close()
    print_summary(results)
    return exit_status(results)


def parse_processes(value: str | None, default: int) -> int:
    if value is None:
        return default
    if not value.isdigit():
        raise UsageError(f"QA_PARSE_PROCESSES={value}: expected a whole number (0 = parse in this process)")
    return int(value)


def join_shared_crawl(args: argparse.Namespace, sites: list[Site], out: Path) -> dict[str, Any]:
    """The settings that make this crawl a worker of the site's shared run in Redis (joined, or started as its
    leader): one site, no JOBDIR (the frontier is in Redis)."""
    from qacrawler.crawl import distributed

    if len(sites) > 1:
        raise UsageError("--redis shares one site's crawl; start workers per site")
    if args.jobdir:
        raise UsageError("--jobdir and --redis exclude each other: a shared crawl keeps its frontier in Redis")
    server = distributed.reachable(args.redis)
    membership = distributed.join(server, args.redis, out, sites[0].id)
    role = "leader (seeds the queue)" if membership.leader else "worker"
    print(f"shared run {membership.run_id} of {membership.namespace}: {membership.worker} is {role}",
          file=sys.stderr, flush=True)
    return membership.settings(args.workers_idle or 30.0)


def command_workers(args: argparse.Namespace) -> int:
    """One line per shared run, then one per live worker: what `qacrawler crawl --redis` publishes."""
    from qacrawler.crawl import distributed

    server = distributed.reachable(args.redis)
    runs = distributed.running(server)
    if not runs:
        print("no shared crawl is running")
    for run in runs:
        print(f"{run.namespace} run {run.run_id}: {len(run.workers)} workers, {run.queued} requests queued, "
              f"{run.pages} pages, {run.pages_per_second:.1f} pages/s")
        for name, beat in sorted(run.workers.items()):
            role = " (leader)" if beat.get("leader") else ""
            print(f"  {name}{role}: {beat.get('state')}, {beat.get('pages', 0)} pages, "
                  f"{beat.get('in_flight', 0)} in flight")
    return 0


def mirror_urls(values: list[str], sites: list[Site]) -> dict[str, str]:
    """Site id -> the --base-url its crawl uses: a plain URL for one site, SITE=URL for any of several."""
    ids = [site.id for site in sites]
    urls: dict[str, str] = {}
    for value in values:
        name, separator, url = value.partition("=")
        if not separator or "://" in name:  # a plain URL (whose query may hold a "=")
            if len(sites) > 1:
                raise UsageError(f"--base-url {value}: give SITE=URL when crawling several sites ({', '.join(ids)})")
            name, url = ids[0], value
        if name not in ids:
            raise UsageError(f"--base-url {value}: {name!r} is not a site of this crawl ({', '.join(ids)})")
        if name in urls:
            raise UsageError(f"--base-url given twice for {name}")
        urls[name] = check_base_url(url)
    return urls


def writable_folder(path: Path, option: str) -> Path:
    """A folder that exists or can be made: refused before a lock or a crawl creates anything in it."""
    existing = path
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        where = "is a file" if existing == path else f"is below {existing}, which is a file"
        raise UsageError(f"{option} {path} {where}; give a folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise UsageError(f"{option} {path}: cannot write to {existing} (permission denied)")
    return path


def writable_file(path: Path, option: str) -> Path:
    """A file path whose folder exists or can be made and that is not itself a folder."""
    if path.is_dir():
        raise UsageError(f"{option} {path} is a folder; give a file name")
    writable_folder(path.parent, option)
    return path


def announce_new_dataset(out: Path) -> None:
    """A mistyped --out would otherwise start a full crawl into a new folder without a word."""
    from qacrawler.dataset import is_dataset

    if not is_dataset(out):
        print(f"new dataset at {out}: this is a full crawl", file=sys.stderr, flush=True)


def exit_status(results: list[CrawlResult]) -> int:
    """1 when a crawl crashed (no manifest), else 2 when a quality gate failed, else 0."""
    if not all(result.manifest_path.exists() for result in results):
        return 1
    passed = all(json.loads(result.manifest_path.read_text("utf-8"))["gates_passed"] for result in results)
    return 0 if passed else 2


def command_demo(args: argparse.Namespace) -> int:
    from qacrawler.sandbox import SandboxServer

    writable_folder(args.out, "--out")
    check_demo_folder(args.out)  # refuse a foreign folder before the lock creates a file in it
    started = time.monotonic()
    try:
        sites = {site.id: site.sandbox_class()(pages=args.pages, seed=args.seed) for site in BUILTIN if site.sandbox}
    except ValueError as error:
        raise UsageError(f"--pages: {error}") from None
    servers = {name: SandboxServer(site).start() for name, site in sites.items()}
    try:
        for name, server in servers.items():
            print(f"sandbox {name}: {args.pages} article pages at {server.base_url}", file=sys.stderr)
        jobs = [(name, {"base_url": server.base_url}) for name, server in servers.items()]
        results = run_crawls(jobs, args.out, crawl_overrides(args), prepare=prepare_demo_folder)
    finally:
        for server in servers.values():
            server.stop()
    print_summary(results, elapsed=time.monotonic() - started)
    return exit_status(results)


def check_demo_folder(out: Path) -> None:
    """The demo replaces its own earlier output, never a folder it did not create."""
    if out.is_dir() and not (out / DEMO_MARKER).exists() and any(path.name != LOCK_FILE for path in out.iterdir()):
        raise UsageError(f"{out} holds files the demo did not write; choose another --out")


def prepare_demo_folder(out: Path) -> None:
    """Empties the demo's folder. Called holding its lock, whose file stays: a second demo is refused, not mixed in."""
    check_demo_folder(out)
    for path in out.iterdir():
        if path.name == LOCK_FILE:
            continue
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()
    (out / DEMO_MARKER).write_text("written by `qacrawler demo`; the next demo replaces this folder\n")


def print_summary(results: list[CrawlResult], elapsed: float | None = None) -> None:
    for result in results:
        counts = run_counts(result.stats)
        print(f"{result.spider} (run {result.run_id}): pages {counts['pages']}  records {counts['records']}  "
              f"rejects {counts['rejects']}  duplicates {counts['duplicates']}  files {counts['files']}  "
              f"errors {counts['errors']}  finish reason {result.stats.get('finish_reason')}")
        if not result.manifest_path.exists():
            print(f"  the crawl ended without a manifest: see {result.log_path}")
            continue
        manifest = json.loads(result.manifest_path.read_text("utf-8"))
        if line := failure_line(manifest["fetch_failures"], counts["pages"], manifest["base_url"]):
            print("  " + line)
        for gate in manifest["gates"]:
            if not gate["passed"]:
                print("  " + gates.GateResult(**gate).line())
    totals = {key: sum(run_counts(result.stats)[key] for result in results)
              for key in ("pages", "records", "rejects", "files")}
    if elapsed is None:
        elapsed = max(((r.stats["finish_time"] - r.stats["start_time"]).total_seconds()
                       for r in results if "finish_time" in r.stats and "start_time" in r.stats), default=0.0)
    out = results[0].out
    print(
        f"total: pages {totals['pages']}  records {totals['records']}  rejects {totals['rejects']}  "
        f"files {totals['files']}  elapsed {elapsed:.1f}s\n"
        f"dataset: {out}\nmanifests: {out / 'runs'}\n"
        f"log: {', '.join(str(result.log_path) for result in results)}"
    )
    if records_glob(out):
        print(query_hint(out))


def records_glob(out: Path) -> str | None:
    """The glob of the dataset's record files, or None when it holds none (a query would only fail)."""
    records = out / "records"
    return (records / "**" / "*.parquet").as_posix() if any(records.rglob("*.parquet")) else None


def query_hint(out: Path) -> str:
    """A command that works as printed: this interpreter (the venv's, which has DuckDB), not a bare `python`."""
    return ("query it:\n"
            f"  {shlex.quote(sys.executable)} -c \"import duckdb; duckdb.sql(\\\"SELECT site, specialty, count(*) AS n "
            f"FROM read_parquet('{records_glob(out)}', hive_partitioning=true) "
            "GROUP BY ALL ORDER BY n DESC\\\").show()\"")


def command_sandbox(args: argparse.Namespace) -> int:
    from qacrawler.sandbox import Latency
    from qacrawler.sandbox.server import serve_forever

    try:
        latency = (Latency(args.latency / 1000, args.jitter / 1000, seed=args.seed)
                   if args.latency or args.jitter else None)
    except ValueError:
        raise UsageError(f"--jitter {args.jitter:g} is larger than --latency {args.latency:g}") from None
    if args.site != "doctorqna" and args.hostile is not None:
        raise UsageError("--hostile is available for the doctorqna mirror only")
    site_file = SANDBOX_SITE_FILES.get(args.site)
    mirror = site_file_mirror(site_file) if site_file else sandbox_mirror(known_site(args.site))
    flags = {"--renamed-labels": ("labels", "renamed"), "--plant-pii": ("pii", True),
             "--hostile-pages": ("hostile", True)}
    options = dict(option for flag, option in flags.items() if getattr(args, flag[2:].replace("-", "_")))
    unsupported = [flag for flag, (name, _) in flags.items()
                   if name in options and name not in inspect.signature(mirror).parameters]
    if unsupported:
        raise UsageError(f"{unsupported[0]} is not available for the {args.site} mirror")
    try:
        site = mirror(pages=args.pages, seed=args.seed, **options)
    except ValueError as error:
        raise UsageError(f"--pages: {error}") from None
    if args.faults is not None and args.faults.malformed and not hasattr(site, "malformable_paths"):
        raise UsageError(f"--faults malformed is not available for the {args.site} mirror")
    try:
        if args.hostile is None:
            serve_forever(site, port=args.port, faults=args.faults, latency=latency,
                          announce=crawl_hint(site_file) if site_file else None)
        else:
            serve_hostile(site, args, latency)
    except OSError as error:
        if error.errno not in (errno.EADDRINUSE, errno.EACCES, errno.EADDRNOTAVAIL):  # binding the port
            raise
        raise UsageError(f"cannot listen on 127.0.0.1 port {args.port}: {error.strerror}; "
                         "Try: --port 0 (any free port)") from None
    return 0


def sandbox_mirror(site: Site) -> Any:
    try:
        return site.sandbox_class()
    except LookupError as error:
        raise UsageError(str(error)) from None


def site_file_mirror(path: Path) -> Any:
    """The mirror class a shipped site file names in its `sandbox` key."""
    import tomllib

    from qacrawler.page.sites.site import import_object

    return import_object(tomllib.loads(path.read_text("utf-8"))["sandbox"])


def crawl_hint(site_file: Path) -> Callable[[str], None]:
    def announce(base_url: str) -> None:
        print(f"crawl it: qacrawler crawl {shlex.quote(str(site_file))} --base-url {base_url}", file=sys.stderr,
              flush=True)

    return announce


def serve_hostile(site: Any, args: argparse.Namespace, latency: Any) -> None:
    from qacrawler.sandbox.hostile import HostileSite, OtherHost
    from qacrawler.sandbox.server import serve_forever

    with OtherHost() as other:
        try:
            hostile = HostileSite(site, args.hostile, other.url)
        except ValueError as error:
            raise UsageError(str(error)) from None
        print(f"other host (counts connections): {other.url}", file=sys.stderr, flush=True)
        serve_forever(hostile, port=args.port, faults=args.faults, latency=latency)
        print(f"other host connections: {other.connections}", file=sys.stderr)


def existing_dataset(path: Path) -> Path:
    """Every command reading a dataset refuses anything else with the same line (qacrawler.dataset's, which
    points from a records/ or partition folder to its dataset), before a lock or an output is created."""
    from qacrawler.dataset import dataset_root

    try:
        return dataset_root(path)
    except FileNotFoundError as error:
        raise UsageError(str(error)) from None


def command_compact(args: argparse.Namespace) -> int:
    from qacrawler.dataset.compact import compact

    try:
        result = compact(existing_dataset(args.dataset))
    except FileNotFoundError as error:  # a dataset with no records yet
        raise UsageError(str(error)) from None
    if result.compaction_id is None:
        print(f"{args.dataset}: already compact, nothing rewritten ({result.rows_after} rows in {result.files_after} "
              "files: one file per partition, one row per record_id)")
        return 0
    print(f"{args.dataset}: {result.rows_before} rows in {result.files_before} files -> "
          f"{result.rows_after} rows in {result.files_after} files ({result.compaction_id})")
    return 0


def command_report(args: argparse.Namespace) -> int:
    try:
        from qacrawler.dataset.report import build_report
    except ModuleNotFoundError as error:  # matplotlib is an extra: only this command draws
        raise UsageError(f"the report needs {error.name}; install it with: pip install 'qacrawler[report]'") from None

    root = existing_dataset(args.dataset)
    written = build_report(root, writable_folder(args.out, "--out") if args.out else None)
    print(written[0])
    return 0


def command_export(args: argparse.Namespace) -> int:
    from qacrawler.dataset.export import NothingToExport, export

    root = existing_dataset(args.dataset)
    try:
        written = export(root, args.format, writable_file(args.out, "--out") if args.out else None)
    except NothingToExport as error:
        raise UsageError(str(error)) from None
    print(f"{written.path}: {written.pairs} question/answer pairs; {written.unanswered} unanswered questions "
          "left out (no answer to pair with)")
    return 0


def command_check(args: argparse.Namespace) -> int:
    """Each bad file on one line with its reason, then the rows whose WARC pointer reads no page; 0 when all
    are good, 1 when a file or a pointer is bad (also after quarantine). A killed run's WARC file is
    salvaged first (qacrawler.dataset.warc.salvage_archives); pointers into pruned files are only counted."""
    from qacrawler.dataset.check import bad_files, parquet_files, quarantine
    from qacrawler.dataset.files import dataset_lock
    from qacrawler.dataset.warc import check_pointers, salvage_archives

    root = existing_dataset(args.dataset)
    with dataset_lock(root):
        for path in salvage_archives(root):
            print(f"{path}: finished the WARC file a killed run left")
    checked = len(parquet_files(root))
    bad = bad_files(root, deep=True)
    for item in bad:
        print(f"{item.path}: {item.reason}")
    print(f"{root}: {checked - len(bad)} files good, {len(bad)} bad")
    if bad and args.quarantine:
        log = quarantine(root, bad)
        print(f"moved {len(bad)} bad files to {root / 'quarantine'} (see {log})")
    pointers = check_pointers(root) if not bad else None
    if pointers is not None and pointers.checked:  # a dataset without an archive prints no line about it
        for line in pointers.broken:
            print(line)
        for file, rows in sorted(pointers.missing_files.items()):
            print(f"{file}: gone (pruned or removed); {rows} rows point into it")
        print(f"{root}: {pointers.checked} WARC pointers, {len(pointers.broken)} broken")
    return 1 if bad or (pointers is not None and pointers.broken) else 0


def command_show(args: argparse.Namespace) -> int:
    """The stored page of one version of a record on stdout, as received (decoded body)."""
    from qacrawler.dataset import NoRawPage, raw_page, record_versions

    site = args.record_id.split(":", 1)[0]
    root = existing_dataset(args.dataset or Path("output") / site)
    versions = record_versions(root, args.record_id)
    if not versions:
        raise UsageError(f"{args.record_id} is not a record of {root}")
    if args.crawled_at:
        matching = [row for row in versions if row["crawled_at"].isoformat().startswith(args.crawled_at)]
        if not matching:
            times = ", ".join(row["crawled_at"].isoformat() for row in versions)
            raise UsageError(f"{args.record_id} has no version crawled at {args.crawled_at} (it has {times})")
        row = matching[-1]
    else:
        index = -1 if args.version is None else args.version - 1 if args.version > 0 else args.version
        if args.version == 0 or not -len(versions) <= index < len(versions):
            raise UsageError(f"--version {args.version}: {args.record_id} has {len(versions)} versions (1 to "
                             f"{len(versions)}, or -1 for the latest)")
        row = versions[index]
    try:
        page = raw_page(row, root)
    except NoRawPage as error:
        raise UsageError(str(error)) from None
    out = sys.stdout.buffer
    if not args.body:
        head = [page.status_line, *(f"{name}: {value}" for name, value in page.headers)]
        out.write(("\r\n".join(head) + "\r\n").encode("latin-1", "replace"))
    if not args.headers:
        out.write(page.body if args.body else b"\r\n" + page.body)
    out.flush()
    return 0


def command_runs(args: argparse.Namespace) -> int:
    existing_dataset(args.dataset)
    manifests = run_manifests(args.dataset)
    if not manifests:
        print(f"no runs recorded in {args.dataset / 'runs'}")
        return 0
    print(f"{'run id':<27} {'site':<13} {'started (UTC)':<20} {'seconds':>8} {'pages':>7} {'records':>8} "
          f"{'rejects':>8}  gates")
    for manifest in manifests:
        counts = manifest["counts"]
        failed = [gate["name"] for gate in manifest.get("gates", []) if not gate["passed"]]
        verdict = "passed" if not failed else "FAILED " + ", ".join(failed)
        print(f"{manifest['run_id']:<27} {manifest['spider']:<13} {str(manifest['started_at'])[:19]:<20} "
              f"{manifest['elapsed_seconds'] or 0:>8.1f} "
              f"{counts['pages']:>7} {counts['records']:>8} {counts['rejects']:>8}  {verdict}")
    return 0


COMMANDS = {"demo": command_demo, "crawl": command_crawl, "compact": command_compact, "export": command_export,
            "report": command_report, "parse": command_parse, "runs": command_runs,
            "sandbox": command_sandbox, "check": command_check, "sites": command_sites, "fixture": command_fixture,
            "probe": command_probe, "show": command_show, "reparse": command_reparse,
            "workers": command_workers}

if __name__ == "__main__":
    sys.exit(main())
