"""The sites qacrawler knows: the ones it ships, and those a deployment adds with the QA_SITE_MODULES setting
(modules that call ``register``) or the QA_SITE_FILES setting (site files, qacrawler.page.sites.site_file), so a
scheduled job can crawl a site without a change to this package."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

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


def register_site_files(paths: Iterable[Path | str]) -> list[Site]:
    """Registers the sites of the site files and folders named (QA_SITE_FILES, the command line); SiteFileError
    for a bad file, two files of one id, or an id another declaration holds (a builtin site's, a site module's).
    A file loaded again (the command line, then the crawl's spider loader) replaces its own earlier declaration."""
    from qacrawler.page.sites.site_file import SiteFileError, load_site_files  # the parser only when asked

    sites = load_site_files(paths)
    for site in sites:
        held = _SITES.get(site.id)
        if held is not None and not same_file(held.source, site.source):
            holder = held.source or "a site module"
            raise SiteFileError(site.source or "", "id", f"{site.id!r} is already declared by {holder}; "
                                                         "give this site another id")
    for site in sites:
        register(site)
    return sites


def same_file(first: str | None, second: str | None) -> bool:
    return first is not None and second is not None and Path(first).resolve() == Path(second).resolve()
