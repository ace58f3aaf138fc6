"""A parsed HTML page -> its schema.org nodes, per syntax (JSON-LD, microdata, RDFa). Pure: no Scrapy, no I/O.

Every syntax comes out in one shape, so the QAPage parser (qacrawler.page.sites.qapage) reads fields the same
way whatever the page used: a node is a dict whose ``@type`` is a list of short schema.org names
(``"https://schema.org/QAPage"``, ``"schema:QAPage"`` and ``"QAPage"`` all read ``QAPage``), whose keys are
short names too, and whose ``@id`` references to other nodes of the page are replaced by those nodes.

- JSON-LD is read here, one ``<script type="application/ld+json">`` block at a time: extruct drops every
  block of a page when one is broken. A block wrapped in an HTML comment or CDATA, with trailing commas or
  raw newlines in its strings, still reads; a block that does not is counted in ``broken_blocks`` and
  skipped. ``@graph`` is unwrapped.
- Microdata comes from extruct on the tree already parsed (its values are strings: "2", not 2; a property's
  text is read by ``element_text``, line breaks at block ends, as the page shows it). Each item
  keeps its place in the document as ``@order``, since the property lists of an item lose the interleaving
  of its answers (Question2Answer writes the accepted answer among the suggested ones).
- RDFa needs extruct's own DOM (a second parse, 30 times slower than the rest): only when asked. Its node
  ids are random blank nodes: they only link nodes here and never reach a record.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from qacrawler.page.sites.page_text import BLOCK_TAGS

__all__ = ["PARAGRAPH", "SYNTAXES", "Node", "StructuredData", "element_text", "extract", "schema_name", "walk"]

SYNTAXES = ("json-ld", "microdata", "rdfa")
Node = dict[str, Any]

MAX_DEPTH = 12
"""Values nested deeper than this are dropped: no schema.org page needs more, and a hostile one cannot make
the conversion recurse without bound."""

_SCHEMA_PREFIX = re.compile(r"^(?:https?://(?:www\.)?schema\.org/|schema:)", re.IGNORECASE)
_JSON_LD_SCRIPTS = etree.XPath(
    "//script[translate(normalize-space(substring-before(concat(@type, ';'), ';')),"
    " 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz') = 'application/ld+json']"
)
_WRAPPERS = re.compile(r"^\s*(?://\s*)?(?:<!--|<!\[CDATA\[)|(?://\s*)?(?:-->|\]\]>)\s*$")
_TRAILING_COMMA = re.compile(r'"(?:\\.|[^"\\])*"|,(\s*[}\]])', re.DOTALL)
_ITEMSCOPES = etree.XPath("//*[@itemscope]")
PARAGRAPH = "\u2029"
"""Marks where a block element or a ``<br>`` ended in an RDFa literal, whose text is otherwise run together;
read as a line break by the field functions (qapage.plain_text)."""


@dataclass
class StructuredData:
    """The schema.org nodes of one page: top-level nodes per syntax found, references resolved."""

    nodes: dict[str, list[Node]] = field(default_factory=dict)
    broken_blocks: int = 0  # JSON-LD blocks that are not JSON even after the usual repairs
    _every: dict[str | None, list[Node]] = field(default_factory=dict, repr=False)

    def every_node(self, syntax: str | None = None) -> list[Node]:
        """Every node of one syntax (of all when None), nested and referenced ones included, each once; walked
        once per page, since every field looks for its nodes here."""
        found = self._every.get(syntax)
        if found is None:
            top = self.nodes.get(syntax, []) if syntax else [node for nodes in self.nodes.values() for node in nodes]
            found = self._every[syntax] = list(walk(top))
        return found

    def type_counts(self) -> Counter[str]:
        """Every ``@type`` on the page, nested nodes included, each node counted once."""
        return Counter(name for node in self.every_node() for name in node.get("@type", ()))


def schema_name(term: str) -> str:
    """``https://schema.org/QAPage`` / ``schema:QAPage`` / ``QAPage`` -> ``QAPage``; other vocabularies' terms
    are kept whole."""
    return _SCHEMA_PREFIX.sub("", term.strip()).strip("/")


def walk(nodes: list[Node]) -> Iterator[Node]:
    """Every node reachable from ``nodes`` (nested and referenced), each once, depth-first in document order."""
    seen: set[int] = set()
    stack: list[Any] = [node for node in reversed(nodes) if isinstance(node, (dict, list))]
    while stack:
        value = stack.pop()
        if isinstance(value, list):
            stack.extend(reversed([item for item in value if isinstance(item, (dict, list))]))
        elif id(value) not in seen:
            seen.add(id(value))
            yield value
            stack.extend(reversed([item for key, item in value.items()
                                   if isinstance(item, (dict, list)) and not key.startswith("@")]))


def extract(root: etree._Element, syntaxes: tuple[str, ...], *, base_url: str, html: str) -> StructuredData:
    """The nodes of the syntaxes asked for that the page carries. ``html`` is the page's text, which RDFa
    parses again into extruct's DOM."""
    data = StructuredData()
    if "json-ld" in syntaxes:
        blocks = [_load_block(script.text or "") for script in _JSON_LD_SCRIPTS(root)]
        data.broken_blocks = sum(block is None for block in blocks)
        nodes = [node for block in blocks if block is not None for node in _top_nodes(block)]
        if nodes:
            data.nodes["json-ld"] = _resolved([_json_ld_node(node) for node in nodes])
    if "microdata" in syntaxes and _ITEMSCOPES(root):
        nodes = _microdata_nodes(root, base_url)
        if nodes:
            data.nodes["microdata"] = nodes
    if "rdfa" in syntaxes:
        nodes = _rdfa_nodes(html, base_url)
        if nodes:
            data.nodes["rdfa"] = nodes
    return data


# --- JSON-LD ------------------------------------------------------------------------------------


def _load_block(text: str) -> Any:
    """One script block as JSON: as written, else without comment/CDATA wrappers and trailing commas
    (raw control characters in strings are allowed throughout); None when it still is not JSON."""
    try:
        return json.loads(text, strict=False)
    except (ValueError, RecursionError):  # RecursionError: arrays nested thousands deep
        pass
    repaired = _TRAILING_COMMA.sub(lambda match: match.group(1) or match.group(0), _WRAPPERS.sub("", text))
    try:
        return json.loads(repaired, strict=False)
    except (ValueError, RecursionError):
        return None


def _top_nodes(data: Any) -> list[Node]:
    """A block's nodes: a node, a list of nodes, or a ``@graph`` (whose container may be a node too)."""
    if isinstance(data, list):
        return [node for item in data for node in _top_nodes(item)]
    if not isinstance(data, dict):
        return []
    graph = data.get("@graph")
    if graph is None:
        return [data]
    rest = {key: value for key, value in data.items() if key not in ("@graph", "@context")}
    return ([rest] if "@type" in rest else []) + _top_nodes(graph)


def _json_ld_node(value: Any, depth: int = 0) -> Any:
    """Keys and types to short names, ``{"@value": x}`` to x; nested deeper than MAX_DEPTH is dropped."""
    if depth > MAX_DEPTH:
        return None
    if isinstance(value, list):
        return [_json_ld_node(item, depth + 1) for item in value]
    if not isinstance(value, dict):
        return value
    if "@value" in value:
        return value["@value"]
    node: Node = {}
    for key, item in value.items():
        if not isinstance(key, str) or key == "@context":
            continue
        if key == "@type":
            node["@type"] = [schema_name(name) for name in (item if isinstance(item, list) else [item])
                             if isinstance(name, str)]
        else:
            node[key if key.startswith("@") else schema_name(key)] = _json_ld_node(item, depth + 1)
    return node


def _resolved(nodes: list[Node]) -> list[Node]:
    """Nodes whose ``{"@id": …}`` references are replaced, in place, by the node of that id when the page has
    it. Each node is visited once, so references in a cycle or to a shared node cost no more than the nodes."""
    index: dict[str, Node] = {}
    for node in walk(nodes):
        ref = node.get("@id")
        if isinstance(ref, str) and len(node) > 1:
            index.setdefault(ref, node)

    def target(value: Any) -> Any:
        if isinstance(value, dict) and len(value) == 1 and isinstance(value.get("@id"), str):
            return index.get(value["@id"], value)
        return value

    for node in walk(nodes):  # walk reads a node's values after this loop has replaced them
        for key, value in node.items():
            if not key.startswith("@"):
                node[key] = [target(item) for item in value] if isinstance(value, list) else target(value)
    return nodes


# --- microdata ----------------------------------------------------------------------------------


_NO_TEXT = frozenset({"script", "style", "template"})


def element_text(element: etree._Element) -> str:
    """An element's text with a line break where a block element or a ``<br>`` ends, whitespace normalised in
    each line; hidden elements are read too (microdata often sits in ``display:none`` spans)."""
    parts: list[str] = []
    walker = etree.iterwalk(element, events=("start", "end"))
    for event, node in walker:
        tag = node.tag.lower() if isinstance(node.tag, str) else ""
        if event == "start":
            if tag in _NO_TEXT:
                walker.skip_subtree()
            else:
                if tag == "br" or tag in BLOCK_TAGS:
                    parts.append(PARAGRAPH)
                parts.append(node.text or "")
        else:
            if tag in BLOCK_TAGS:
                parts.append(PARAGRAPH)
            if node is not element and node.tail:
                parts.append(node.tail)
    lines = (" ".join(line.split()) for line in "".join(parts).split(PARAGRAPH))
    return "\n".join(line for line in lines if line)


def _microdata_nodes(root: etree._Element, base_url: str) -> list[Node]:
    from extruct.w3cmicrodata import MicrodataExtractor

    class Extractor(MicrodataExtractor):
        """extruct's text of a property runs inline elements apart with spaces ("gard en ing"): ours does not;
        and a malformed link is an empty value instead of a ValueError that would lose the page."""

        def _extract_textContent(self, node: etree._Element) -> str:
            return element_text(node)

        def _extract_property_value(self, node: etree._Element, items_seen: set[Any], base_url: str,
                                    itemids: dict[Any, int], force: bool = False) -> Any:
            try:
                return super()._extract_property_value(node, items_seen, base_url, itemids, force)
            except ValueError:  # a link extruct cannot join ("http://[::1"): no value, not a lost page
                return ""

    order = {element: index for index, element in enumerate(_ITEMSCOPES(root))}
    items = Extractor(add_html_node=True).extract_items(root, base_url)
    return [node for node in (_microdata_node(item, order) for item in items) if node]


def _microdata_node(item: Any, order: dict[Any, int], depth: int = 0) -> Any:
    if isinstance(item, list):
        return [_microdata_node(value, order, depth) for value in item]
    if not isinstance(item, dict) or depth > MAX_DEPTH:
        return item if not isinstance(item, dict) else None
    types = item.get("type") or []
    node: Node = {"@type": [schema_name(name) for name in (types if isinstance(types, list) else [types])]}
    if item.get("id"):
        node["@id"] = item["id"]
    if item.get("htmlNode") is not None:
        node["@order"] = order.get(item["htmlNode"], 0)
    for key, value in (item.get("properties") or {}).items():
        node[schema_name(key)] = _microdata_node(value, order, depth + 1)
    return node


# --- RDFa ---------------------------------------------------------------------------------------


def _rdfa_nodes(html: str, base_url: str) -> list[Node]:
    import lxml.html
    from extruct.rdfa import RDFaExtractor
    from extruct.xmldom import XmlDomHTMLParser

    if "property=" not in html and "typeof=" not in html:  # no RDFa attribute at all: skip the slow parse
        return []
    try:
        tree = lxml.html.fromstring(html.encode("utf-8"), parser=XmlDomHTMLParser(encoding="utf-8"))
        _mark_paragraphs(tree)
        expanded = RDFaExtractor().extract_items(tree, base_url=base_url)
    except (ValueError, etree.LxmlError):
        return []
    nodes = [_rdfa_node(node) for node in expanded if isinstance(node, dict)]
    resolved = _resolved(nodes)
    referenced = {id(value) for node in walk(resolved) for key, value in node.items()
                  if not key.startswith("@") and isinstance(value, dict)}
    referenced |= {id(item) for node in walk(resolved) for key, value in node.items()
                   if not key.startswith("@") and isinstance(value, list) for item in value if isinstance(item, dict)}
    return [node for node in resolved if id(node) not in referenced and node.get("@type")]


def _mark_paragraphs(tree: etree._Element) -> None:
    for element in tree.iter():
        tag = element.tag.lower() if isinstance(element.tag, str) else ""
        if tag == "br" or tag in BLOCK_TAGS:
            element.tail = PARAGRAPH + (element.tail or "")
        if tag in BLOCK_TAGS:
            element.text = PARAGRAPH + (element.text or "")


def _rdfa_node(value: Any) -> Any:
    """Expanded JSON-LD (every value a list of ``{"@value"}`` / ``{"@id"}``) -> the common node shape."""
    if isinstance(value, list):
        items = [_rdfa_node(item) for item in value]
        return items[0] if len(items) == 1 else items
    if not isinstance(value, dict):
        return value
    if "@value" in value:
        return value["@value"]
    node: Node = {}
    for key, item in value.items():
        if key == "@type":
            node["@type"] = [schema_name(name) for name in item if isinstance(name, str)]
        elif key == "@id":
            node["@id"] = item
        else:
            node[schema_name(key)] = _rdfa_node(item)
    return node
