"""The crawl side: Scrapy settings, the generic spider, pipelines, extensions, the frontier and the
incremental rules; everything that runs while a site is fetched."""
