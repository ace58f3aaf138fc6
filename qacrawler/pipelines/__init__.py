"""Item pipelines, one job each; their order lives in qacrawler.settings.ITEM_PIPELINES."""
