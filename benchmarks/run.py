"""qacrawler's benchmarks, side by side in one run: parser, re-parse, crawl, latency, workers, memory, output. See
benchmarks/README.md.

    python -m benchmarks.run [--pages 20000] [--large 100000] [--latency-ms 50] [--workers-pages 3000]
                             [--out benchmarks/results.json]

Prints one table with every figure, ratio and target, and writes the same as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

from benchmarks import distributed, output, parsers, reparse
from benchmarks.bs4_scraper import scrape
from benchmarks.redis_server import stop_process
from qacrawler.sandbox import DoctorQnaSite

ROOT = Path(__file__).resolve().parents[1]

TARGETS = {
    # name: (figure path in the results, comparison, bound, what the issue asks)
    "parser_vs_lxml": (("parser", "qacrawler_vs_lxml_time"), "<=", 2.0, "parser time per page <= 2.0x bare lxml"),
    "parser_vs_bs4": (("parser", "bs4_vs_qacrawler_time"), ">", 1.0, "parser faster than the BeautifulSoup version"),
    "crawl_vs_noop": (("crawl", "qacrawler_vs_noop_pages_per_s"), ">=", 0.8, "crawl pages/s >= 0.8x the no-op spider"),
    "crawl_vs_script": (("crawl", "qacrawler_vs_script_pages_per_s"), ">=", 10.0,
                        "crawl pages/s >= 10x the sequential script"),
    "latency_crawl_vs_script": (("latency_crawl", "qacrawler_vs_script_pages_per_s"), ">=", 10.0,
                                "at realistic latency, crawl pages/s >= 10x the sequential script"),
    "rss_growth": (("memory", "rss_large_vs_small"), "<=", 1.2, "peak RSS at the large crawl <= 1.2x at the small one"),
    "rss_large": (("memory", "rss_large_mb"), "<=", 300.0, "peak RSS at the large crawl <= 300 MB"),
    "parquet_vs_jsonl": (("output", "parquet_vs_jsonl_bytes"), "<=", 0.35, "Parquet bytes <= 0.35x JSON lines"),
}


# --- processes ------------------------------------------------------------------------------------


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}


def _rss_mb(pid: int) -> float | None:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except (OSError, ValueError):
        return None
    return None


def run_measured(command: list[str], log: Path, phase_done: Path | None = None) -> dict[str, Any]:
    """Runs a command to its end: exit code, wall seconds, CPU seconds and peak RSS (the child's own
    ru_maxrss). RSS is also polled from /proc every 0.1 s; with ``phase_done`` (a folder in which a file
    appears when the crawl proper has ended), the peak polled before then is reported apart, so the
    end of a run (writing the manifest and the dataset card) can be told from the crawl."""
    polled = crawl_phase = 0.0
    with log.open("w") as sink:
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT, cwd=ROOT, env=_env())
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            rss = _rss_mb(process.pid) or 0.0
            polled = max(polled, rss)
            if phase_done is None or not (phase_done.is_dir() and any(phase_done.glob("*.json"))):
                crawl_phase = max(crawl_phase, rss)
            time.sleep(0.1)
        wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    return {"exit_code": process.returncode, "wall_seconds": wall, "peak_rss_mb": usage.ru_maxrss / 1024,
            "peak_rss_crawl_phase_mb": crawl_phase if phase_done is not None else None,
            "cpu_seconds": usage.ru_utime + usage.ru_stime}


class Sandbox:
    """`python -m benchmarks.sandbox` in its own process: a pre-rendered DoctorQnaSite on 127.0.0.1, its
    responses delayed by ``latency_ms`` ± ``jitter_ms`` when given."""

    def __init__(self, pages: int, seed: int, work: Path, latency_ms: float = 0.0, jitter_ms: float = 0.0):
        name = f"{pages}-latency-{latency_ms:g}ms" if latency_ms else f"{pages}"
        self.urls = work / f"urls-{name}.txt"
        self.log = (work / f"sandbox-{name}.log").open("w")
        command = [sys.executable, "-m", "benchmarks.sandbox", "--pages", str(pages), "--seed", str(seed),
                   "--urls-out", str(self.urls), "--latency-ms", str(latency_ms), "--jitter-ms", str(jitter_ms)]
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=self.log, text=True, cwd=ROOT,
                                        env=_env())
        assert self.process.stdout is not None
        self.base_url = self.process.stdout.readline().strip()
        if not self.base_url.startswith("http://"):
            self.stop()
            raise RuntimeError(f"the sandbox did not start; see {self.log.name}")
        self.pages = len(self.urls.read_text().split())

    def stop(self) -> None:
        stop_process(self.process)
        self.log.close()

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


# --- crawls ---------------------------------------------------------------------------------------


def qacrawler_crawl(base_url: str, out: Path, work: Path, parse_processes: int | None = None) -> dict[str, Any]:
    """`qacrawler crawl doctorqna --base-url URL --out DIR` into a fresh folder; ``parse_processes`` sets
    QA_PARSE_PROCESSES (the default: one parse worker per core)."""
    shutil.rmtree(out, ignore_errors=True)
    command = [sys.executable, "-m", "qacrawler.cli", "crawl", "doctorqna", "--base-url", base_url, "--out", str(out)]
    if parse_processes is not None:
        command += ["-s", f"QA_PARSE_PROCESSES={parse_processes}"]
    figures = run_measured(command, work / f"{out.name}.log", phase_done=out / "runs")
    manifests = sorted((out / "runs").glob("*.json"))
    if not manifests:
        raise RuntimeError(f"the crawl wrote no manifest; see {work / f'{out.name}.log'}")
    manifest = json.loads(manifests[-1].read_text())
    stats = manifest["stats"]
    elapsed = manifest["elapsed_seconds"]
    pages = stats.get("response_received_count", 0)
    records = manifest["counts"]["records"]
    return {**figures, "elapsed_seconds": elapsed, "pages": pages, "records": records,
            "rejects": manifest["counts"]["rejects"], "gates_passed": manifest["gates_passed"],
            "parse_processes": stats.get("parse_pool/processes", 0),
            "scheduled_requests": stats.get("scheduler/enqueued", 0),
            "pages_per_s": pages / elapsed, "records_per_s": records / elapsed}


def noop_crawl(base_url: str, urls: Path, work: Path, name: str = "noop") -> dict[str, Any]:
    stats_path = work / f"{name}-stats.json"
    command = [sys.executable, "-m", "benchmarks.noop_spider", "--base-url", base_url, "--urls", str(urls),
               "--stats", str(stats_path), "--log", str(work / f"{name}-scrapy.log")]
    figures = run_measured(command, work / f"{name}.log")
    stats = json.loads(stats_path.read_text())
    elapsed, pages = stats["elapsed_seconds"], stats.get("response_received_count", 0)
    return {**figures, "elapsed_seconds": elapsed, "pages": pages, "pages_per_s": pages / elapsed}


def script_crawl(base_url: str, max_pages: int, max_seconds: float) -> dict[str, Any]:
    figures = scrape(base_url, max_pages=max_pages, max_seconds=max_seconds)
    elapsed = figures["elapsed_seconds"]
    return {**figures, "pages_per_s": figures["pages"] / elapsed, "records_per_s": figures["records"] / elapsed}


# --- the run --------------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        memory_kb = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                         if line.startswith("MemTotal"))
    except (OSError, StopIteration):
        memory_kb = 0
    packages = {}
    for package in ("scrapy", "lxml", "pydantic", "pyarrow", "duckdb", "beautifulsoup4", "requests"):
        try:
            packages[package] = version(package)
        except Exception:
            packages[package] = None
    return {"cpu": cpu, "cores": os.cpu_count(), "ram_gb": round(memory_kb / 1024 / 1024, 1),
            "python": platform.python_version(), "platform": platform.platform(), "packages": packages}


def load_average() -> list[float]:
    try:
        return [round(value, 2) for value in os.getloadavg()]
    except OSError:
        return []


def run(args: argparse.Namespace) -> dict[str, Any]:
    work = args.work or Path(tempfile.mkdtemp(prefix="qacrawler-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "load_average_at_start": load_average(),
        "settings": {"pages": args.pages, "large": args.large, "seed": args.seed, "parser_pages": args.parser_pages,
                     "parser_rounds": args.parser_rounds, "script_pages": args.script_pages,
                     "script_seconds": args.script_seconds, "crawl_rounds": args.crawl_rounds,
                     "latency_ms": args.latency_ms, "jitter_ms": args.jitter_ms, "latency_pages": args.latency_pages,
                     "latency_script_pages": args.latency_script_pages, "reparse_pages": args.reparse_pages,
                     "workers_pages": args.workers_pages, "workers_idle": args.workers_idle},
    }

    progress(f"parser: {args.parser_pages} pages x {args.parser_rounds} rounds")
    site = DoctorQnaSite(pages=args.pages, seed=args.seed)
    results["parser"] = parsers.measure(parsers.sample_pages(site, args.parser_pages), rounds=args.parser_rounds)

    progress(f"reparse: an archive of {args.reparse_pages} article pages, parsed in the reactor's process, on one "
             "worker process and on one per core")
    results["reparse"] = reparse.measure(DoctorQnaSite(pages=args.reparse_pages, seed=args.seed), work,
                                         results["parser"]["qacrawler"]["pages_per_s"], run_measured)

    progress(f"sandbox: {args.pages} article pages, pre-rendered in its own process")
    dataset = work / f"crawl-{args.pages}"
    with Sandbox(args.pages, args.seed, work) as sandbox:
        results["sandbox"] = {"article_pages": args.pages, "reachable_pages": sandbox.pages,
                              "base_url": sandbox.base_url}
        best: dict[str, dict[str, Any]] = {}
        for round_number in range(args.crawl_rounds):
            progress(f"crawl round {round_number + 1}: qacrawler crawl doctorqna")
            crawl = qacrawler_crawl(sandbox.base_url, dataset if round_number == 0 else work / "crawl-again", work)
            progress(f"crawl round {round_number + 1}: qacrawler crawl doctorqna, parsing in process")
            in_process = qacrawler_crawl(sandbox.base_url, work / "crawl-in-process", work, parse_processes=0)
            progress(f"crawl round {round_number + 1}: no-op Scrapy spider")
            noop = noop_crawl(sandbox.base_url, sandbox.urls, work)
            for name, figures in (("qacrawler", crawl), ("qacrawler_in_process", in_process), ("noop", noop)):
                if name not in best or figures["pages_per_s"] > best[name]["pages_per_s"]:
                    best[name] = figures
        progress(f"crawl: sequential requests + BeautifulSoup script (at most {args.script_pages} pages or "
                 f"{args.script_seconds:g} s)")
        script = script_crawl(sandbox.base_url, args.script_pages, args.script_seconds)
    crawl, in_process, noop = best["qacrawler"], best["qacrawler_in_process"], best["noop"]
    results["crawl"] = {
        "qacrawler": crawl, "qacrawler_in_process": in_process, "noop": noop, "script": script,
        "qacrawler_vs_noop_pages_per_s": crawl["pages_per_s"] / noop["pages_per_s"],
        "qacrawler_in_process_vs_noop_pages_per_s": in_process["pages_per_s"] / noop["pages_per_s"],
        "qacrawler_vs_script_pages_per_s": crawl["pages_per_s"] / script["pages_per_s"],
        "noop_vs_script_pages_per_s": noop["pages_per_s"] / script["pages_per_s"],
        "qacrawler_vs_script_records_per_s":
            crawl["records_per_s"] / script["records_per_s"] if script["records_per_s"] else None,
    }

    progress(f"latency: sandbox of {args.latency_pages} article pages answering after {args.latency_ms:g} ± "
             f"{args.jitter_ms:g} ms; qacrawler crawl, then the script (at most {args.latency_script_pages} pages)")
    with Sandbox(args.latency_pages, args.seed, work, args.latency_ms, args.jitter_ms) as sandbox:
        distant = qacrawler_crawl(sandbox.base_url, work / "crawl-latency", work)
        distant_script = script_crawl(sandbox.base_url, args.latency_script_pages, args.script_seconds)
    results["latency_crawl"] = {
        "latency_ms": args.latency_ms, "jitter_ms": args.jitter_ms, "qacrawler": distant, "script": distant_script,
        "qacrawler_vs_script_pages_per_s": distant["pages_per_s"] / distant_script["pages_per_s"],
    }

    progress(f"workers: sandbox of {args.workers_pages} article pages crawled through one redis-server by 1 "
             f"worker, then by 3 started together (--workers-idle {args.workers_idle:g})")
    with Sandbox(args.workers_pages, args.seed, work) as sandbox:
        results["workers"] = distributed.measure(
            sandbox.base_url, distributed.expected_records(args.workers_pages, args.seed), work, run_measured,
            args.workers_idle)

    memory: dict[str, Any] = {"rss_small_mb": crawl["peak_rss_mb"], "small_pages": crawl["pages"],
                              "rss_small_crawl_phase_mb": crawl["peak_rss_crawl_phase_mb"]}
    if args.large:
        progress(f"memory: sandbox of {args.large} article pages and one more crawl")
        with Sandbox(args.large, args.seed, work) as sandbox:
            large = qacrawler_crawl(sandbox.base_url, work / f"crawl-{args.large}", work)
        memory.update(large=large, rss_large_mb=large["peak_rss_mb"], large_pages=large["pages"],
                      rss_large_vs_small=large["peak_rss_mb"] / crawl["peak_rss_mb"],
                      rss_large_crawl_phase_mb=large["peak_rss_crawl_phase_mb"],
                      rss_large_vs_small_crawl_phase=(large["peak_rss_crawl_phase_mb"]
                                                      / crawl["peak_rss_crawl_phase_mb"]))
    results["memory"] = memory

    progress("output: Parquet vs JSON lines, DuckDB group-by")
    results["output"] = output.measure(dataset, work)
    results["load_average_at_end"] = load_average()
    results["targets"] = evaluate(results)
    results["work"] = str(work)
    if args.work is None and not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return results


def lookup(results: dict[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = results
    for part in path:
        value = value.get(part) if isinstance(value, dict) else None
    return value


def evaluate(results: dict[str, Any]) -> dict[str, Any]:
    verdicts = {}
    for name, (path, comparison, bound, meaning) in TARGETS.items():
        value = lookup(results, path)
        if value is None:
            status = "NOT MEASURED"
        else:
            met = value <= bound if comparison == "<=" else value >= bound if comparison == ">=" else value > bound
            status = "met" if met else "MISSING"
        verdicts[name] = {"value": value, "target": f"{comparison} {bound:g}", "meaning": meaning, "status": status}
    return verdicts


# --- the table ------------------------------------------------------------------------------------


def _fmt(value: Any, digits: int = 1) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def table(results: dict[str, Any]) -> str:
    p, c, m, o = results["parser"], results["crawl"], results["memory"], results["output"]
    d = results["latency_crawl"]
    t = results["targets"]
    def status(target: str) -> str:
        return f"[{t[target]['target']}: {t[target]['status']}]"

    rows: list[tuple[str, str, str]] = [
        ("parser", f"pages measured (best of {p['rounds']} rounds)", _fmt(p["pages"])),
        ("parser", "bare lxml.html.fromstring: us/page, pages/s",
         f"{_fmt(p['lxml']['us_per_page'])} us, {_fmt(p['lxml']['pages_per_s'], 0)}/s"),
        ("parser", "qacrawler doctorqna.parse: us/page, records/s",
         f"{_fmt(p['qacrawler']['us_per_page'])} us, {_fmt(p['qacrawler']['records_per_s'], 0)}/s"),
        ("parser", "BeautifulSoup extractor: us/page, records/s",
         f"{_fmt(p['bs4']['us_per_page'])} us, {_fmt(p['bs4']['records_per_s'], 0)}/s"),
        ("parser", "qacrawler / lxml time per page",
         f"{_fmt(p['qacrawler_vs_lxml_time'], 2)}x  {status('parser_vs_lxml')}"),
        ("parser", "BeautifulSoup / qacrawler time per page",
         f"{_fmt(p['bs4_vs_qacrawler_time'], 2)}x  {status('parser_vs_bs4')}"),
        ("parser", "BeautifulSoup agrees with qacrawler on", f"{p['bs4_agreement'] * 100:.1f}% of pages"),
    ]
    r = results["reparse"]
    for name, label in (("in_process", "in the reactor's process"), ("one_process", "on 1 worker process"),
                        ("all_cores", f"on {r['cores']} worker processes")):
        rows.append(("reparse", f"{label}: pages, rate, requests",
                     f"{_fmt(r[name]['pages'])} pages in {_fmt(r[name]['elapsed_seconds'])} s, "
                     f"{_fmt(r[name]['pages_per_s'], 0)} pages/s, {r[name]['requests']} requests"))
    rows += [
        ("reparse", "all cores / 1 process pages/s", f"{_fmt(r['all_cores_vs_one_process_pages_per_s'], 2)}x"),
        ("reparse", "1 process, all cores / parser alone pages/s",
         f"{_fmt(r['one_process_vs_parser_pages_per_s'], 2)}x, {_fmt(r['all_cores_vs_parser_pages_per_s'], 2)}x"),
        ("reparse", "WARC bytes per archived page", f"{_fmt(r['warc_bytes_per_page'], 0)} bytes"),
    ]
    crawls = (("qacrawler", f"qacrawler crawl, {c['qacrawler']['parse_processes']} parse processes"),
              ("qacrawler_in_process", "qacrawler crawl, parsing in process"), ("noop", "no-op Scrapy spider"),
              ("script", "sequential requests+bs4"))
    for name, label in crawls:
        figures = c[name]
        records = f", {_fmt(figures['records_per_s'], 0)} records/s" if "records_per_s" in figures else ""
        rows.append(("crawl", f"{label}: pages, seconds",
                     f"{_fmt(figures['pages'])} pages in {_fmt(figures['elapsed_seconds'])} s"))
        rows.append(("crawl", f"{label}: rate", f"{_fmt(figures['pages_per_s'], 0)} pages/s{records}"))
    rows += [
        ("crawl", "qacrawler / no-op spider pages/s",
         f"{_fmt(c['qacrawler_vs_noop_pages_per_s'], 2)}x  {status('crawl_vs_noop')}"),
        ("crawl", "qacrawler parsing in process / no-op spider pages/s",
         f"{_fmt(c['qacrawler_in_process_vs_noop_pages_per_s'], 2)}x"),
        ("crawl", "qacrawler / script pages/s",
         f"{_fmt(c['qacrawler_vs_script_pages_per_s'], 2)}x  {status('crawl_vs_script')}"),
        ("crawl", "no-op spider / script pages/s (framework ceiling)", f"{_fmt(c['noop_vs_script_pages_per_s'], 2)}x"),
        ("crawl", "qacrawler / script records/s", f"{_fmt(c['qacrawler_vs_script_records_per_s'], 2)}x"),
    ]
    for name, label in (("qacrawler", "qacrawler crawl"), ("script", "sequential requests+bs4")):
        figures = d[name]
        rows.append(("latency", f"{label} at {_fmt(d['latency_ms'], 0)} ± {_fmt(d['jitter_ms'], 0)} ms: pages, rate",
                     f"{_fmt(figures['pages'])} pages in {_fmt(figures['elapsed_seconds'])} s, "
                     f"{_fmt(figures['pages_per_s'], 0)} pages/s"))
    rows += [
        ("latency", "qacrawler / script pages/s (loopback above)", f"{_fmt(d['qacrawler_vs_script_pages_per_s'], 2)}x"
         f" ({_fmt(c['qacrawler_vs_script_pages_per_s'], 2)}x)  {status('latency_crawl_vs_script')}"),
        ("memory", f"peak RSS, crawl of {_fmt(m['small_pages'])} pages", f"{_fmt(m['rss_small_mb'])} MB"
         f" (until the manifest: {_fmt(m['rss_small_crawl_phase_mb'])} MB)"),
    ]
    if "large" in m:
        rows += [
            ("memory", f"peak RSS, crawl of {_fmt(m['large_pages'])} pages", f"{_fmt(m['rss_large_mb'])} MB"
             f" (until the manifest: {_fmt(m['rss_large_crawl_phase_mb'])} MB)  {status('rss_large')}"),
            ("memory", "large crawl rate",
             f"{_fmt(m['large']['pages_per_s'], 0)} pages/s, {_fmt(m['large']['records_per_s'], 0)} records/s"),
            ("memory", "peak RSS large / small", f"{_fmt(m['rss_large_vs_small'], 2)}x"
             f" (until the manifest: {_fmt(m['rss_large_vs_small_crawl_phase'], 2)}x)  {status('rss_growth')}"),
        ]
    else:
        rows.append(("memory", "large crawl", "not run (--large N)"))
    rows += workers_rows(results["workers"])
    rows += [
        ("output", "records; Parquet files, row groups",
         f"{_fmt(o['records'])}; {_fmt(o['parquet_files'])} files, {_fmt(o['parquet_row_groups'])} row groups"),
        ("output", "Parquet bytes / JSON-lines bytes",
         f"{_fmt(o['parquet_bytes'])} / {_fmt(o['jsonl_bytes'])} = {_fmt(o['parquet_vs_jsonl_bytes'], 3)}"
         f"  {status('parquet_vs_jsonl')}"),
        ("output", "DuckDB group-by: Parquet, JSON lines",
         f"{_fmt(o['duckdb_group_by_parquet_s'] * 1000)} ms, {_fmt(o['duckdb_group_by_jsonl_s'] * 1000)} ms"
         f" ({_fmt(o['duckdb_jsonl_vs_parquet_time'], 1)}x)"),
    ]
    width = max(len(figure) for _, figure, _ in rows)
    machine = results["machine"]
    lines = [f"qacrawler benchmarks  {results['date']}  {machine['cpu']}, {machine['cores']} cores, "
             f"{machine['ram_gb']} GB; load average {results['load_average_at_start']} -> "
             f"{results['load_average_at_end']}"]
    for section, figure, value in rows:
        lines.append(f"{section:<7} {figure:<{width}}  {value}")
    return "\n".join(lines)


def workers_rows(w: dict[str, Any]) -> list[tuple[str, str, str]]:
    """The table's rows of the workers section (benchmarks/distributed.py), also printed when it runs alone."""
    if "not_measured" in w:
        return [("workers", "1 and 3 shared-crawl workers", w["not_measured"])]
    rows = []
    for name, label in (("one_worker", "1 worker"), ("three_workers", "3 workers")):
        run = w[name]
        check = "as expected" if run["records_as_expected"] else f"EXPECTED {_fmt(run['expected_records'])}"
        rows += [
            ("workers", f"{label}: pages, records, exit codes, gates, unaccounted",
             f"{_fmt(run['pages'])} pages, {_fmt(run['records'])} records ({check}), exit {run['exit_codes']}, "
             f"gates {'passed' if run['gates_passed'] else 'FAILED'}, {run['ledger_unaccounted']} unaccounted"),
            ("workers", f"{label}: pages/s over the wall time (to the last fetch)",
             f"{_fmt(run['pages_per_s'], 0)} pages/s in {_fmt(run['wall_seconds'])} s "
             f"({_fmt(run['pages_per_s_crawl'], 0)} pages/s in {_fmt(run['crawl_seconds'])} s; "
             f"idle tail {_fmt(run['idle_tail_seconds'])} s)"),
            ("workers", f"{label}: CPU seconds, workers summed (redis-server)",
             f"{_fmt(run['cpu_seconds'])} s ({_fmt(run['redis_cpu_seconds'], 2)} s)"),
        ]
    rows.append(("workers", "3 workers / 1 worker pages/s (to the last fetch)",
                 f"{_fmt(w['three_vs_one_pages_per_s'], 2)}x ({_fmt(w['three_vs_one_pages_per_s_crawl'], 2)}x)"))
    return rows


def progress(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {text!r}")
    return value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run",
                                     description="qacrawler benchmarks (benchmarks/README.md)")
    parser.add_argument("--pages", type=positive, default=20000,
                        help="article pages of the sandbox crawled (default 20000)")
    parser.add_argument("--large", type=int, default=0,
                        help="also crawl a sandbox of this many pages for peak RSS (e.g. 100000)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--parser-pages", type=positive, default=2000,
                        help="pages in the parser comparison (default 2000)")
    parser.add_argument("--parser-rounds", type=positive, default=3)
    parser.add_argument("--reparse-pages", type=positive, default=3000,
                        help="article pages in the archive `qacrawler reparse` reads (default 3000)")
    parser.add_argument("--crawl-rounds", type=positive, default=2,
                        help="qacrawler and no-op crawls, alternated; the best of each counts (default 2)")
    parser.add_argument("--script-pages", type=positive, default=2000,
                        help="the sequential script stops after this many pages")
    parser.add_argument("--script-seconds", type=float, default=120.0, help="... or after this many seconds")
    parser.add_argument("--latency-ms", type=float, default=50.0,
                        help="the realistic-latency crawl: each response waits this long (default 50)")
    parser.add_argument("--jitter-ms", type=float, default=10.0, help="... plus or minus up to this (default 10)")
    parser.add_argument("--latency-pages", type=positive, default=3000,
                        help="article pages of that crawl's sandbox (default 3000)")
    parser.add_argument("--latency-script-pages", type=positive, default=300,
                        help="the sequential script stops after this many pages there (or --script-seconds)")
    parser.add_argument("--workers-pages", type=positive, default=3000,
                        help="article pages of the sandbox shared-crawl workers crawl, 1 then 3 (default 3000)")
    parser.add_argument("--workers-idle", type=float, default=2.0,
                        help="their --workers-idle: seconds of empty queue before they stop (default 2)")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results.json", help="JSON results")
    parser.add_argument("--work", type=Path, help="keep datasets and logs here (default: a temporary folder, removed)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary work folder")
    args = parser.parse_args(argv)
    results = run(args)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(table(results))
    print(f"results: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
