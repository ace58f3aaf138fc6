class NotAnArticle(ValueError):
    """The page is not a Q&A article (not-found page, listing, truncated beyond use); `reason` says why."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason
