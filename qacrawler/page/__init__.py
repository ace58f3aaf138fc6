"""The page side: a site's declaration and parser, the record, the specialty taxonomy, privacy masking.

Pure: no Scrapy, no I/O beyond reading the package's own data."""
