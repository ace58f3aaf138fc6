"""doctorqna.com: discovery from the sitemap and the department listings, then Similar Q&A links.

Neither a sitemap nor listings were ever seen on the real site, so both are optional:
following Similar Q&A links and walking an id range (-a min_id= -a max_id=) also reach articles.
"""

import re
from collections.abc import AsyncIterator, Iterator

from scrapy import Request
from scrapy.http import Response

from qacrawler.sites import doctorqna
from qacrawler.spiders.base import QASpider


class DoctorQnaSpider(QASpider):
    name = "doctorqna"
    site = doctorqna
    default_base_url = "https://doctorqna.com"
    article_path = re.compile(r"^/en/article/\d+$")
    article_url_template = "/en/article/{id}"
    listing_path = re.compile(r"^/en/(department/[^/]+)?/?$")
    home_path = "/en/"  # the listing discovery starts from

    async def start(self) -> AsyncIterator[Request]:
        yield self.sitemap_request(self.url("/sitemap.xml"))
        yield Request(self.url(self.home_path), callback=self.parse_listing, errback=self.discovery_failed)
        self.queue_articles()

    def parse_listing(self, response: Response) -> Iterator[Request]:
        self.follow_articles(self.links(response, self.article_path))
        self.frontier.feed()
        yield from self.follow_listings(response, self.listing_path, self.parse_listing)
