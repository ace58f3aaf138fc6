"""Taiwan e-Hospital's listings page only through a `select#PageNo`, which no Discovery expresses: page URLs are
built from its options. Query values in the site's links are percent-encoded Big5 and are kept byte for byte."""

import re
from collections.abc import Iterator

from scrapy import Request
from scrapy.http import Response

from qacrawler.crawl.spiders.base import QASpider
from qacrawler.page.sites import tw_ehospital

PAGE_NUMBER = re.compile(r"([?&]PageNo=)[^&#]*")


def listing_page_url(url: str, page: str) -> str:
    if PAGE_NUMBER.search(url):
        return PAGE_NUMBER.sub(lambda match: f"{match.group(1)}{page}", url, count=1)
    return f"{url}{'&' if '?' in url else '?'}PageNo={page}"


class TwEHospitalSpider(QASpider):
    name = "tw_ehospital"
    site = tw_ehospital.DECLARATION

    def parse_listing(self, response: Response) -> Iterator[Request]:
        yield from super().parse_listing(response)
        for page in response.css("select#PageNo option::attr(value)").getall():
            yield Request(listing_page_url(response.url, page.strip()), callback=self.parse_listing)
