"""Crawls shared by several workers through a real redis-server on loopback (qacrawler.crawl.distributed).

Each test starts its own redis-server (benchmarks.redis_server: a free 127.0.0.1 port, an append-only file
written on every command, so a restart keeps the queue and seen-set) and stops it at the end.
Workers are `qacrawler crawl --redis` subprocesses; every wait is bounded.
"""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from scrapy import Request, Spider
from scrapy_redis.queue import PriorityQueue

from benchmarks.redis_server import REDIS_SERVER, RedisServer, free_port
from qacrawler.crawl import distributed
from qacrawler.sandbox import DoctorQnaSite, Latency, SandboxServer
from tests.conftest import ROOT, run_cli
from tests.test_end_to_end import article_hits, assert_equal_to_ground_truth

pytestmark = pytest.mark.skipif(REDIS_SERVER is None, reason="redis-server is not installed (.ci/run installs it)")
WORKER_TIMEOUT = 180
IDLE = "2"  # --workers-idle: seconds the shared queue stays empty before a worker stops


def wait_until(condition: Callable[[], bool], seconds: float, message: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, message
        time.sleep(0.05)


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    folder = tmp_path / "redis"
    folder.mkdir()
    server = RedisServer(folder).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def site() -> DoctorQnaSite:
    return DoctorQnaSite(pages=240, seed=5)


@pytest.fixture
def sandbox(site: DoctorQnaSite) -> Iterator[SandboxServer]:
    # a tenth of a second a page and two requests per worker: a crawl lasts seconds, long enough to act on mid-way
    with SandboxServer(site, latency=Latency(0.1)) as server:
        yield server


def start_worker(sandbox: SandboxServer, out: Path, redis_url: str, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "qacrawler.cli", "crawl", "doctorqna", "--base-url", sandbox.base_url,
         "--out", str(out), "--redis", redis_url, "--workers-idle", IDLE, "--keep-asker-names",
         "-s", "CONCURRENT_REQUESTS=2", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=2", *extra],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)


def finish(workers: list[subprocess.Popen[str]]) -> list[tuple[int, str]]:
    """Each worker's exit code and stderr, once it stopped on its own."""
    ended = []
    for worker in workers:
        stderr = worker.communicate(timeout=WORKER_TIMEOUT)[1]
        ended.append((worker.returncode, stderr))
    return ended


def manifests(out: Path) -> list[dict]:
    return [json.loads(path.read_text("utf-8")) for path in sorted((out / "runs").glob("*.json"))]


def test_three_workers_crawl_the_sandbox_into_one_dataset_equal_to_the_ground_truth(site, sandbox, redis_server,
                                                                                   tmp_path):
    out = tmp_path / "dataset"
    ended = finish([start_worker(sandbox, out, redis_server.url) for _ in range(3)])
    assert [code for code, _ in ended] == [0, 0, 0], [stderr[-2000:] for _, stderr in ended]
    assert sum("is leader" in stderr for _, stderr in ended) == 1
    assert_equal_to_ground_truth("doctorqna", site, sandbox.base_url, out)
    hits = article_hits(sandbox)
    assert len(hits) == len(site.article_ids())
    assert set(hits.values()) == {1}, "an article page was fetched twice"
    [manifest] = manifests(out)  # one manifest for the run, whichever worker wrote it
    assert manifest["stats"]["distributed/workers"] == 3
    assert manifest["gates_passed"] is True
    assert manifest["ledger"]["unaccounted"] == 0
    assert manifest["counts"]["records"] == len(site.article_ids()) - len(site.broken())
    assert manifest["counts"]["pages"] == sum(sandbox.hits.values())  # every worker's responses, robots.txt too


def test_workers_joining_a_run_under_way_share_it(site, sandbox, redis_server, tmp_path):
    """Late workers join the leader's run (its id, its queue) and read the files finished meanwhile."""
    out = tmp_path / "dataset"
    batch = ("-s", "QA_PARQUET_BATCH_ROWS=10")
    leader = start_worker(sandbox, out, redis_server.url, *batch)
    wait_until(lambda: len(article_hits(sandbox)) >= 60, 120, "the crawl did not get going")
    late = [start_worker(sandbox, out, redis_server.url, *batch) for _ in range(2)]
    ended = finish([leader, *late])
    assert [code for code, _ in ended] == [0, 0, 0], [stderr[-2000:] for _, stderr in ended]
    assert "is leader" in ended[0][1] and all(" is worker" in stderr for _, stderr in ended[1:])
    assert_equal_to_ground_truth("doctorqna", site, sandbox.base_url, out)
    assert set(article_hits(sandbox).values()) == {1}
    [manifest] = manifests(out)
    assert manifest["stats"]["distributed/workers"] == 3


def test_a_worker_killed_mid_crawl_loses_no_file_and_the_next_run_completes_the_dataset(site, sandbox, redis_server,
                                                                                       tmp_path):
    out = tmp_path / "dataset"
    batch = ("-s", "QA_PARQUET_BATCH_ROWS=10")  # finished files early, so the killed worker leaves some
    workers = [start_worker(sandbox, out, redis_server.url, *batch) for _ in range(3)]
    victim = workers.pop()
    # killed once it has finished a file (pages are parsed on worker processes: a hit count says too little)
    wait_until(lambda: any(out.glob(f"records/**/part-*-{victim.pid}-*.parquet")), 120,
               "the worker to kill finished no file")
    victim.send_signal(signal.SIGKILL)
    victim.communicate(timeout=30)
    victims_files = sorted(out.glob(f"records/**/part-*-{victim.pid}-*.parquet"))
    assert len(article_hits(sandbox)) < len(site.article_ids()), "the crawl ended before the kill"
    ended = finish(workers)
    assert [code for code, _ in ended] == [0, 0], [stderr[-2000:] for _, stderr in ended]
    [manifest] = manifests(out)
    assert manifest["stats"]["distributed/workers_lost"] == 1
    assert victims_files, "the killed worker had written no finished file before the kill"
    assert all(path.exists() for path in victims_files), "a finished file of the killed worker was lost"

    follow_up = start_worker(sandbox, out, redis_server.url)
    [(code, stderr)] = finish([follow_up])
    assert code == 0, stderr[-2000:]
    assert_equal_to_ground_truth("doctorqna", site, sandbox.base_url, out)


def test_workers_pause_through_a_redis_restart_and_carry_on(site, sandbox, redis_server, tmp_path):
    out = tmp_path / "dataset"
    workers = [start_worker(sandbox, out, redis_server.url) for _ in range(3)]
    wait_until(lambda: len(article_hits(sandbox)) >= 60, 120, "the crawl did not get going")
    redis_server.restart()
    ended = finish(workers)
    assert [code for code, _ in ended] == [0, 0, 0], [stderr[-2000:] for _, stderr in ended]
    [manifest] = manifests(out)
    assert manifest["gates_passed"] is True
    assert manifest["ledger"]["unaccounted"] == 0
    assert_equal_to_ground_truth("doctorqna", site, sandbox.base_url, out)
    assert set(article_hits(sandbox).values()) == {1}, "the restart made workers fetch pages again"


class ReplyDroppingRelay:
    """A TCP relay to redis-server that, when armed, passes one command on and then closes the client's
    connection instead of passing the reply back: what a restart does to a command caught in flight. The
    command took effect; the client hears nothing and retries it."""

    def __init__(self, target_port: int):
        self.target_port = target_port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.armed = threading.Event()
        self.dropped = 0
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self) -> None:
        while True:
            try:
                downstream, _ = self.listener.accept()
            except OSError:  # closed
                return
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
            threading.Thread(target=self.pump, args=(downstream, upstream), daemon=True).start()
            threading.Thread(target=self.replies, args=(upstream, downstream), daemon=True).start()

    @staticmethod
    def pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass

    def replies(self, upstream: socket.socket, downstream: socket.socket) -> None:
        try:
            while data := upstream.recv(65536):
                if self.armed.is_set():
                    self.armed.clear()
                    self.dropped += 1
                    for end in (downstream, upstream):
                        end.shutdown(socket.SHUT_RDWR)  # the client hears the close now, not at its timeout
                        end.close()
                    return
                downstream.sendall(data)
        except OSError:
            pass

    def close(self) -> None:
        self.listener.close()


@pytest.fixture
def relay(redis_server) -> Iterator[ReplyDroppingRelay]:
    relay = ReplyDroppingRelay(redis_server.port)
    yield relay
    relay.close()


def shared_queue(relay: ReplyDroppingRelay, queue_class: type = distributed.SharedQueue) -> PriorityQueue:
    server = distributed.client(f"redis://127.0.0.1:{relay.port}/0")  # the workers' client: it retries
    extra = {"last_pop_key": "run:last_pop:me"} if queue_class is distributed.SharedQueue else {}
    return queue_class(server=server, spider=Spider(name="shared"), key="run:requests", **extra)


def test_a_request_whose_reply_is_lost_is_still_queued_once(relay):
    queue = shared_queue(relay)
    assert queue.push_unseen(Request("http://example.test/warm"), "fp-warm", "run:seen")  # scripts loaded
    relay.armed.set()
    queue.push_unseen(Request("http://example.test/a"), "fp-a", "run:seen")  # applied, reply lost, retried
    assert relay.dropped == 1
    assert len(queue) == 2
    assert not queue.push_unseen(Request("http://example.test/a"), "fp-a", "run:seen")
    assert len(queue) == 2


def test_a_pop_whose_reply_is_lost_returns_the_request_it_popped(relay):
    queue = shared_queue(relay)
    for priority, path in enumerate(("third", "second", "first", "warm")):
        queue.push(Request(f"http://example.test/{path}", priority=priority))
    assert queue.pop().url == "http://example.test/warm"  # the scripts are loaded
    relay.armed.set()
    assert queue.pop().url == "http://example.test/first"
    assert relay.dropped == 1
    assert [queue.pop().url for _ in range(2)] == ["http://example.test/second", "http://example.test/third"]
    assert queue.pop() is None


def test_scrapy_redis_own_pop_loses_a_request_when_its_reply_is_lost(relay):
    """Why SharedQueue exists: the same fault costs scrapy-redis' queue the request it popped."""
    queue = shared_queue(relay, PriorityQueue)
    for priority, path in enumerate(("second", "first")):
        queue.push(Request(f"http://example.test/{path}", priority=priority))
    relay.armed.set()
    assert queue.pop().url == "http://example.test/second"  # "first" was popped by the call whose reply was lost
    assert relay.dropped == 1
    assert len(queue) == 0


def test_a_claim_whose_reply_is_lost_is_still_this_workers(relay):
    server = distributed.client(f"redis://127.0.0.1:{relay.port}/0")
    server.ping()
    relay.armed.set()
    assert distributed.claimed(server, "run:writer", "me")
    assert relay.dropped == 1
    assert not distributed.claimed(server, "run:writer", "another")


@pytest.mark.parametrize("url", ["redis://127.0.0.1:{closed}/0", "http://127.0.0.1/0", "redis://127.0.0.1:notaport"])
def test_a_wrong_or_unreachable_redis_url_is_one_line(url, tmp_path):
    url = url.format(closed=free_port())
    result = run_cli("crawl", "doctorqna", "--base-url", "http://127.0.0.1:9", "--out", str(tmp_path / "d"),
                     "--redis", url, timeout=60)
    assert result.returncode == 2
    assert result.stderr.startswith(f"qacrawler crawl: error: --redis {url}: ")
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert not (tmp_path / "d").exists()


def test_workers_idle_without_redis_is_refused(tmp_path):
    result = run_cli("crawl", "doctorqna", "--out", str(tmp_path / "d"), "--workers-idle", "5", timeout=60)
    assert result.returncode == 2
    assert result.stderr.strip() == ("qacrawler crawl: error: --workers-idle is a setting of shared crawls; "
                                     "give --redis URL with it")


def test_workers_shows_a_running_crawls_workers_and_queue(redis_server, tmp_path):
    server = distributed.client(redis_server.url)
    leader = distributed.join(server, redis_server.url, tmp_path / "shared", "doctorqna", worker="alpha-1")
    other = distributed.join(server, redis_server.url, tmp_path / "shared", "doctorqna", worker="beta-2")
    assert leader.leader and not other.leader and other.run_id == leader.run_id
    server.zadd(leader.key("requests"), {"a": 0, "b": 0, "c": 0})
    now = time.time()
    distributed.beat(server, other, {"state": "crawling", "pages": 40, "in_flight": 2, "started": now - 10})
    result = run_cli("workers", "--redis", redis_server.url, timeout=60)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"qacrawler:shared:doctorqna run {leader.run_id}: 2 workers, 3 requests queued, "
                               "40 pages, ")
    assert "  alpha-1 (leader): starting, 0 pages, 0 in flight" in lines
    assert "  beta-2: crawling, 40 pages, 2 in flight" in lines


def test_a_run_whose_workers_all_died_is_replaced_by_a_new_one(redis_server, tmp_path):
    server = distributed.client(redis_server.url)
    dead = distributed.join(server, redis_server.url, tmp_path / "shared", "doctorqna", worker="gone-1")
    server.delete(dead.key("worker:gone-1"))  # its heartbeat expired
    fresh = distributed.join(server, redis_server.url, tmp_path / "shared", "doctorqna", worker="new-2")
    assert fresh.leader and fresh.run_id != dead.run_id


def test_summed_stats_add_counts_keep_peaks_and_span_the_workers():
    early, late = datetime(2026, 1, 1, 10, tzinfo=UTC), datetime(2026, 1, 1, 11, tzinfo=UTC)
    summed = distributed.summed_stats([
        {"response_received_count": 5, "frontier/scheduler_peak": 9, "start_time": late, "finish_time": early,
         "finish_reason": "finished"},
        {"response_received_count": 7, "frontier/scheduler_peak": 4, "start_time": early, "finish_time": late,
         "finish_reason": "shutdown"},
    ])
    assert summed["response_received_count"] == 12
    assert summed["frontier/scheduler_peak"] == 9
    assert (summed["start_time"], summed["finish_time"]) == (early, late)
    assert summed["finish_reason"] == "shutdown"

