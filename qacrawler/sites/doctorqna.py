"""doctorqna.com English article pages (``/en/article/<id>``) -> QARecord: the English table of the template
parser (qacrawler.sites.template). Pure: no Scrapy, no I/O.

The asker line reads "<name>, <lo>~<hi> year old <gender>. Ask Date: YYYY/MM/DD"; the name is split on
the LAST ", " before the age. The reply header reads "Dr. <Name> reply <Department>".
"""

from __future__ import annotations

from qacrawler.sites.template import Labels, TemplateParser

__all__ = ["LABELS", "SITE", "PARSER_VERSION", "LANGUAGE", "parse", "source_id_from_url", "asker_name_spans"]

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

_PARSER = TemplateParser(
    site="doctorqna",
    language="en",
    parser_version="1.0",
    article_path=r"/en/article/([0-9]+)(?=[/?#]|$)",
    path_hint="/en/article/<id>",
    hosts=("doctorqna.com",),
    labels=LABELS,
)

SITE, LANGUAGE, PARSER_VERSION = _PARSER.SITE, _PARSER.LANGUAGE, _PARSER.PARSER_VERSION
parse = _PARSER.parse
source_id_from_url = _PARSER.source_id_from_url
asker_name_spans = _PARSER.asker_name_spans
