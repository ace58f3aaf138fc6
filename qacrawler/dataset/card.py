"""README.md in the dataset folder: the dataset card, rewritten at the end of every crawl so it always
describes the files beside it.

It follows the Hugging Face dataset-card conventions: the card is the folder's README.md (the only name
`datasets.load_dataset(folder)` and the Hub read its `configs` from), a YAML header, then prose. Its configs
name records/ only, so rejects/, unchanged/ and quarantine/ (other columns) are never loaded as records.
Every figure in it is computed from the data and the run manifests, never typed by hand: a researcher
can trust what it says about provenance, coverage, duplicates, splits and privacy.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import typing
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from pydantic import BaseModel

from qacrawler import dataset as qa_dataset
from qacrawler.dataset.files import RECORDS, run_manifests
from qacrawler.dataset.schema import _unwrap_optional, field_table
from qacrawler.dataset.warc import ARCHIVE
from qacrawler.page.privacy import PATTERNS
from qacrawler.page.records import QARecord
from qacrawler.page.sites.registry import UnknownSite, get_site
from qacrawler.page.sites.site import is_loopback

CARD_NAME = "README.md"
OLD_CARD_NAME = "DATASET.md"  # 0.2.0 and earlier: Hugging Face did not read it, so it is replaced
# The card is computed inside the crawler at the end of every run, so its memory must not grow with the
# dataset: DuckDB gets one thread and this budget, and spills to a temporary folder beyond it. The newest-
# version keys every query joins on must fit (about 200 bytes a record): enough for a million records.
DUCKDB_MEMORY_LIMIT = "256MB"
QUESTION_BATCH_ROWS = 4096
_SIZE_CATEGORIES = ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M"),
                    (10_000_000, "1M<n<10M"), (100_000_000, "10M<n<100M"))


def size_category(rows: int) -> str:
    """The Hub's size_categories bucket for a row count."""
    for limit, label in _SIZE_CATEGORIES:
        if rows < limit:
            return label
    return "n>100M"


def coverage_fields(model: type[BaseModel] = QARecord) -> list[tuple[str, str]]:
    """(field, DuckDB expression counting rows that have it) for every field that may be missing:
    nullable values, nullable struct members, and lists (counted when non-empty)."""
    fields = []
    for name, info in model.model_fields.items():
        inner, optional = _unwrap_optional(info.annotation)
        if typing.get_origin(inner) is list:
            fields.append((name, f"count(*) FILTER (WHERE len({name}) > 0)"))
        elif isinstance(inner, type) and issubclass(inner, BaseModel):
            for member, member_info in inner.model_fields.items():
                if _unwrap_optional(member_info.annotation)[1]:
                    fields.append((f"{name}.{member}", f"count({name}.{member})"))
        elif optional:
            fields.append((name, f"count({name})"))
    return fields


def _feature_lines(field: pa.Field, indent: str) -> list[str]:
    """One column as a Hugging Face `features` entry in the card's YAML (the form `datasets` writes itself)."""
    lines = [f"{indent}- name: {json.dumps(field.name)}"]
    kind, inner = "", field.type
    if pa.types.is_list(inner):
        kind, inner = "list", inner.value_type
    if pa.types.is_struct(inner):
        lines.append(f"{indent}  {kind or 'struct'}:")
        for member in inner:
            lines += _feature_lines(member, indent + "  ")
    else:
        dtype = "date32" if pa.types.is_date32(inner) else str(inner)  # Arrow prints date32 as "date32[day]"
        lines.append(f"{indent}  {kind or 'dtype'}: {json.dumps(dtype)}")
    return lines


def _features(schema: pa.Schema) -> list[str]:
    """`dataset_info.features`: the columns of the current record files. Without them `datasets` takes the columns
    of the first file it reads, and refuses the files of a later version beside it (a dataset begun before 0.3.0
    holds files without `answers` and `kind`); with them, a column a file lacks reads as nulls."""
    return ["dataset_info:", "  features:", *(line for field in schema for line in _feature_lines(field, "  "))]


def _yaml_list(key: str, values: list[str], indent: str = "") -> list[str]:
    return [f"{indent}{key}:", *(f"{indent}- {json.dumps(value, ensure_ascii=False)}" for value in values)]


def _percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f} %" if whole else "–"


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _span(first: Any, last: Any) -> str:
    return str(first) if first == last else f"{first} … {last}"


def _table(header: list[str], rows: list[list[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join("" if cell is None else str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def _one_record_schema(root: Path) -> bool:
    """Whether every record file has the same columns, read one footer at a time: DuckDB can then read them
    without union_by_name, which holds every file's metadata (about 75 KB a file) while it plans a query."""
    schemas = (pq.read_schema(file) for file in (root / RECORDS).rglob("*.parquet"))
    first = next(schemas, None)
    return all(schema.equals(first) for schema in schemas)


@contextmanager
def _bounded_duckdb(root: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """to_duckdb()'s views within DUCKDB_MEMORY_LIMIT. Its `qa` view picks each record's newest version with a
    window over whole rows, which holds every row a query reads; here `qa` gives the same rows through a
    table of the newest (record_id, crawled_at, content_hash), built once from those three columns, so the
    queries stream the files. The three name one row: a dataset never holds a record's content_hash twice."""
    with tempfile.TemporaryDirectory(prefix="qacrawler-card-") as spill:
        con = duckdb.connect(config={"memory_limit": DUCKDB_MEMORY_LIMIT, "threads": 1, "temp_directory": spill})
        try:
            qa_dataset.to_duckdb(root, con, union_by_name=not _one_record_schema(root))
            con.execute("CREATE TEMP TABLE newest_versions AS SELECT record_id, crawled_at, content_hash FROM qa")
            con.execute("CREATE OR REPLACE VIEW qa AS SELECT * FROM qa_all "
                        "SEMI JOIN newest_versions USING (record_id, crawled_at, content_hash)")
            yield con
        finally:
            con.close()


class _Facts:
    """Everything the card states, gathered once from the files and the manifests."""

    def __init__(self, root: Path):
        self.root = root
        self.manifests = run_manifests(root)
        with _bounded_duckdb(root) as con:
            self._gather(con)

    def _gather(self, con: duckdb.DuckDBPyConnection) -> None:
        self.rows_all = con.execute("SELECT count(*) FROM qa_all").fetchall()[0][0]
        self.per_site = _dicts(con, """
            SELECT site, count(*) AS records, string_agg(DISTINCT language, ', ') AS language,
                   count(answer) AS answered, count(specialty) AS with_specialty,
                   min(ask_date) AS first_ask, max(ask_date) AS last_ask,
                   min(crawled_at) AS first_crawl, max(crawled_at) AS last_crawl,
                   string_agg(DISTINCT parser_version, ', ' ORDER BY parser_version) AS parsers
            FROM qa GROUP BY site ORDER BY site""")
        self.sites = [row["site"] for row in self.per_site]
        self.records = sum(row["records"] for row in self.per_site)
        self.languages = sorted(row[0] for row in con.execute("SELECT DISTINCT language FROM qa").fetchall())
        self.stored_rows = dict(con.execute("SELECT site, count(*) FROM qa_all GROUP BY site").fetchall())
        self.multi_version = con.execute(
            "SELECT count(*) FROM (SELECT record_id FROM qa_all GROUP BY record_id HAVING count(*) > 1)"
        ).fetchall()[0][0]
        fields = coverage_fields()
        selects = ", ".join(expression for _, expression in fields)
        self.coverage_fields = [name for name, _ in fields]
        self.coverage = {row[0]: (row[1], row[2:]) for row in
                         con.execute(f"SELECT site, count(*), {selects} FROM qa GROUP BY site").fetchall()}
        self.names_kept = con.execute("SELECT count(asker.name) FROM qa").fetchall()[0][0]
        self.links = con.execute("""
            WITH links AS (SELECT unnest(similar_questions).url AS url FROM qa)
            SELECT count(*), count(*) FILTER (WHERE url IN (SELECT url FROM qa)) FROM links""").fetchall()[0]
        self.rejects = con.execute("SELECT site, stage, count(*) FROM rejects GROUP BY ALL ORDER BY ALL").fetchall()
        self._splits(con)

    def _splits(self, con: duckdb.DuckDBPyConnection) -> None:
        """Split counts and duplicate groups, reading the newest version of each question a batch at a time and
        keeping only a 16-byte digest of its question_key and a site number per record, never the text."""
        self.split_counts: dict[str, Counter[str]] = defaultdict(Counter)
        site_numbers: dict[str, int] = {}
        digests, site_columns = [], []
        for batch in con.sql("SELECT site, question FROM qa").to_arrow_reader(QUESTION_BATCH_ROWS):
            sites = batch.column("site").to_pylist()
            keys, names = qa_dataset.keys_and_splits(batch.column("question").to_pylist())
            for site, name in zip(sites, names, strict=True):
                self.split_counts[site][name] += 1
            digests.append(pa.array([hashlib.blake2b(key.encode(), digest_size=16).digest() for key in keys],
                                    pa.binary(16)))
            site_columns.append(pa.array([site_numbers.setdefault(site, len(site_numbers)) for site in sites],
                                         pa.int32()))
        self.duplicate_groups, self.duplicate_records, self.cross_site_groups = _duplicates(
            pa.chunked_array(digests, pa.binary(16)), pa.chunked_array(site_columns, pa.int32()))

    def runs_of(self, site: str) -> list[dict]:
        return [manifest for manifest in self.manifests if manifest.get("spider") == site]

    def stat_total(self, key: str) -> int:
        return sum(int(manifest.get("stats", {}).get(key, 0) or 0) for manifest in self.manifests)


def _duplicates(digests: pa.ChunkedArray, sites: pa.ChunkedArray) -> tuple[int, int, int]:
    """(groups, records, groups across sites) of questions that occur more than once, from each record's
    question digest and site number. Sorting puts copies side by side in a few bytes a record; Arrow's
    group_by would build a hash table of every question."""
    ordered = pa.table({"digest": digests, "site": sites}).sort_by([("digest", "ascending"), ("site", "ascending")])
    digest, site = ordered["digest"].combine_chunks(), ordered["site"].combine_chunks()
    repeats = pc.equal(digest[1:], digest[:-1])  # row i + 1 holds the question of row i
    other_site = pc.and_(repeats, pc.not_equal(site[1:], site[:-1]))
    question = pc.cumulative_sum(pc.invert(repeats).cast(pa.int64()))  # which question rows 1, 2, ... hold
    groups = len(pc.unique(question.filter(repeats)))
    return groups, (pc.sum(repeats).as_py() or 0) + groups, len(pc.unique(question.filter(other_site)))


def _dicts(con: Any, sql: str) -> list[dict[str, Any]]:
    result = con.execute(sql)
    names = [column[0] for column in result.description]
    return [dict(zip(names, row, strict=True)) for row in result.fetchall()]


def _header(facts: _Facts) -> list[str]:
    languages = sorted({tag.split("-")[0].lower() for tag in facts.languages}) or ["en"]
    lines = ["---", f"pretty_name: {json.dumps(f'qacrawler health Q&A: {facts.root.resolve().name}')}",
             "license: other", "license_name: source-site-terms",
             "license_details: >-",
             "  No license is granted by qacrawler: questions and answers belong to their authors and the",
             "  sites that publish them. Check each source site's terms before redistributing.",
             *_yaml_list("language", languages),
             f"multilinguality: {'multilingual' if len(languages) > 1 else 'monolingual'}",
             *_yaml_list("size_categories", [size_category(facts.records)]),
             *_yaml_list("task_categories", ["question-answering", "text-generation"]),
             *_yaml_list("task_ids", ["open-domain-qa"]),
             *_yaml_list("annotations_creators", ["no-annotation"]),
             *_yaml_list("language_creators", ["found"]),
             *_yaml_list("source_datasets", ["original"]),
             *_yaml_list("tags", ["medical", "health", "doctor-patient", "parquet"]),
             *_features(qa_dataset.dataset_schema()),
             "configs:",
             "- config_name: default",
             "  default: true",
             "  data_files:",
             "  - split: train",
             f"    path: {json.dumps(f'{RECORDS}/**/*.parquet')}"]
    for site in facts.sites:
        lines += [f"- config_name: {json.dumps(site)}", "  data_files:", "  - split: train",
                  f"    path: {json.dumps(f'{RECORDS}/site={site}/**/*.parquet')}"]
    return [*lines, "---"]


def site_description(site_id: str) -> str:
    try:
        return get_site(site_id).description
    except UnknownSite:  # a dataset holding a site this installation does not know (its module is not loaded)
        return ""


def site_notes(site_id: str) -> tuple[str, ...]:
    try:
        return get_site(site_id).card_notes
    except UnknownSite:
        return ()


def _provenance(facts: _Facts) -> list[str]:
    rows = []
    for row in facts.per_site:
        runs = facts.runs_of(row["site"])
        started = sorted(str(run["started_at"])[:10] for run in runs if run.get("started_at"))
        bases = sorted({run.get("base_url") or "the site" for run in runs})
        where = ", ".join(f"{base} (local sandbox mirror)" if is_loopback(urlsplit(base).hostname or "") else base
                          for base in bases)
        robots = sum(1 for run in runs if run.get("stats", {}).get("robotstxt/request_count"))
        rows.append([f"`{row['site']}`", site_description(row["site"]), row["language"], where or "–", len(runs),
                     _span(started[0], started[-1]) if started else "–",
                     _span(str(row["first_crawl"])[:10], str(row["last_crawl"])[:10]),
                     f"{robots} of {len(runs)} runs", row["parsers"]])
    return [
        "## Provenance", "",
        "Crawled by [qacrawler](https://github.com/qacrawler/qacrawler), which obeys robots.txt, names itself and a "
        "contact in its User-Agent, throttles itself on real sites and never leaves a site's host. Every run leaves "
        "a manifest in `runs/<run_id>.json` (times, counts, stats, quality gates, files written).", "",
        _table(["site", "what", "language", "crawled from", "runs", "run dates", "pages fetched (crawled_at)",
                "robots.txt fetched and obeyed", "parser versions"], rows) if rows else "No records yet.", "",
    ]


def _counts(facts: _Facts) -> list[str]:
    rows = []
    for row in facts.per_site:
        rows.append([f"`{row['site']}`", row["records"], facts.stored_rows.get(row["site"], row["records"]),
                     f"{row['answered']} ({_percent(row['answered'], row['records'])})",
                     f"{row['with_specialty']} ({_percent(row['with_specialty'], row['records'])})",
                     _span(row["first_ask"], row["last_ask"])])
    if len(rows) > 1:
        answered = sum(row["answered"] for row in facts.per_site)
        with_specialty = sum(row["with_specialty"] for row in facts.per_site)
        first = min((row["first_ask"] for row in facts.per_site if row["first_ask"]), default=None)
        last = max((row["last_ask"] for row in facts.per_site if row["last_ask"]), default=None)
        rows.append(["**all**", facts.records, facts.rows_all, f"{answered} ({_percent(answered, facts.records)})",
                     f"{with_specialty} ({_percent(with_specialty, facts.records)})", _span(first, last)])
    coverage_rows = [[f"`{name}`", *(_percent(facts.coverage[site][1][i], facts.coverage[site][0])
                                     for site in facts.sites)]
                     for i, name in enumerate(facts.coverage_fields)]
    rejects = [[f"`{site}`", stage, count] for site, stage, count in facts.rejects]
    links_total, links_inside = facts.links
    return [
        "## Counts and coverage", "",
        "Records are questions (the newest version of each `record_id`); stored rows include earlier versions of "
        "pages that changed between crawls.", "",
        _table(["site", "records", "stored rows (all versions)", "answered", "with a specialty", "asked"], rows)
        if rows else "No records yet.", "",
        "Share of records that have each field that may be missing (lists: non-empty):", "",
        _table(["field", *(f"`{site}`" for site in facts.sites)], coverage_rows) if facts.sites else "", "",
        f"Similar Q&A links: {links_total}, of which {links_inside} ({_percent(links_inside, links_total)}) point at a "
        "question in this dataset; the others were not crawled (or no longer exist).", "",
        "Pages that could not become records are kept in `rejects/` with their URL, stage and reasons, never "
        "silently dropped:", "",
        _table(["site", "stage", "pages"], rejects) if rejects else "No rejects.", "",
    ]


def _duplicates_and_splits(facts: _Facts) -> list[str]:
    train, validation, test = qa_dataset.DEFAULT_RATIOS
    rows = [[f"`{site}`", *(facts.split_counts[site][name] for name in qa_dataset.SPLIT_NAMES)] for site in facts.sites]
    return [
        "## Duplicates and splits", "",
        "- A page is stored again only when its normalised title, question, answer or another reply changed "
        "(`content_hash`): the dataset never holds two rows with the same `record_id` and `content_hash`. "
        f"Records with more than one stored version: {facts.multi_version}. `qacrawler.dataset.latest()` and the "
        "DuckDB view `qa` give the newest one without rewriting files, and `qacrawler compact` rewrites the dataset "
        "to one row per record.",
        "- Splits are not stored in the files: `qacrawler.dataset.split()` and `qacrawler export` assign train / "
        f"validation / test ({train:.0%} / {validation:.0%} / {test:.0%}) from a hash of the question text after "
        "NFKC normalisation, case folding and collapsing whitespace and punctuation (masked placeholders such as "
        "`[PHONE]` kept). A re-crawl never moves a question (unless its text was edited), and copies of one "
        "question (on one site or across sites) always share a split, so duplicates cannot leak from train into test.",
        f"- Questions whose normalised text occurs more than once: {_count(facts.duplicate_groups, 'group')} holding "
        f"{_count(facts.duplicate_records, 'record')}, {facts.cross_site_groups} of the groups across sites.",
        "- The Hugging Face `configs` above load every stored row, all versions, as one split named `train`; use the "
        "`split` column from qacrawler for train/validation/test.", "",
        "Questions per split with the default ratios and seed:" if rows else "", "",
        _table(["site", *qa_dataset.SPLIT_NAMES], rows) if rows else "", "",
    ]


def _privacy(facts: _Facts) -> list[str]:
    kinds = list(dict.fromkeys(kind for kind, _ in PATTERNS))
    masked = ", ".join(f"`[{kind}]` {facts.stat_total(f'privacy/masked/{kind}')}" for kind in kinds)
    names = (f"Asker names were kept (`--keep-asker-names`): {facts.names_kept} records hold one."
             if facts.names_kept else
             f"Asker names are removed (`asker.name` is null; "
             f"{facts.stat_total('privacy/asker_name_removed')} removed) "
             f"and masked as `[NAME]` where the texts repeat them ({facts.stat_total('privacy/masked/NAME')} masked); "
             "a reply the asker wrote in their own thread loses its author name and URL "
             f"({facts.stat_total('privacy/answer_author_removed')} removed).")
    return [
        "## Privacy", "",
        "These pages hold health information that people wrote about themselves. Before a record is written, the "
        "privacy stage replaces e-mail addresses, phone numbers (Taiwanese mobile and landline, international "
        "`+…`), Taiwan national and resident ID numbers and messaging handles (`LINE ID: …`) in titles, questions, "
        "answers (every reply in `answers`), `more_info` and similar-question excerpts by `[EMAIL]`, `[PHONE]`, "
        "`[ID]` and `[CONTACT]`; dates, doses, ages and lab values stay as written. `content_hash` is computed from "
        "the masked text.", "",
        f"- Placeholders written in this dataset's runs: {masked}.",
        f"- {names}",
        "- Masking is pattern based: a contact detail written in an unusual form can slip through. Do not try to "
        "re-identify anyone; report a leak to the dataset's maintainers.",
        f"- {_archive_note(facts.root)}", "",
    ]


def _archive_note(root: Path) -> str:
    files = list((root / ARCHIVE).glob("site=*/*.warc.gz"))
    if not files:
        return "No raw pages are kept with this dataset (`archive/` is empty or absent)."
    size = sum(path.stat().st_size for path in files)
    return (f"`{ARCHIVE}/` holds the raw pages as fetched ({len(files)} WARC files, {size / 2**20:.1f} MiB), unmasked: "
            "asker names and contact details included. It is for provenance and re-parsing only: it is not part of "
            "the configs above, `qacrawler export` never reads it, and it must not be published or shared.")


LIMITATIONS = [
    "`more_info` is a supplementary article supplied by the site (machine written), not the answering doctor's "
    "words: do not train or evaluate on it as the answer.",
    "`answer` includes the doctor's greeting and sign-off as published; answers are short and general, not "
    "diagnoses, and are dated (see `reply_date`).",
    "`specialty` is null where the site's department is not in the shipped taxonomy; `department` keeps the "
    "site's own name.",
    "Files written by qacrawler 0.2.0 and earlier hold `site` and `ask_year` in their folder names only; readers of "
    "files alone (Hugging Face `datasets`) need them rewritten: `qacrawler compact` does it.",
    "`answers` and `kind` were added in 0.3.0: rows of files written before read them as null (readers that take "
    "one file's columns need the dataset's schema: see the qacrawler README). `qacrawler compact` rewrites such "
    "rows with `kind` `question` and their one reply in `answers`. Every row's `answer` is its main reply; a "
    "page with several replies (a forum thread) has them all in `answers`.",
]


def render_card(root: Path) -> str:
    facts = _Facts(root)
    intro = [
        f"# qacrawler health Q&A: {root.resolve().name}", "",
        "Questions that patients asked on public health Q&A sites and the replies doctors wrote, one row per "
        "question page, crawled and validated by qacrawler. "
        f"{_count(facts.records, 'question')} from {_count(len(facts.sites), 'site')} "
        f"({', '.join(facts.languages) or 'no language yet'}).", "",
        "## License", "",
        "No license is granted by qacrawler (`license: other`): the questions and answers belong to their authors "
        "and to the sites that publish them. Check each source site's terms of use before redistributing the text; "
        "the field dictionary, code and figures in this card are qacrawler's.", "",
        "## Loading", "",
        "```python",
        "from qacrawler import dataset",
        "table = dataset.latest(\".\")                     # pyarrow Table, newest version per record_id",
        "con = dataset.to_duckdb(\".\")                    # views qa (newest), qa_all (all versions), rejects",
        "pairs = dataset.split(\".\")                      # latest() plus a train/validation/test column",
        "",
        "import datasets                                  # Hugging Face: every stored row, the configs above",
        "ds = datasets.load_dataset(\".\")                 # both sites; or load_dataset(\".\", \"doctorqna\")",
        "```", "",
        "`qacrawler export . --format jsonl` writes question/answer pairs with their split for fine-tuning "
        "pipelines, `--format csv` a flat table for spreadsheets; `qacrawler report .` draws the figures.", "",
    ]
    fields = [
        "## Fields", "",
        "Generated from the record model (`qacrawler/page/records.py`), plus `ask_year` (the year of `ask_date`). "
        "`site` and `ask_year` are also the folder names `site=<site>/ask_year=<yyyy>` (Hive partitions).", "",
        field_table(), "",
    ]
    notes = [note for site in facts.sites for note in site_notes(site)]
    limitations = ["## Known limitations", "", *(f"- {line}" for line in [*notes, *LIMITATIONS]), ""]
    parts = [*_header(facts), "", *intro, *_provenance(facts), *fields, *_counts(facts), *_duplicates_and_splits(facts),
             *_privacy(facts), *limitations]
    return "\n".join(parts).rstrip() + "\n"


def write_dataset_card(root: str | Path) -> Path:
    """Writes <root>/README.md atomically (a reader never sees half a card), removes a DATASET.md an earlier
    version wrote, and returns the card's path."""
    root = Path(root)
    path = root / CARD_NAME
    temp = path.with_name(f".{CARD_NAME}.tmp")
    temp.write_text(render_card(root), encoding="utf-8")
    os.replace(temp, path)
    (root / OLD_CARD_NAME).unlink(missing_ok=True)
    return path
