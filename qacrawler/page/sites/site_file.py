"""Site files: a site whose pages carry schema.org QAPage data, declared in a small TOML file and no Python.

``load_site_file(path)`` turns one file into a ``Site`` whose parser is the structured-data parser
(qacrawler.page.sites.qapage); ``load_site_files(paths)`` reads files and folders of ``*.toml``. Every
mistake is a ``SiteFileError`` whose message is one line naming the file, the key, what is wrong and how to
fix it: a data team writes these files, and a traceback tells them nothing. docs/site-files.md lists the keys.
"""

from __future__ import annotations

import difflib
import math
import re
import tomllib
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from qacrawler.arguments import UsageError
from qacrawler.page.records import Asker, Doctor, QARecord
from qacrawler.page.sites.qapage import (
    DEFAULT_SYNTAXES,
    OVERRIDABLE_FIELDS,
    PARSER_VERSION,
    SYNTAXES,
    FieldRule,
    QAPageParser,
)
from qacrawler.page.sites.site import Discovery, Site

_ID = re.compile(r"[a-z][a-z0-9_]*")
_LANGUAGE = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*")  # BCP 47's shape: "en", "zh-Hant", "pt-BR"
_HOST = re.compile(r"[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*")
_SANDBOX_PACKAGE = "qacrawler.sandbox."  # a site file names our own mirror, never code of its own
MAX_DESCRIPTION_CHARS = 200

# file key -> Scrapy setting, with the smallest value that keeps a crawl sane
POLITENESS = {
    "download_delay": ("DOWNLOAD_DELAY", 0.0),
    "concurrent_requests_per_domain": ("CONCURRENT_REQUESTS_PER_DOMAIN", 1),
    "autothrottle_target_concurrency": ("AUTOTHROTTLE_TARGET_CONCURRENCY", 0.1),
    "autothrottle_max_delay": ("AUTOTHROTTLE_MAX_DELAY", 1.0),
    "download_timeout": ("DOWNLOAD_TIMEOUT", 1.0),
}
GATE_COUNTS = ("min_records", "max_errors", "ledger_unaccounted")
GATE_KEYS = (*GATE_COUNTS, "max_reject_ratio", "finish_reasons", "coverage")
KEYS = ("id", "language", "base_url", "article", "sitemaps", "listings", "listing_pattern", "article_links",
        "article_template", "description", "hosts", "syntaxes", "keep_faq", "timezone", "parser_version",
        "required_fields", "card_notes", "sandbox", "fields", "politeness", "gates")
REQUIRED = ("id", "language", "base_url", "article")


class SiteFileError(UsageError):
    """A site file that cannot declare a site; ``str()`` is one line: file, key, what is wrong, the fix."""

    def __init__(self, path: Path | str, key: str | None, problem: str):
        where = f"{path}: {key}: " if key else f"{path}: "
        super().__init__(" ".join(f"{where}{problem}".split()))  # one line whatever the message held


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f"; did you mean {close[0]!r}?" if close else ""


class _Reader:
    """The keys of one file's table, each checked once; ``error`` names the file and the key."""

    def __init__(self, path: Path, table: Mapping[str, Any], prefix: str = ""):
        self.path, self.table, self.prefix = path, table, prefix

    def error(self, key: str, problem: str) -> SiteFileError:
        return SiteFileError(self.path, f"{self.prefix}{key}", problem)

    def check_keys(self, known: Iterable[str], required: Iterable[str] = ()) -> None:
        known = tuple(known)
        for key in self.table:
            if key not in known:
                raise self.error(key, f"unknown key{did_you_mean(key, known)} (known: {', '.join(known)})")
        for key in required:
            if key not in self.table:
                raise self.error(key, "missing; every site file needs " + ", ".join(required))

    def typed(self, key: str, kind: type | tuple[type, ...], example: str) -> Any:
        value = self.table[key]
        kinds = kind if isinstance(kind, tuple) else (kind,)
        if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):  # TOML true is no 1
            raise self.error(key, f"expected {example}, got {_toml_type(value)} {_shown(value)}")
        return value

    def string(self, key: str, example: str) -> str | None:
        """The key's string, or None when the file leaves it out."""
        return self.typed(key, str, example) if key in self.table else None

    def boolean(self, key: str, default: bool) -> bool:
        if key not in self.table:
            return default
        value: bool = self.typed(key, bool, "true or false")
        return value

    def strings(self, key: str, example: str) -> tuple[str, ...]:
        if key not in self.table:
            return ()
        values = self.typed(key, list, f"a list of strings, e.g. {example}")
        for index, value in enumerate(values):
            if not isinstance(value, str) or not value.strip():
                raise self.error(f"{key}[{index}]", f"expected a non-empty string, got {_shown(value)}; "
                                                    f"write a list of strings, e.g. {example}")
        return tuple(values)

    def number(self, key: str, minimum: float, integer: bool = False) -> float | int:
        kind: tuple[type, ...] = (int,) if integer else (int, float)
        value: float | int = self.typed(key, kind, "a whole number" if integer else "a number")
        if not math.isfinite(value) or value < minimum:
            raise self.error(key, f"{value!r} is out of range; give a number of at least {minimum:g}")
        return value

    def regex(self, key: str) -> str | None:
        pattern = self.string(key, example="a regular expression in single quotes, e.g. '^/questions/(\\d+)'")
        if pattern is None:
            return None
        try:
            re.compile(pattern)
        except re.error as error:
            raise self.error(key, f"regular expression {pattern!r} does not compile: {error}; write it in single "
                                  "quotes (TOML literal string) so backslashes stay as written") from None
        return pattern


def _toml_type(value: Any) -> str:
    names = {bool: "a boolean", int: "an integer", float: "a number", str: "a string", list: "a list",
             dict: "a table"}
    return next((name for kind, name in names.items() if isinstance(value, kind)), type(value).__name__)


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def load_site_file(path: Path | str) -> Site:
    """The site one TOML file declares; SiteFileError (one line) for anything wrong with it."""
    path = Path(path)
    table = _read_toml(path)
    reader = _Reader(path, table)
    reader.check_keys(KEYS, REQUIRED)
    site_id = _site_id(reader)
    base_url = _base_url(reader)
    article = reader.regex("article")
    assert article is not None  # a required key
    discovery = _discovery(reader)
    template = _article_template(reader)
    if not discovery.sitemaps and not discovery.listings and not template:
        raise SiteFileError(path, "sitemaps", "no way to find articles: give sitemaps and/or listings "
                                              "(or article_template, for an id walk with --min-id/--max-id)")
    parser = QAPageParser(syntaxes=_syntaxes(reader), keep_faq=reader.boolean("keep_faq", False),
                          timezone=_timezone(reader), overrides=_field_rules(path, table.get("fields")))
    version = _parser_version(reader)
    try:
        return Site(
            id=site_id, language=_language(reader), base_url=base_url, article=article, article_template=template,
            parser=parser.parse, parser_version=f"qapage-{PARSER_VERSION}+{version}",
            description=_description(reader, base_url), hosts=_hosts(reader), discovery=discovery,
            required_fields=_required_fields(reader), gates=_gates(path, table.get("gates")),
            card_notes=reader.strings("card_notes", '["Answers are written by volunteers."]'),
            sandbox=_sandbox(reader), crawl_settings=_politeness(path, table.get("politeness")), source=str(path),
        )
    except ValueError as error:  # what Site itself refuses; the checks above should have said it first
        raise SiteFileError(path, None, str(error)) from None


def load_site_files(paths: Iterable[Path | str]) -> list[Site]:
    """The sites of files and folders of ``*.toml`` (a folder's in name order). Two files declaring one id are an
    error, and so is a builtin site's id: a dataset's rows of that site would mix two parsers."""
    from qacrawler.page.sites.registry import BUILTIN

    sites: list[Site] = []
    declared = {site.id: "a builtin site" for site in BUILTIN}
    for path in site_file_paths(paths):
        site = load_site_file(path)
        if site.id in declared:
            raise SiteFileError(path, "id", f"{site.id!r} is already declared by {declared[site.id]}; give this "
                                            "site another id")
        declared[site.id] = str(path)
        sites.append(site)
    return sites


def site_file_paths(paths: Iterable[Path | str]) -> list[Path]:
    """Each file as given, each folder's ``*.toml`` sorted; SiteFileError for a path that is neither."""
    found: list[Path] = []
    for given in paths:
        path = Path(given)
        if path.is_dir():
            files = sorted(child for child in path.glob("*.toml") if child.is_file())
            if not files:
                raise SiteFileError(path, None, "this folder holds no *.toml site file")
            found.extend(files)
        elif path.is_file():
            found.append(path)
        else:
            raise SiteFileError(path, None, "no such site file or folder")
    unique: dict[Path, Path] = {}  # each file once, however it was named
    for path in found:
        unique.setdefault(path.resolve(), path)
    return list(unique.values())


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as error:
        raise SiteFileError(path, None, f"cannot read: {error.strerror or error}") from None
    except UnicodeDecodeError as error:
        raise SiteFileError(path, None, f"not UTF-8 text (byte {error.start}); save the file as UTF-8") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise SiteFileError(path, None, f"not valid TOML: {error}; see https://toml.io") from None


def _site_id(reader: _Reader) -> str:
    site_id: str = reader.typed("id", str, 'a string, e.g. "example_health"')
    if not _ID.fullmatch(site_id):
        raise reader.error("id", f"{site_id!r} is not an id: use lower-case letters, digits and _, starting with a "
                                 "letter, e.g. \"example_health\"")
    return site_id


def _language(reader: _Reader) -> str:
    language: str = reader.typed("language", str, 'a BCP 47 tag, e.g. "en" or "zh-Hant"')
    if not _LANGUAGE.fullmatch(language):
        raise reader.error("language", f"{language!r} is not a BCP 47 language tag; e.g. \"en\", \"zh-Hant\"")
    return language


def _base_url(reader: _Reader) -> str:
    base_url: str = reader.typed("base_url", str, 'a URL, e.g. "https://answers.example.org"')
    try:
        parts = urlsplit(base_url.strip())
        host = parts.hostname
    except ValueError:
        parts, host = None, None
    if parts is None or parts.scheme not in ("http", "https") or not host:
        raise reader.error("base_url", f"{base_url!r} is not an http(s) URL; give one like "
                                       "\"https://answers.example.org\"")
    if parts.query or parts.fragment:
        raise reader.error("base_url", f"{base_url!r} has a query or fragment; give the site's address only")
    return base_url.strip().rstrip("/")


def _paths(reader: _Reader, key: str, example: str) -> tuple[str, ...]:
    paths = reader.strings(key, example)
    for index, path in enumerate(paths):
        if not path.startswith("/"):
            raise reader.error(f"{key}[{index}]", f"{path!r} is not a path on base_url; write it from its first "
                                                  f"/, e.g. {example}")
    return paths


def _discovery(reader: _Reader) -> Discovery:
    return Discovery(sitemaps=_paths(reader, "sitemaps", '["/sitemap.xml"]'),
                     listings=_paths(reader, "listings", '["/questions"]'),
                     listing_pattern=reader.regex("listing_pattern"),
                     article_links=reader.boolean("article_links", True))


def _article_template(reader: _Reader) -> str:
    """The file's template, or "" (the site's canonical URL is then the URL up to the article pattern's end)."""
    template = reader.string("article_template", example='a path with {id}, e.g. "/questions/{id}"')
    if template is None:
        return ""
    try:
        filled = template.format(id="1")
    except (KeyError, IndexError, ValueError):
        filled = None
    if filled is None or "{id}" not in template or not template.startswith("/"):
        raise reader.error("article_template", f"{template!r} is not a path with one {{id}} and no other braces; "
                                               "e.g. \"/questions/{id}\"")
    return template


def _description(reader: _Reader, base_url: str) -> str:
    description = reader.string("description", example='one line, e.g. "Ask-a-doctor answers of Example Health"')
    if description is None:
        return f"schema.org QAPage pages of {urlsplit(base_url).hostname}, declared by a site file"
    if "\n" in description or len(description) > MAX_DESCRIPTION_CHARS:
        raise reader.error("description", f"give one line of at most {MAX_DESCRIPTION_CHARS} characters")
    return description


def _hosts(reader: _Reader) -> tuple[str, ...]:
    hosts = reader.strings("hosts", '["answers-cdn.example.org"]')
    for index, host in enumerate(hosts):
        if not _HOST.fullmatch(host):
            raise reader.error(f"hosts[{index}]", f"{host!r} is not a host name; give the host alone, without "
                                                  "scheme or path (an international name in its xn-- form), "
                                                  "e.g. \"answers-cdn.example.org\"")
    return tuple(host.lower() for host in hosts)


def _syntaxes(reader: _Reader) -> tuple[str, ...]:
    if "syntaxes" not in reader.table:
        return DEFAULT_SYNTAXES
    syntaxes = reader.strings("syntaxes", '["json-ld", "microdata"]')
    if not syntaxes:
        raise reader.error("syntaxes", f"an empty list reads nothing; list some of {', '.join(SYNTAXES)}")
    for index, syntax in enumerate(syntaxes):
        if syntax not in SYNTAXES:
            raise reader.error(f"syntaxes[{index}]", f"unknown syntax {syntax!r}{did_you_mean(syntax, SYNTAXES)} "
                                                     f"(known: {', '.join(SYNTAXES)})")
    return tuple(dict.fromkeys(syntaxes))


def _timezone(reader: _Reader) -> str | None:
    zone = reader.string("timezone", example='an IANA time zone, e.g. "America/New_York"')
    if zone is None:
        return None
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise reader.error("timezone", f"{zone!r} is not an IANA time zone; e.g. \"America/New_York\", "
                                       "\"Asia/Taipei\", \"UTC\"") from None
    return zone


def _parser_version(reader: _Reader) -> str:
    if "parser_version" not in reader.table:
        return "1"
    version = reader.typed("parser_version", (str, int), 'a string, e.g. "2"')
    text = str(version)
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,31}", text):
        raise reader.error("parser_version", f"{text!r}: use letters, digits, '.', '_' or '-', e.g. \"2\"")
    return text


def _required_fields(reader: _Reader) -> tuple[str, ...]:
    names = reader.strings("required_fields", '["answer", "doctor.name"]')
    nested = {"asker": Asker.model_fields, "doctor": Doctor.model_fields}
    for index, name in enumerate(names):
        top, _, sub = name.partition(".")
        known = top in QARecord.model_fields and (not sub or sub in nested.get(top, {}))
        if not known:
            choices = [*QARecord.model_fields,
                       *(f"{key}.{field}" for key, fields in nested.items() for field in fields)]
            raise reader.error(f"required_fields[{index}]", f"unknown record field {name!r}"
                                                            f"{did_you_mean(name, choices)}")
    return names


def _sandbox(reader: _Reader) -> str | None:
    sandbox = reader.string("sandbox", example='"qacrawler.sandbox.<module>:<Class>"')
    if sandbox is None:
        return None
    if not re.fullmatch(r"[A-Za-z_][\w.]*:[A-Za-z_]\w*", sandbox) or not sandbox.startswith(_SANDBOX_PACKAGE):
        raise reader.error("sandbox", f"{sandbox!r} is not one of qacrawler's own mirrors; give "
                                      "\"qacrawler.sandbox.<module>:<Class>\"")
    return sandbox


def _table(path: Path, key: str, value: Any, example: str) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise SiteFileError(path, key, f"expected a table ([{key}] and its keys below it, e.g. {example}), got "
                                       f"{_toml_type(value)} {_shown(value)}")
    return value


def _field_rules(path: Path, value: Any) -> dict[str, FieldRule]:
    table = _table(path, "fields", value, 'department = { css = "nav.breadcrumb li:nth-last-child(2)" }')
    rules: dict[str, FieldRule] = {}
    for name, rule in table.items():
        if name not in OVERRIDABLE_FIELDS:
            raise SiteFileError(path, f"fields.{name}", f"not a field a rule may fill"
                                                        f"{did_you_mean(name, OVERRIDABLE_FIELDS)} "
                                                        f"(these may: {', '.join(OVERRIDABLE_FIELDS)})")
        rule_table = _table(path, f"fields.{name}", rule, '{ css = "…" } or { xpath = "…" }')
        reader = _Reader(path, rule_table, prefix=f"fields.{name}.")
        reader.check_keys(("css", "xpath"))
        if len(rule_table) != 1:
            raise SiteFileError(path, f"fields.{name}", "give exactly one of css or xpath, e.g. "
                                                        "{ css = \"span.views\" }")
        css = reader.string("css", example='a CSS selector, e.g. "span.views"')
        xpath = reader.string("xpath", example='an XPath, e.g. "//span[@class=\'views\']/text()"')
        _check_selector(reader, css, xpath)
        rules[name] = FieldRule(css=css, xpath=xpath)
    return rules


def _check_selector(reader: _Reader, css: str | None, xpath: str | None) -> None:
    """Compiles the rule now, so a typo fails the file, not every page of the crawl."""
    from lxml import etree
    from parsel.csstranslator import HTMLTranslator

    compile_rule: tuple[str, str, Callable[[str], object]]
    if css is not None:
        compile_rule = ("css", css, HTMLTranslator().css_to_xpath)
    else:
        assert xpath is not None
        compile_rule = ("xpath", xpath, etree.XPath)
    key, text, compile_text = compile_rule
    if not text.strip():
        raise reader.error(key, "empty selector; give one, or leave the field's rule out")
    try:
        compile_text(text)
    except Exception as error:  # cssselect's SelectorError and ExpressionError, lxml's XPathSyntaxError
        raise reader.error(key, f"{text!r} does not compile: {error or type(error).__name__}") from None


def _politeness(path: Path, value: Any) -> dict[str, Any]:
    table = _table(path, "politeness", value, "download_delay = 2.0")
    reader = _Reader(path, table, prefix="politeness.")
    reader.check_keys(POLITENESS)
    settings: dict[str, Any] = {}
    for key, (setting, minimum) in POLITENESS.items():
        if key in table:
            settings[setting] = reader.number(key, minimum, integer=isinstance(minimum, int))
    return settings


def _gates(path: Path, value: Any) -> dict[str, Any]:
    table = _table(path, "gates", value, "min_records = 100")
    reader = _Reader(path, table, prefix="gates.")
    reader.check_keys(GATE_KEYS)
    gates: dict[str, Any] = {}
    for key in GATE_COUNTS:
        if key in table:
            gates[key] = reader.number(key, 0, integer=True)
    if "max_reject_ratio" in table:
        gates["max_reject_ratio"] = _share(reader, "max_reject_ratio")
    if "finish_reasons" in table:
        gates["finish_reasons"] = list(reader.strings("finish_reasons", '["finished"]'))
    if "coverage" in table:
        coverage = _table(path, "gates.coverage", table["coverage"], 'answer = 0.9')
        coverage_reader = _Reader(path, coverage, prefix="gates.coverage.")
        gates["coverage"] = {field: _share(coverage_reader, field) for field in coverage}
    return gates


def _share(reader: _Reader, key: str) -> float:
    value = float(reader.number(key, 0.0))
    if value > 1:
        raise reader.error(key, f"{value:g} is a share between 0 and 1, e.g. 0.9")
    return value
