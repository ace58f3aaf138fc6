"""The sites qacrawler knows: the ones it ships, and those a deployment adds with the QA_SITE_MODULES setting
(modules that call ``register``), so a scheduled job can crawl a site without a change to this package."""

from __future__ import annotations

from collections.abc import Iterable

from qacrawler.page.sites import adoctor, doctorqna, tw_ehospital
from qacrawler.page.sites.site import Site

BUILTIN: tuple[Site, ...] = (adoctor.DECLARATION, doctorqna.DECLARATION, tw_ehospital.DECLARATION)
_SITES: dict[str, Site] = {site.id: site for site in BUILTIN}


class UnknownSite(LookupError):
    def __str__(self) -> str:
        return f"unknown site {self.args[0]!r}; known sites: {', '.join(sorted(_SITES))}"


def register(site: Site) -> Site:
    """Adds a site (or replaces the declaration of the same id, e.g. a module reloaded)."""
    _SITES[site.id] = site
    return site


def get_site(site_id: str) -> Site:
    try:
        return _SITES[site_id]
    except KeyError:
        raise UnknownSite(site_id) from None


def all_sites() -> list[Site]:
    return sorted(_SITES.values(), key=lambda site: site.id)


def load_site_modules(modules: Iterable[str]) -> None:
    """Imports each module named in QA_SITE_MODULES: importing it registers its sites."""
    from importlib import import_module

    for name in modules:
        import_module(name)
