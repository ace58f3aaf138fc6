"""adoctor.tw, doctorqna's Chinese sister site: the same template and the same discovery as doctorqna
(sitemap, department listings, Similar Q&A links, an optional id walk over doctorqna's ids), with articles at
/article/<id> instead of /en/article/<id>.
"""

import re

from qacrawler.sites import adoctor
from qacrawler.spiders.doctorqna import DoctorQnaSpider


class AdoctorSpider(DoctorQnaSpider):
    name = "adoctor"
    site = adoctor
    default_base_url = "https://adoctor.tw"
    article_path = re.compile(r"^/article/\d+$")
    article_url_template = "/article/{id}"
    listing_path = re.compile(r"^/(department/[^/]+)?/?$")
    home_path = "/"
