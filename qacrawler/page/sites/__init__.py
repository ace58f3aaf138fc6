"""Site parsers: pure functions from a page (HTML + URL) to a QARecord, tested offline on files."""

from qacrawler.page.sites.errors import NotAnArticle

__all__ = ["NotAnArticle"]
