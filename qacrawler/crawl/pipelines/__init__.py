"""Item pipelines, one job each; their order lives in qacrawler.crawl.settings.ITEM_PIPELINES."""
