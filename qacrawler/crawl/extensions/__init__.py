"""Crawl-level extensions: the run manifest and the progress line."""
