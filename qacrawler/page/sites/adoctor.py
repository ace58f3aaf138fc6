"""adoctor.tw article pages (``/article/<id>``) -> QARecord: the Traditional Chinese table of the template
parser (qacrawler.page.sites.template). Pure: no Scrapy, no I/O.

adoctor.tw is doctorqna.com's Chinese sister site: the same template and the same article ids, with
the asker line "<name>,<lo>~<hi>歲<男性|女性>,詢問日期:YYYY/MM/DD" (ASCII or full-width commas and
colons; the name may hold a comma itself, so it is split on the LAST comma before the age; an age may be
open-ended, "60歲以上" or "60~歲") and the reply header "<name> 醫師回覆-<科別>". Gender is the asker's own
word (男性 / 女性). The Similar Q&A and Related FAQ headings (相似問答, 相關衛教) and the read-more link were
never seen on the real site: they are assumed, and pages without them parse.
"""

from __future__ import annotations

from qacrawler.page.sites.site import Discovery, Site
from qacrawler.page.sites.template import Labels, TemplateParser

__all__ = ["DECLARATION", "LABELS", "SITE", "PARSER_VERSION", "LANGUAGE", "parse", "source_id_from_url",
           "asker_name_spans"]

LABELS = Labels(
    ask_date=("詢問日期:", "詢問日期："),
    reply_date=("回覆日期:", "回覆日期："),
    share=("分享到:", "分享到："),
    more_info="彙整補充說明",
    similar="相似問答",
    related_faq="相關衛教",
    read_more="[閱讀全文]",
    not_found=("找不到這篇文章", "找不到網頁", "Article not found", "Page not found"),
    age_part=(
        r"[,，]\s*(?P<lo>[0-9]{1,3})\s*"
        r"(?:[~～]\s*(?P<hi>[0-9]{1,3})\s*歲|(?P<open>[~～]\s*歲|歲\s*以上)|歲)"
        r"\s*(?P<gender>男性|女性)?"
    ),
    asker_end=r"\s*[,，]?",
    genders={"男性": "male", "女性": "female"},
    reply_header=r"^(?P<name>\S.*?)\s*醫師回覆\s*[-－–—]\s*(?P<department>\S.*)$",
    reply_frame=("", " 醫師回覆-", ""),
    asker_form="{name},{lo}~{hi}歲{gender},",
    gender_words={"male": "男性", "female": "女性"},
    title_word=r"(?!)",  # Chinese titles (先生, 小姐) carry no full stop
    sentence_end=r"[.!?:。！？：]",  # no space between Chinese sentences: a name may follow a mark directly
    faq_entry=r"^(?P<topic>.*?)\s*[(（](?P<department>[^()（）]*)[)）]$",
    faq_entry_ends=(")", "）"),
    name_words=2,  # a Chinese paragraph has no spaces: a "word" before the name can be a whole sentence
    section_suffixes=("", ":", " :", "："),
)

ARTICLE = r"^/article/([0-9]+)/?(?=[?]|$)"  # on the path and query; group 1 is the source id
PARSER = TemplateParser(labels=LABELS, article=ARTICLE)

DECLARATION = Site(
    id="adoctor",
    language="zh-Hant",
    base_url="https://adoctor.tw",
    article=ARTICLE,
    article_template="/article/{id}",
    parser=PARSER.parse,
    parser_version="1.0",
    description="adoctor.tw, doctorqna.com's Traditional Chinese sister site (the same template and ids)",
    discovery=Discovery(sitemaps=("/sitemap.xml",), listings=("/",), listing_pattern=r"^/(department/[^/]+)?/?$"),
    required_fields=("answer", "reply_date", "doctor.name", "department"),
    gates={"coverage": {"asker.gender": 0.9, "asker.age_min": 0.9}},
    card_notes=("adoctor's `asker.gender` is as the asker gave it (男性 / 女性).",),
    asker_name_spans=PARSER.asker_name_spans,
    sandbox="qacrawler.sandbox.adoctor:AdoctorSite",
)

SITE, LANGUAGE, PARSER_VERSION = DECLARATION.id, DECLARATION.language, DECLARATION.parser_version
parse = DECLARATION.parse
source_id_from_url = DECLARATION.source_id_from_url
asker_name_spans = PARSER.asker_name_spans
