class NotAnArticle(ValueError):
    """The page is not a Q&A article (not-found page, listing, truncated beyond use); `reason` says why."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class PageMissing(NotAnArticle):
    """The site says the page does not exist: for an id walk a gap in the numbering, not a broken page."""
