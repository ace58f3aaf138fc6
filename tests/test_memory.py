"""The crawl's memory helpers change process-wide state only for as long as they should."""

import gc

from qacrawler.crawl.memory import release_free_memory
from qacrawler.crawl.process import tuned_garbage_collector


def test_the_garbage_collector_tuning_is_undone_after_the_crawl():
    before = gc.get_threshold()
    with tuned_garbage_collector():
        assert gc.get_threshold() == (20_000, 20, 50)
        assert gc.get_freeze_count() > 0  # the heap that existed before the crawl is out of collections
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0


def test_releasing_free_memory_collects_cyclic_garbage():
    class Node:
        pass

    with tuned_garbage_collector():  # young collections are rare here: garbage waits for release_free_memory
        for _ in range(1000):
            node = Node()
            node.self = node  # a cycle: only the cyclic collector frees it
        del node
        release_free_memory()
        assert not [obj for obj in gc.get_objects() if isinstance(obj, Node)]
