"""A deterministic local mirror of adoctor.tw, doctorqna.com's Traditional Chinese sister site.

The same template, so the same mirror (qacrawler.sandbox.doctorqna.DoctorQnaSite) with adoctor's label
table (qacrawler.page.sites.adoctor.LABELS: the wording the parser anchors on is the wording the pages show) and
Chinese text (``adoctor_text``). Known of the real site: articles at ``/article/<id>`` with doctorqna's ids,
the asker line and reply header of the label table. *Assumed*: everything else the doctorqna mirror assumes
(home page ``/``, listings ``/department/<slug>``, FAQ pages, sitemaps), the Similar Q&A and Related FAQ
headings, and English wording of the listing pages. Pages are UTF-8. No privacy or hostile-content plants:
those are written for the English pages.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from qacrawler.page.sites import adoctor
from qacrawler.sandbox import adoctor_text
from qacrawler.sandbox.doctorqna import DoctorQnaSite
from qacrawler.sandbox.doctorqna_layouts import Labels

__all__ = ["AdoctorSite"]


class AdoctorSite(DoctorQnaSite):
    """Every page of the adoctor.tw mirror, by path; ``truth(id)`` is what the adoctor parser must read."""

    TEXT = adoctor_text
    LABEL_SETS = {
        "standard": Labels.from_table(
            adoctor.LABELS, date_gap="", lang="zh-Hant", site_name="adoctor 問醫師", canonical="https://adoctor.tw",
            prefix="", home="首頁", search="搜尋", footer="回答僅供參考。",
        )
    }
    NOT_FOUND = (adoctor.LABELS.not_found[0], adoctor.LABELS.not_found[1])
    LANGUAGE = adoctor.LANGUAGE

    def __init__(self, pages: int = 1200, seed: int = 7, *, lastmod: str = "seconds",
                 clock_offset: timedelta = timedelta(0)):
        super().__init__(pages, seed, lastmod=lastmod, clock_offset=clock_offset)

    def _topic_slug(self, department: Any, topic: str) -> str:
        """Chinese topics have no ASCII slug: their place in the department's list names them."""
        return f"topic-{department.faq_topics.index(topic) + 1}"
