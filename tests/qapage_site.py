"""The sites of the QAPage parser's fixture folders (tests/fixtures/qapage*/), declared here as a site file would
declare them, so the fixture runner and the markup properties parse those folders without the site-file loader.

One declaration per folder: ``qapage`` is a site file with the defaults (JSON-LD and microdata, FAQ pages
refused) and a time zone; ``qapage_rdfa`` asks for RDFa; ``qapage_faq`` keeps FAQ pairs. The fixtures are pages
of several real platforms, so the hosts and the article pattern cover them all.
"""

from __future__ import annotations

from qacrawler.page.sites.qapage import PARSER_VERSION, QAPageParser
from qacrawler.page.sites.site import Site

ARTICLE = r"^/(?:(?:questions|t)/(?:[a-z0-9-]+/)?)([0-9]+)(?=[/?#]|$)"
HOSTS = (
    "askadoctor.lakesidehealth.org", "familyhealthanswers.com", "www.wellnessforum.net", "ask.healthq2a.org",
    "community.diabetesconnect.org", "www.northbridgeheart.org", "forum.migraineanswers.org",
    "www.stagneshospital.org", "riversidepharmacy.example.com", "www.greenwaypractice.example.org",
)


def qapage_site(site_id: str, parser: QAPageParser) -> Site:
    return Site(
        id=site_id,
        language="en",
        base_url=f"https://{HOSTS[0]}",
        article=ARTICLE,
        article_template="/questions/{id}",
        parser=parser.parse,
        parser_version=f"qapage-{PARSER_VERSION}+1",
        description="QAPage fixture pages of several platforms",
        hosts=HOSTS[1:],
    )


FIXTURE_SITES = {
    site.id: site
    for site in (
        qapage_site("qapage", QAPageParser(timezone="America/New_York")),
        qapage_site("qapage_rdfa", QAPageParser(syntaxes=("json-ld", "microdata", "rdfa"))),
        qapage_site("qapage_faq", QAPageParser(keep_faq=True)),
    )
}
