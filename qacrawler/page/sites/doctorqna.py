"""doctorqna.com English article pages (``/en/article/<id>``) -> QARecord: the English table of the template
parser (qacrawler.page.sites.template). Pure: no Scrapy, no I/O.

The asker line reads "<name>, <lo>~<hi> year old <gender>. Ask Date: YYYY/MM/DD"; the name is split on
the LAST ", " before the age. The reply header reads "Dr. <Name> reply <Department>".
"""

from __future__ import annotations

from qacrawler.page.sites.site import Discovery, Site
from qacrawler.page.sites.template import Labels, TemplateParser

__all__ = ["DECLARATION", "LABELS", "SITE", "PARSER_VERSION", "LANGUAGE", "parse", "source_id_from_url",
           "asker_name_spans"]

LABELS = Labels(
    ask_date=("Ask Date:",),
    reply_date=("Reply Date:",),
    share=("Share to:",),
    more_info="More Info",
    similar="Similar Q&A",
    related_faq="Related FAQ",
    read_more="[Read More]",
    not_found=("Article not found", "Page not found"),
    age_part=r",\s*(?P<lo>[0-9]{1,3})\s*(?:~\s*(?P<hi>[0-9]{1,3})\s*)?years?[\s-]*old(?:\s+(?P<gender>[A-Za-z]+))?",
    asker_end=r"\s*\.?",
    genders={"female": "female", "male": "male"},
    reply_header=r"^Dr\.\s*(?P<name>\S.*?)\s+reply\s+(?P<department>\S.*)$",
    reply_frame=("Dr. ", " reply ", ""),
    asker_form="{name}, {lo}~{hi} year old {gender}.",
    gender_words={"female": "female", "male": "male"},
    title_word=r"^(?:Mr|Mrs|Ms|Miss|Mx|Dr)\.$",
    sentence_end=r"[.!?:。！？：]$",
)

ARTICLE = r"^/en/article/([0-9]+)/?(?=[?]|$)"  # on the path and query; group 1 is the source id
PARSER = TemplateParser(labels=LABELS, article=ARTICLE)

DECLARATION = Site(
    id="doctorqna",
    language="en",
    base_url="https://doctorqna.com",
    article=ARTICLE,
    article_template="/en/article/{id}",
    parser=PARSER.parse,
    parser_version="1.0",
    description="doctorqna.com English article pages, translated from Taiwan e-Hospital",
    discovery=Discovery(sitemaps=("/sitemap.xml",), listings=("/en/",), listing_pattern=r"^/en/(department/[^/]+)?/?$"),
    required_fields=("answer", "reply_date", "doctor.name", "department"),
    gates={"coverage": {"asker.gender": 0.9, "asker.age_min": 0.9}},
    card_notes=(
        "doctorqna's `asker.gender` is a translation default (`female` on almost every page, even for \"Mr.\" "
        "askers): do not analyse it.",
        "doctorqna pages are English translations of Taiwan e-Hospital questions: a question and its translation "
        "are different texts, so they are not detected as duplicates and may land in different splits.",
    ),
    asker_name_spans=PARSER.asker_name_spans,
    sandbox="qacrawler.sandbox.doctorqna:DoctorQnaSite",
)

SITE, LANGUAGE, PARSER_VERSION = DECLARATION.id, DECLARATION.language, DECLARATION.parser_version
parse = DECLARATION.parse
source_id_from_url = DECLARATION.source_id_from_url
asker_name_spans = PARSER.asker_name_spans
