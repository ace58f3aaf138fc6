"""Crawls shared by several worker processes, on one machine or many, through Redis (`qacrawler crawl --redis`).

The frontier and the seen-set live in Redis (scrapy-redis' scheduler and dupefilter), so each page is
fetched by one worker. A run is named in Redis under ``qacrawler:<dataset folder name>:<site>``: the first
worker to join becomes the leader (``SET NX``), gives the run its id and alone seeds the shared queue
(sitemaps, listings, id walk, links earlier runs left unfetched); the others take requests from it. Every
worker writes its own part files (``part-<run_id>.<worker>-*.parquet``) into the one dataset on a shared
file system, and holds the dataset's lock shared, so a single-machine crawl cannot write beside them.

A worker stops once the shared queue has been empty, and no worker has fetched anything, for
``QA_REDIS_IDLE`` seconds. It then publishes its final stats; the last worker to finish (the others are
finished or their heartbeat expired: killed) sums them, writes the one manifest of the run, evaluates the
gates on the sum and publishes the verdict, which every waiting worker's exit code follows. A worker
killed with SIGKILL loses only what it held in flight (popped from Redis, never fetched, its fingerprint
left in the seen-set): the next run's leader seeds again and the incremental decision, read from the
finished files, fetches what the dataset lacks.
"""

from __future__ import annotations

import json
import os
import re
import socket
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import redis
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError
from redis.retry import Retry

from qacrawler.arguments import UsageError
from qacrawler.crawl.run import new_run_id

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

KEY_PREFIX = "qacrawler"
HEARTBEAT_SECONDS = 1.0
# A heartbeat older than this marks its worker dead (killed): the last live worker then closes the run.
HEARTBEAT_TTL = 10
# How long a Redis command is retried while the server is away (a restart): workers pause, then carry on.
RECONNECT_SECONDS = 60
VERDICT_TTL = 24 * 3600
# Stats that are a peak or a setting, not a count: the run's figure is the largest worker's.
PEAK_STATS = re.compile(r"(peak|max)", re.IGNORECASE)


def reconnecting() -> dict[str, Any]:
    """Client options that retry a lost connection with backoff for about RECONNECT_SECONDS, then fail."""
    return {"retry": Retry(ExponentialBackoff(cap=2.0, base=0.1), retries=int(RECONNECT_SECONDS / 2)),
            "retry_on_error": [RedisConnectionError, RedisTimeoutError]}


def client(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_connect_timeout=5, socket_timeout=30, health_check_interval=10,
                                **reconnecting())


def reachable(url: str) -> redis.Redis:
    """The client of `--redis URL`, pinged once without retries: a wrong or unreachable URL is one line."""
    try:
        probe = redis.Redis.from_url(url, socket_connect_timeout=3, socket_timeout=3)
        probe.ping()
        probe.close()
    except ValueError as error:  # not a redis:// URL
        raise UsageError(f"--redis {url}: {error}") from None
    except RedisError as error:
        raise UsageError(f"--redis {url}: Redis is not reachable ({error})") from None
    return client(url)


def text(value: bytes | str) -> str:
    """A Redis reply as text: redis-py types replies as bytes or str, by client option."""
    return value.decode() if isinstance(value, bytes) else value


def worker_name() -> str:
    """Host and process id: unique across the machines of a run, and a plain part of a file name."""
    host = re.sub(r"[^A-Za-z0-9-]", "-", socket.gethostname())[:32] or "host"
    return f"{host}-{os.getpid()}"


@dataclass(frozen=True)
class Membership:
    """This process's place in a shared run."""

    url: str
    namespace: str  # qacrawler:<dataset folder name>:<site>
    run_id: str
    worker: str
    leader: bool

    def key(self, name: str) -> str:
        return f"{self.namespace}:{self.run_id}:{name}"

    def last_pop_key(self, worker: str) -> str:
        """Where a worker's last pop from the shared queue is kept (SharedQueue.pop)."""
        return self.key(f"last_pop:{worker}")

    def settings(self, idle_seconds: float) -> dict[str, Any]:
        """The Scrapy settings that make a crawl a worker of this run."""
        return {
            "QA_RUN_ID": self.run_id,
            "QA_REDIS_URL": self.url,
            "QA_REDIS_NAMESPACE": self.namespace,
            "QA_REDIS_WORKER": self.worker,
            "QA_REDIS_LEADER": self.leader,
            "QA_REDIS_IDLE": idle_seconds,
            "SCHEDULER": "qacrawler.crawl.distributed.SharedScheduler",
            "SCHEDULER_PERSIST": True,  # the queue and seen-set outlive any one worker
            "SCHEDULER_QUEUE_KEY": self.key("requests"),
            "SCHEDULER_DUPEFILTER_KEY": self.key("seen"),
            "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
            "REDIS_URL": self.url,
            "REDIS_PARAMS": reconnecting(),  # scrapy-redis' own client, which the scheduler and seen-set use
            # the leader hands every waiting article to Redis at once: a window kept in one process would
            # leave the other workers idle
            "QA_FRONTIER_WINDOW": 10**9,
            # merging another worker's files while it writes beside them is not safe
            "QA_COMPACT_FILES_PER_PARTITION": 0,
        }


def namespace(dataset: Path, site_id: str) -> str:
    """By the dataset folder's name, not its path: the shared file system may be mounted elsewhere per machine."""
    return f"{KEY_PREFIX}:{dataset.resolve().name}:{site_id}"


# Ends the current run of a namespace only if it is still the run we saw (another worker may have replaced it).
_END_RUN = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0"


def join(server: redis.Redis, url: str, dataset: Path, site_id: str, worker: str | None = None) -> Membership:
    """Joins the namespace's running run, or starts one as its leader. A run none of whose workers has a live
    heartbeat (all killed) is abandoned: a new run seeds again, and what it lacks is fetched."""
    space = namespace(dataset, site_id)
    worker = worker or worker_name()
    for _ in range(3):
        candidate = new_run_id()
        if claimed(server, f"{space}:run", candidate):
            membership = Membership(url, space, candidate, worker, leader=True)
            break
        current = server.get(f"{space}:run")
        if current is None:
            continue
        run = text(current)
        probe = Membership(url, space, run, worker, leader=False)
        if live_workers(server, probe) or not server.scard(probe.key("workers")):
            membership = probe  # a run whose leader is still joining has no member yet
            break
        server.eval(_END_RUN, 1, f"{space}:run", run)
    else:
        raise UsageError(f"--redis {url}: could not join or start a run of {space}")
    server.sadd(membership.key("workers"), worker)
    beat(server, membership, {"state": "starting"})
    if membership.leader:  # the others wait for the first seeds instead of finding the queue empty and leaving
        server.set(membership.key("busy"), worker, ex=HEARTBEAT_TTL)
    return membership


def claimed(server: redis.Redis, key: str, value: str, **options: Any) -> bool:
    """Sets ``key`` to ``value`` unless it is set; True when the key now holds ``value``. SET NX's own answer
    is not enough: when a restart loses its reply, the client retries, and the retry answers "already set"."""
    server.set(key, value, nx=True, **options)
    current = server.get(key)
    return current is not None and text(current) == value


def beat(server: redis.Redis, membership: Membership, facts: dict[str, Any]) -> None:
    payload = {"worker": membership.worker, "leader": membership.leader, "at": time.time(), **facts}
    server.set(membership.key(f"worker:{membership.worker}"), json.dumps(payload), ex=HEARTBEAT_TTL)


def live_workers(server: redis.Redis, membership: Membership) -> dict[str, dict[str, Any]]:
    """The run's workers whose heartbeat has not expired, with what they last said."""
    members = sorted(text(name) for name in server.smembers(membership.key("workers")))
    beats = server.mget([membership.key(f"worker:{name}") for name in members]) if members else []
    return {name: json.loads(raw) for name, raw in zip(members, beats, strict=True) if raw is not None}


def summed_stats(worker_stats: list[dict[str, Any]]) -> dict[str, Any]:
    """One run's stats from its workers': counts added, peaks the largest, the earliest start and the latest
    finish; a finish reason other than "finished" wins, so the gates see any worker's failure."""
    total: dict[str, Any] = {}
    for stats in worker_stats:
        for name, value in stats.items():
            if name not in total:
                total[name] = value
            elif name == "start_time":
                total[name] = min(total[name], value)
            elif name == "finish_time":
                total[name] = max(total[name], value)
            elif name == "finish_reason":
                total[name] = total[name] if total[name] != "finished" else value
            elif isinstance(value, bool) or not isinstance(value, (int, float)):
                continue  # the first worker's text
            elif PEAK_STATS.search(name):
                total[name] = max(total[name], value)
            else:
                total[name] += value
    return total


def _encoded(stats: dict[str, Any]) -> str:
    return json.dumps({name: ({"datetime": value.isoformat()} if isinstance(value, datetime) else value)
                       for name, value in stats.items()}, default=str)


def _decoded(raw: str | bytes) -> dict[str, Any]:
    return {name: (datetime.fromisoformat(value["datetime"]) if isinstance(value, dict) and "datetime" in value
                   else value) for name, value in json.loads(raw).items()}


def membership_of(crawler: Crawler) -> Membership | None:
    settings = crawler.settings
    if not settings.get("QA_REDIS_URL"):
        return None
    return Membership(settings["QA_REDIS_URL"], settings["QA_REDIS_NAMESPACE"], settings["QA_RUN_ID"],
                      settings["QA_REDIS_WORKER"], settings.getbool("QA_REDIS_LEADER"))


class SharedCrawl:
    """Extension of a worker: heartbeats, the shared idle rule, and closing the run together.

    Stats: ``distributed/leader`` (1 on the seeding worker), ``distributed/idle_waits`` (idle checks that
    kept the worker open), ``distributed/workers`` (in the manifest: the workers whose stats it sums)."""

    def __init__(self, crawler: Crawler, membership: Membership):
        from twisted.internet import task

        self.crawler = crawler
        self.membership = membership
        self.server = client(membership.url)
        self.idle_seconds = crawler.settings.getfloat("QA_REDIS_IDLE")
        self.idle_since: float | None = None
        self.pages_seen = 0
        self.started = time.time()
        self.heartbeat = task.LoopingCall(self.beat)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SharedCrawl:
        from scrapy import signals
        from scrapy.exceptions import NotConfigured

        membership = membership_of(crawler)
        if membership is None:
            raise NotConfigured
        extension = cls(crawler, membership)
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_idle, signal=signals.spider_idle)
        return extension

    def spider_opened(self) -> None:
        self.crawler.stats.set_value("distributed/leader", int(self.membership.leader))
        self.heartbeat.start(HEARTBEAT_SECONDS)

    def beat(self) -> None:
        """Says this worker is alive, what it fetched, and (the shared idle rule) that it is busy."""
        stats = self.crawler.stats.get_stats()
        pages = stats.get("response_received_count", 0)
        engine = self.crawler.engine
        in_flight = len(engine.downloader.active) if engine is not None and engine.downloader is not None else 0
        try:
            if pages != self.pages_seen or in_flight:
                self.server.set(self.membership.key("busy"), self.membership.worker, px=int(self.idle_seconds * 1000))
            beat(self.server, self.membership, {"state": "crawling", "pages": pages, "in_flight": in_flight,
                                                "items": stats.get("item_scraped_count", 0),
                                                "started": self.started})
        except RedisError as error:  # the retries ran out: said once a beat until Redis is back
            self.crawler.spider.logger.warning("redis heartbeat failed: %s", error)  # type: ignore[union-attr]
        self.pages_seen = pages
        self.pull()

    def pull(self) -> None:
        """Asks the engine for its next requests now. Scrapy looks at an empty scheduler again only on its
        5-second heartbeat, and Redis' queue fills from other processes: without this a worker whose share ran
        dry would sit out 5 s at a time (on a fast site, the whole crawl) and notice the run's end as late."""
        slot = getattr(self.crawler.engine, "_slot", None)  # Scrapy has no public call for it
        if slot is not None:
            slot.nextcall.schedule()

    def spider_idle(self) -> None:
        """Keeps the worker open while the shared queue holds requests or any worker fetched within
        QA_REDIS_IDLE seconds (its pages may link to more), and for QA_REDIS_IDLE seconds of its own idleness."""
        from scrapy.exceptions import DontCloseSpider

        queued = self.server.zcard(self.membership.key("requests"))
        busy = self.server.exists(self.membership.key("busy"))
        now = time.monotonic()
        if queued or busy:
            self.idle_since = None
        elif self.idle_since is None:
            self.idle_since = now
        if self.idle_since is None or now - self.idle_since < self.idle_seconds:
            self.crawler.stats.inc_value("distributed/idle_waits")
            raise DontCloseSpider

    def stop(self) -> None:
        if self.heartbeat.running:
            self.heartbeat.stop()


def close_worker(crawler: Crawler, stats: dict[str, Any]) -> dict[str, Any] | None:
    """Publishes this worker's final stats; returns the run's summed stats when this worker is the last to
    finish (it then writes the manifest and calls `publish_verdict`), else None after waiting (bounded) for
    that worker's verdict. Runs in spider_closed: the crawl is over, blocking the reactor costs nothing."""
    membership = membership_of(crawler)
    assert membership is not None
    extension = crawler.extensions.middlewares
    for candidate in extension:
        if isinstance(candidate, SharedCrawl):
            candidate.stop()
    server = client(membership.url)
    publish_ledger(crawler, server, membership)
    server.hset(membership.key("stats"), membership.worker, _encoded(stats))
    beat(server, membership, {"state": "finished", "pages": stats.get("response_received_count", 0)})
    deadline = time.monotonic() + float(crawler.settings.getfloat("QA_REDIS_CLOSE_WAIT"))
    while time.monotonic() < deadline:
        finished = {text(name) for name in server.hkeys(membership.key("stats"))}
        running = set(live_workers(server, membership)) - finished
        if not running:
            if claimed(server, membership.key("writer"), membership.worker, ex=VERDICT_TTL):
                every = [_decoded(raw) for raw in server.hvals(membership.key("stats"))]
                lost = server.scard(membership.key("workers")) - len(every)
                summed = {name: value for name, value in summed_stats(every).items() if not name.startswith("ledger/")}
                return {**summed, **shared_ledger(server, membership, lost), "distributed/workers": len(every),
                        "distributed/workers_lost": lost}
            break
        beat(server, membership, {"state": "finished", "pages": stats.get("response_received_count", 0)})
        time.sleep(HEARTBEAT_SECONDS)
    while time.monotonic() < deadline and not server.exists(membership.key("verdict")):
        time.sleep(HEARTBEAT_SECONDS / 4)
    return None


def publish_ledger(crawler: Crawler, server: redis.Redis, membership: Membership) -> None:
    """This worker's article ledger (qacrawler.crawl.ledger) into the run's: one worker schedules an article,
    another fetches it. A record or reject overwrites what another worker said; a skip or deferral does not."""
    from qacrawler.crawl.ledger import FINAL, ArticleLedger

    ledger = next((item for item in crawler.extensions.middlewares if isinstance(item, ArticleLedger)), None)
    if ledger is None:
        return
    outcomes, pending = membership.key("ledger"), membership.key("ledger_pending")
    with server.pipeline(transaction=False) as batch:
        for record_id, outcome in ledger.outcomes.items():
            if outcome is None:
                batch.hset(pending, record_id, ledger.urls[record_id])
                continue
            value = f"{outcome}:{ledger.deferred_reasons.get(record_id, '')}"
            (batch.hset if outcome in FINAL else batch.hsetnx)(outcomes, record_id, value)
        batch.execute()


def shared_ledger(server: redis.Redis, membership: Membership, lost_workers: int) -> dict[str, Any]:
    """The run's ledger stats. An article scheduled and never settled by any worker is unaccounted for, unless a
    worker was lost (killed): then it is deferred ("worker lost") and the next run fetches what is missing."""
    from qacrawler.crawl.ledger import OUTCOMES, UNACCOUNTED_URLS_KEPT

    settled = {text(key): text(value) for key, value in server.hgetall(membership.key("ledger")).items()}
    waiting = server.hgetall(membership.key("ledger_pending"))
    pending = {text(key): text(value) for key, value in waiting.items() if text(key) not in settled}
    counts = Counter(value.split(":", 1)[0] for value in settled.values())
    reasons = Counter(value.split(":", 1)[1] for value in settled.values() if value.startswith("deferred:"))
    unaccounted = sorted(pending.values())
    if lost_workers and unaccounted:
        counts["deferred"] += len(unaccounted)
        reasons["worker lost"] += len(unaccounted)
        unaccounted = []
    stats: dict[str, Any] = {"ledger/scheduled": len(settled) + len(pending), "ledger/unaccounted": len(unaccounted)}
    stats.update({f"ledger/{outcome}": counts[outcome] for outcome in OUTCOMES})
    stats.update({f"ledger/deferred/{reason}": count for reason, count in reasons.items()})
    if unaccounted:
        stats["ledger/unaccounted_urls"] = unaccounted[:UNACCOUNTED_URLS_KEPT]
    return stats


def publish_verdict(crawler: Crawler, passed: bool) -> None:
    """The manifest is written: waiting workers may exit, and the namespace is free for the next run (its
    queue, seen-set and members go; the verdict stays a day for late readers)."""
    membership = membership_of(crawler)
    assert membership is not None
    server = client(membership.url)
    server.set(membership.key("verdict"), "passed" if passed else "failed", ex=VERDICT_TTL)
    server.eval(_END_RUN, 1, f"{membership.namespace}:run", membership.run_id)
    last_pops = [membership.last_pop_key(text(worker)) for worker in server.smembers(membership.key("workers"))]
    server.delete(*(membership.key(name) for name in ("requests", "seen", "busy", "workers", "stats", "ledger",
                                                      "ledger_pending")), *last_pops)


# -- scrapy-redis --------------------------------------------------------------------------------------


def _scheduler_base() -> type:
    from scrapy_redis.scheduler import Scheduler  # type: ignore[import-untyped]  # ships no type information

    return Scheduler


# A request is marked seen and queued in one step. Apart, a Redis restart between the two (or a reply lost
# with the connection: the client retries, and SADD then answers "already seen") loses the request to the run.
_PUSH_UNSEEN = """
if redis.call('SADD', KEYS[1], ARGV[1]) == 1 then
  redis.call('ZADD', KEYS[2], ARGV[2], ARGV[3])
  return 1
end
return 0
"""

# Pops the first request once per token: a retried call (the reply was lost when Redis went away) gets the
# request the first call popped instead of popping, and so losing, another one.
_POP_ONCE = """
if redis.call('HGET', KEYS[2], 'token') == ARGV[1] then
  return redis.call('HGET', KEYS[2], 'request')
end
local popped = redis.call('ZPOPMIN', KEYS[1])
local request = popped[1] or ''
redis.call('HSET', KEYS[2], 'token', ARGV[1], 'request', request)
return request
"""


def _queue_base() -> type:
    from scrapy_redis.queue import PriorityQueue  # type: ignore[import-untyped]  # ships no type information

    return PriorityQueue


class SharedQueue(_queue_base()):  # type: ignore[misc]
    """scrapy-redis' priority queue whose writes survive a Redis restart: each is one script that a retry
    repeats without effect (ZADD of the same request is such a write already)."""

    def __init__(self, *args: Any, last_pop_key: str, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.last_pop_key = last_pop_key
        self.push_unseen_script = self.server.register_script(_PUSH_UNSEEN)
        self.pop_once_script = self.server.register_script(_POP_ONCE)
        self.pops = 0

    def push_unseen(self, request: Any, fingerprint: str, seen_key: str) -> bool:
        """Queues the request unless its fingerprint is in the seen-set; False when it was."""
        data = self._encode_request(request)
        return bool(self.push_unseen_script(keys=[seen_key, self.key], args=[fingerprint, -request.priority, data]))

    def pop(self, timeout: int = 0) -> Any:
        self.pops += 1
        data = self.pop_once_script(keys=[self.key, self.last_pop_key], args=[self.pops])
        return self._decode_request(data) if data else None


class SharedScheduler(_scheduler_base()):  # type: ignore[misc]
    """scrapy-redis' scheduler on SharedQueue (a request is seen and queued in one step), without the calls
    Scrapy 2.19 deprecates: stats counted without `spider=`, and the resumed queue said through the spider's
    logger rather than `Spider.log()`."""

    def open(self, spider: Any) -> None:
        from scrapy.utils.misc import load_object

        self.spider = spider
        membership = membership_of(spider.crawler)
        assert membership is not None
        self.queue = SharedQueue(server=self.server, spider=spider, key=self.queue_key % {"spider": spider.name},
                                 serializer=self.serializer, last_pop_key=membership.last_pop_key(membership.worker))
        if not self.df:  # type: ignore[has-type]  # set by scrapy-redis, which ships no type information
            self.df = load_object(self.dupefilter_cls).from_spider(spider)
        if self.flush_on_start:
            self.flush()
        if queued := len(self.queue):
            spider.logger.info("joined a shared queue of %d requests", queued)

    def enqueue_request(self, request: Any) -> bool:
        if request.dont_filter:
            self.queue.push(request)
        elif not self.queue.push_unseen(request, self.df.request_fingerprint(request), self.df.key):
            self.df.log(request, self.spider)
            return False
        self.stats.inc_value("scheduler/enqueued/redis")
        return True

    def next_request(self) -> Any:
        request = self.queue.pop(0)
        if request:
            self.stats.inc_value("scheduler/dequeued/redis")
        return request


# -- the shared dataset --------------------------------------------------------------------------------


@contextmanager
def worker_lock(root: Path) -> Iterator[list[Path]]:
    """The dataset's lock held shared by every worker of a run (a single-machine crawl, which takes it
    exclusively, is refused meanwhile). The first worker on the dataset, holding it alone for a moment,
    removes what killed runs left behind; yields those paths."""
    import fcntl

    from qacrawler.dataset.files import LOCK_FILE, remove_leftovers, take_lock

    root.mkdir(parents=True, exist_ok=True)
    handle = open(root / LOCK_FILE, "a+", encoding="utf-8")  # noqa: SIM115 - held for the whole run
    try:
        removed: list[Path] = []
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            removed = remove_leftovers(root)
        except BlockingIOError:
            pass  # other workers write here: their temporary files are not leftovers
        take_lock(handle, root, fcntl.LOCK_SH)
        yield removed
    finally:
        handle.close()


def file_tag(crawler: Crawler, run: str) -> str:
    """What names a crawl's part files: the run id, and on a shared run the worker too."""
    worker = crawler.settings.get("QA_REDIS_WORKER")
    return f"{run}.{worker}" if worker else run


@dataclass(frozen=True)
class RunningCrawl:
    """A shared run as `qacrawler workers` shows it."""

    namespace: str
    run_id: str
    workers: dict[str, dict[str, Any]]
    queued: int

    @property
    def pages(self) -> int:
        return sum(int(beat.get("pages", 0)) for beat in self.workers.values())

    @property
    def pages_per_second(self) -> float:
        """Each live worker's pages over the time since it started, added up."""
        return sum(int(beat.get("pages", 0)) / max(float(beat["at"]) - float(beat["started"]), 1e-3)
                   for beat in self.workers.values() if "started" in beat)


def running(server: redis.Redis) -> list[RunningCrawl]:
    found = []
    for key in sorted(server.scan_iter(match=f"{KEY_PREFIX}:*:run", count=1000)):
        space = text(key).removesuffix(":run")
        current = server.get(key)
        if current is None:
            continue
        membership = Membership("", space, text(current), "", leader=False)
        found.append(RunningCrawl(space, membership.run_id, live_workers(server, membership),
                                  server.zcard(membership.key("requests"))))
    return found
