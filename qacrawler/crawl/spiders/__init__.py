"""Spiders hold crawl policy only; extraction lives in qacrawler.page.sites."""
