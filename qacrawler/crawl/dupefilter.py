"""A dupefilter that forgets between runs, even with JOBDIR.

Scrapy's default keeps `requests.seen` in the JOBDIR; after a SIGKILL the disk queue can lose the
requests those fingerprints stand for, and a resumed run would never fetch the listings again, nor
the articles only they link to. Forgetting costs a re-fetch of discovery pages; which articles are
fetched is decided by qacrawler.crawl.incremental from the finished dataset files.
"""

from __future__ import annotations

from scrapy.crawler import Crawler
from scrapy.dupefilters import RFPDupeFilter


class RunOnlyDupeFilter(RFPDupeFilter):
    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RunOnlyDupeFilter:
        return cls(None, crawler.settings.getbool("DUPEFILTER_DEBUG"), fingerprinter=crawler.request_fingerprinter)
