"""Scrapy settings for qacrawler: polite defaults for real sites.

Spiders relax the politeness settings only for a loopback base_url (the sandbox); see
qacrawler.crawl.spiders.base.QASpider.from_crawler. QA_* settings are qacrawler's own.
"""

from typing import Any

from qacrawler.page.pool import default_processes

BOT_NAME = "qacrawler"
SPIDER_LOADER_CLASS = "qacrawler.crawl.spiders.loader.SiteSpiderLoader"  # one spider per registered site
QA_SITE_MODULES: list[str] = []  # modules that register more sites (qacrawler.page.sites.registry.register)
QA_SITE_FILES: list[str] = []  # site files (TOML) and folders of them that declare more sites (docs/site-files.md)

# Politeness: identify the bot with a contact, obey robots.txt, adapt to the server's pace.
QA_CONTACT = "https://github.com/qacrawler/qacrawler"
USER_AGENT = None  # built from BOT_NAME, the version and QA_CONTACT unless set explicitly
ROBOTSTXT_OBEY = True
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 2.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
DOWNLOAD_DELAY = 1.0
CONCURRENT_REQUESTS = 8
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_TIMEOUT = 30
RETRY_TIMES = 3
RETRY_HTTP_CODES = [429, 500, 502, 503, 504, 522, 524, 408]
# seconds: a longer Retry-After on 429/503 defers the URL to the next run (qacrawler.crawl.retry_after)
QA_RETRY_AFTER_MAX = 120
# Hostile bytes: a response over this size is refused (cancelled as it streams in, or by its Content-Length),
# and so is a compressed body that decompresses beyond it (Scrapy's default is 1 GiB).
DOWNLOAD_MAXSIZE = 8 * 1024 * 1024
DOWNLOAD_WARNSIZE = 4 * 1024 * 1024
# Checks what host names resolve to before connecting (qacrawler.crawl.request_policy.GuardedResolver).
TWISTED_DNS_RESOLVER = "qacrawler.crawl.request_policy.GuardedResolver"
# A callback's outputs (one record, a few links) go through the pipelines one after the other: they are
# all synchronous. Scrapy's default, 100, starts 100 asyncio tasks for every response (about 2 ms).
CONCURRENT_ITEMS = 1
# Scrapy checks each callback for a generator with a return value by parsing its source, and its cache is
# keyed by bound methods, which are new objects for every response: the check re-parsed parse_article for
# every page (3 % of a crawl). qacrawler's callbacks are tested instead.
WARN_ON_GENERATOR_RETURN_VALUE = False
STATS_CLASS = "qacrawler.crawl.stats.CrawlStats"
# Item messages name the item (id, URL), never its texts: the log must not hold what privacy masks.
LOG_FORMATTER = "qacrawler.crawl.logformatter.PrivateLogFormatter"

# Settings used when the spider's base_url is a loopback address (the sandbox).
QA_LOCAL_SETTINGS = {
    "AUTOTHROTTLE_ENABLED": False,
    "DOWNLOAD_DELAY": 0,
    "CONCURRENT_REQUESTS": 16,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 16,
}

# The remote-control extension executes code sent to a local port, the telnet console opens a shell.
REMOTE_CONTROL_ENABLED = False
TELNETCONSOLE_ENABLED = False

ITEM_PIPELINES = {
    "qacrawler.crawl.pipelines.validate.ValidatePipeline": 100,
    "qacrawler.crawl.pipelines.coverage.FieldCoveragePipeline": 150,
    "qacrawler.crawl.pipelines.taxonomy.SpecialtyCoveragePipeline": 200,
    "qacrawler.crawl.pipelines.privacy.PrivacyPipeline": 300,
    "qacrawler.crawl.pipelines.dedupe.DedupePipeline": 400,
    "qacrawler.crawl.pipelines.parquet.ParquetWriterPipeline": 800,
}
DUPEFILTER_CLASS = "qacrawler.crawl.dupefilter.RunOnlyDupeFilter"
DOWNLOADER_MIDDLEWARES = {
    # before robots.txt: a refused host is never contacted
    "qacrawler.crawl.request_policy.RequestPolicyMiddleware": 40,
    "qacrawler.crawl.incremental.IncrementalMiddleware": 50,
    "qacrawler.crawl.retry_after.RetryAfterMiddleware": 560,  # sees 429/503 before RetryMiddleware (550) retries them
    # after decompression (590), before meta refresh (580)
    "qacrawler.crawl.charset_labels.CharsetLabelMiddleware": 585,
    # every response as WARC (qacrawler.crawl.archive): decoded bodies after decompression (590), server's headers
    # before the charset relabelling (585); redirects before RedirectMiddleware (600) consumes them
    "qacrawler.crawl.archive.ArchiveMiddleware": 589,
    "qacrawler.crawl.archive.RedirectArchiveMiddleware": 601,
}
COMMANDS_MODULE = "qacrawler.crawl.commands"  # `scrapy crawl` exits 2 when a quality gate failed, as `qacrawler crawl`
EXTENSIONS = {
    "qacrawler.crawl.extensions.resume.ResumedRun": 480,
    "qacrawler.crawl.ledger.ArticleLedger": 490,  # before the manifest, which reads the ledger's stats
    "qacrawler.crawl.extensions.manifest.RunManifest": 500,
    "qacrawler.crawl.extensions.progress.ProgressLine": 510,
    "qacrawler.crawl.distributed.SharedCrawl": 520,  # only with QA_REDIS_URL
}

# qacrawler's own settings.
QA_OUTPUT_DIR = None  # the dataset folder; output/<spider name> when unset
QA_RUN_ID = None  # generated per crawl when unset
QA_LEFTOVERS_REMOVED = 0  # set by the command line: temporary files of killed runs it removed before this crawl
# article requests in Scrapy's scheduler at once; the rest wait as plain URLs (qacrawler.crawl.frontier)
QA_FRONTIER_WINDOW = 64
# Pages are parsed on this many worker processes (qacrawler.page.pool), so the reactor only downloads and writes;
# 0 parses in the crawl's own process. One per core by default, 0 on a single core.
QA_PARSE_PROCESSES = default_processes()
QA_PARQUET_BATCH_ROWS = 5000  # records held in memory before a batch of files is written
QA_PARQUET_CHUNK_ROWS = 500  # records held as Python rows before they are converted to (smaller) Arrow tables
# A partition a run wrote to that then holds more files than this has its small files (under QA_PARQUET_BATCH_ROWS
# rows) merged into one, every version kept, at the end of the run; 0 never merges
QA_COMPACT_FILES_PER_PARTITION = 8
QA_KEEP_ASKER_NAMES = False
# Raw pages as WARC under <dataset>/archive/ (qacrawler.crawl.archive; `qacrawler crawl --no-archive` turns it off).
# They hold names and contact details: never exported, never to be published.
QA_ARCHIVE = True
QA_ARCHIVE_MAX_BYTES = 2**30  # a WARC file is closed and a new one started past this size
QA_ARCHIVE_KEEP_DAYS = 0  # archive files older than this are removed at the end of a run; 0 keeps them forever
QA_ARCHIVE_SALVAGED = 0  # set by the command line: WARC files of killed runs it finished before this crawl

# A shared crawl (`qacrawler crawl --redis URL`, qacrawler.crawl.distributed): the Redis URL, None = not shared;
# the seconds the shared queue must stay empty, with no worker fetching, before a worker stops; the most seconds a
# finished worker waits for the others and the run's verdict.
QA_REDIS_URL = None
QA_REDIS_IDLE = 30.0
QA_REDIS_CLOSE_WAIT = 300.0
QA_INCREMENTAL = True  # skip unchanged articles the dataset already holds (`qacrawler crawl --full` turns it off)
# How far a site's clock may run behind ours: a sitemap lastmod up to this long before our last fetch of a
# page may still stamp an edit made after it (qacrawler.crawl.lastmod.refetch_reason).
QA_LASTMOD_TOLERANCE = 3600
QA_PROGRESS_INTERVAL = 0  # seconds between progress lines on stderr; 0 = off (the CLI turns it on)
# Fields a record needs to enter the dataset: "*" for every site, then the site's declaration's, then per site id.
QA_REQUIRED_FIELDS = {
    "*": ["title", "question", "ask_date"],
}

# Quality gates, read at the end of every crawl (qacrawler.crawl.gates): defaults, then the site's declaration's, then
# per site id here, then per run.
QA_GATES = {
    "min_records": 1,
    "max_reject_ratio": 0.05,
    "max_errors": 0,
    "ledger_unaccounted": 0,
    "finish_reasons": ["finished"],
    "coverage": {"title": 0.95, "question": 0.95, "ask_date": 0.95, "reply_date": 0.95, "answer": 0.9,
                 "department": 0.9, "doctor.name": 0.9},
}
QA_GATES_BY_SITE: dict[str, dict[str, Any]] = {}
QA_GATES_OVERRIDES: dict[str, Any] = {}  # per run, e.g. from `qacrawler crawl --gate min_records=500`

LOG_LEVEL = "INFO"
FEED_EXPORT_ENCODING = "utf-8"
