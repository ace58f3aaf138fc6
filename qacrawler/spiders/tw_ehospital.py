"""Taiwan e-Hospital: discovery from the home page and every page of every department's history listing.

The listings page only through a `select#PageNo`, so page URLs are built from its options. Query values
in the site's links are percent-encoded Big5 and are kept byte for byte. For a bounded crawl,
-a min_id= -a max_id= walks q_no values; numbers that do not exist are counted, not rejected.
"""

import re
from collections.abc import AsyncIterator, Iterator

from scrapy import Request
from scrapy.http import Response

from qacrawler.sites import tw_ehospital
from qacrawler.spiders.base import QASpider

PAGE_NUMBER = re.compile(r"([?&]PageNo=)[^&#]*")


def listing_page_url(url: str, page: str) -> str:
    if PAGE_NUMBER.search(url):
        return PAGE_NUMBER.sub(lambda match: f"{match.group(1)}{page}", url, count=1)
    return f"{url}{'&' if '?' in url else '?'}PageNo={page}"


class TwEHospitalSpider(QASpider):
    name = "tw_ehospital"
    site = tw_ehospital
    default_base_url = "https://sp1.hso.mohw.gov.tw"
    article_path = re.compile(r"/doctor/All/ShowDetail\.php$")
    article_url_template = "/doctor/All/ShowDetail.php?q_no={id}"
    listing_path = re.compile(r"/doctor/All/(history|index)\.php$")

    async def start(self) -> AsyncIterator[Request]:
        yield Request(self.url("/doctor/Index1.php"), callback=self.parse_listing, errback=self.discovery_failed)
        self.queue_articles()

    def canonical_article_url(self, url: str) -> str:
        q_no = self.site.source_id_from_url(url)
        return self.site.canonical_url(url, q_no) if q_no else url

    def parse_listing(self, response: Response) -> Iterator[Request]:
        self.follow_articles(self.links(response, self.article_path))
        self.frontier.feed()
        yield from self.follow_listings(response, self.listing_path, self.parse_listing)
        for page in response.css("select#PageNo option::attr(value)").getall():
            yield Request(listing_page_url(response.url, page.strip()), callback=self.parse_listing)
