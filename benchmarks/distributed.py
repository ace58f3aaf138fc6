"""Shared-crawl figures: the benchmark sandbox crawled by 1 worker, then by 3 workers started together, each
run through one real redis-server on loopback (`qacrawler crawl --redis URL --workers-idle S`) into a fresh
dataset.

A shared run ends only after its queue has been empty, and no worker has fetched, for ``--workers-idle``
seconds (twice over: the run's "busy" mark expires, then each worker's own idle wait), so its wall time
carries an idle tail that a single-machine crawl has not. The tail is measured, not assumed: the run's last
fetch is the latest ``crawled_at`` in the dataset (records and rejects), and pages/s is given both over the
whole wall time (first worker spawned to last worker exited) and over the crawl proper (the manifest's start,
the earliest worker's, to that last fetch).

    python -m benchmarks.distributed --pages 5000      # this section alone; benchmarks.run includes it
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any

from benchmarks.redis_server import REDIS_SERVER, RedisServer
from qacrawler.dataset.files import rejects_of, site_records
from qacrawler.sandbox import DoctorQnaSite

WORKERS = {"one_worker": 1, "three_workers": 3}
NOT_INSTALLED = "not measured: redis-server not installed"

RunMeasured = Callable[[list[str], Path], dict[str, Any]]


def expected_records(pages: int, seed: int) -> int:
    """What a complete crawl of the benchmark sandbox (DoctorQnaSite(pages, seed)) makes: a record per article
    page but the broken ones, which are rejects."""
    site = DoctorQnaSite(pages=pages, seed=seed)
    return len(site.article_ids()) - len(site.broken())


def cpu_seconds(pid: int) -> float:
    """CPU a running process has used so far (utime + stime of /proc/PID/stat): redis-server's, which runs on."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def last_fetch(out: Path) -> datetime | None:
    """The latest fetch of an article page the dataset records (a record's or a reject's crawled_at)."""
    table = site_records(out, "doctorqna", ["crawled_at"])
    moments = table.column("crawled_at").to_pylist() if table is not None else []
    moments += [row["crawled_at"] for row in rejects_of(out, "doctorqna")]
    return max(moments, default=None)


def shared_run(count: int, base_url: str, redis: RedisServer, idle_seconds: float, expected: int, work: Path,
               run_measured: RunMeasured) -> dict[str, Any]:
    """``count`` workers started together into a fresh dataset; each one through run_measured (its exit code,
    CPU seconds, peak RSS) on its own thread, since each waits for its own process."""
    out = work / f"workers-{count}"
    shutil.rmtree(out, ignore_errors=True)
    command = [sys.executable, "-m", "qacrawler.cli", "crawl", "doctorqna", "--base-url", base_url, "--out", str(out),
               "--redis", redis.url, "--workers-idle", f"{idle_seconds:g}"]
    assert redis.process is not None
    redis_cpu = cpu_seconds(redis.process.pid)
    started = time.perf_counter()
    with ThreadPoolExecutor(count) as pool:
        workers = list(pool.map(lambda number: run_measured(command, work / f"{out.name}-{number}.log"),
                                range(count)))
    wall = time.perf_counter() - started
    redis_cpu = cpu_seconds(redis.process.pid) - redis_cpu
    manifests = sorted((out / "runs").glob("*.json"))
    if len(manifests) != 1:
        raise RuntimeError(f"{count} workers wrote {len(manifests)} manifests, not one; see {work}/{out.name}-*.log")
    manifest = json.loads(manifests[0].read_text())
    stats = manifest["stats"]
    pages, records = stats.get("response_received_count", 0), manifest["counts"]["records"]
    fetched = last_fetch(out)
    crawl = (fetched - datetime.fromisoformat(manifest["started_at"])).total_seconds() if fetched else None
    tail = (datetime.fromisoformat(manifest["finished_at"]) - fetched).total_seconds() if fetched else None
    return {
        "workers": count, "manifest_workers": stats.get("distributed/workers"),
        "exit_codes": [worker["exit_code"] for worker in workers],
        "pages": pages, "records": records, "expected_records": expected, "records_as_expected": records == expected,
        "gates_passed": manifest["gates_passed"], "ledger_unaccounted": manifest["ledger"].get("unaccounted"),
        "wall_seconds": wall, "elapsed_seconds": manifest["elapsed_seconds"], "crawl_seconds": crawl,
        "idle_tail_seconds": tail, "idle_seconds": idle_seconds,
        "pages_per_s": pages / wall, "pages_per_s_crawl": pages / crawl if crawl else None,
        "cpu_seconds": sum(worker["cpu_seconds"] for worker in workers),
        "cpu_seconds_per_worker": [worker["cpu_seconds"] for worker in workers],
        "peak_rss_mb_per_worker": [worker["peak_rss_mb"] for worker in workers],
        "redis_cpu_seconds": redis_cpu, "parse_processes": stats.get("parse_pool/processes", 0),  # summed
    }


def measure(base_url: str, expected: int, work: Path, run_measured: RunMeasured,
            idle_seconds: float = 2.0) -> dict[str, Any]:
    """1 worker, then 3, on the sandbox at ``base_url``, through one redis-server (each run its own namespace:
    the dataset folder's name). Without redis-server the section says so instead of failing the harness."""
    if REDIS_SERVER is None:
        return {"not_measured": NOT_INSTALLED}
    folder = work / "redis"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    with RedisServer(folder) as redis:
        runs = {name: shared_run(count, base_url, redis, idle_seconds, expected, work, run_measured)
                for name, count in WORKERS.items()}
    one, three = runs["one_worker"], runs["three_workers"]
    crawl_ratio = (three["pages_per_s_crawl"] / one["pages_per_s_crawl"]
                   if three["pages_per_s_crawl"] and one["pages_per_s_crawl"] else None)
    return {**runs, "three_vs_one_pages_per_s": three["pages_per_s"] / one["pages_per_s"],
            "three_vs_one_pages_per_s_crawl": crawl_ratio}


def main(argv: list[str] | None = None) -> int:
    # run.py imports this module: its sandbox and process measurement are imported here, when run alone
    from benchmarks.run import Sandbox, load_average, run_measured, workers_rows

    parser = argparse.ArgumentParser(prog="python -m benchmarks.distributed",
                                     description="1 and 3 shared-crawl workers on the benchmark sandbox")
    parser.add_argument("--pages", type=int, default=5000, help="article pages of the sandbox (default 5000)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workers-idle", type=float, default=2.0, help="each worker's --workers-idle (default 2)")
    parser.add_argument("--out", type=Path, help="also write the figures here as JSON")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="qacrawler-bench-workers-"))
    try:
        before = load_average()
        with Sandbox(args.pages, args.seed, work) as sandbox:
            results = measure(sandbox.base_url, expected_records(args.pages, args.seed), work, run_measured,
                              args.workers_idle)
        results.update(load_average_at_start=before, load_average_at_end=load_average())
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if args.out:
        args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"load average {results['load_average_at_start']} -> {results['load_average_at_end']}")
    for section, figure, value in workers_rows(results):
        print(f"{section:<7} {figure}  {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
