"""`qacrawler report DIR`: one HTML page a person can open offline, mail or archive, plus its plots as PNGs.

The HTML embeds every plot as a base64 PNG and all of its CSS, so the single file is the report; the
PNGs beside it are for slides and READMEs. DuckDB computes the numbers, matplotlib (its object API,
no pyplot and no GUI backend) draws them. A plot with no data is replaced by a sentence, never drawn empty.
"""

from __future__ import annotations

import base64
import html
import io
import os
import warnings
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from matplotlib import font_manager, rc_context
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from qacrawler import dataset as qa_dataset
from qacrawler.dataset.card import coverage_fields
from qacrawler.dataset.files import run_manifests

REPORT_NAME = "report.html"
TOP_SPECIALTIES = 25
TOP_LATENCY = 20
TOP_REASONS = 15
SITE_COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2")
_CJK_FONTS = ("Noto Sans CJK TC", "Noto Sans CJK JP", "Noto Sans CJK SC", "WenQuanYi Zen Hei", "AR PL UMing TW")


@dataclass
class Plot:
    """One figure of the report: its file name, heading, caption and how many data points it shows."""

    name: str
    title: str
    caption: str
    points: int
    png: bytes = b""


def _fonts() -> list[str]:
    """DejaVu Sans, then a CJK font when one is installed, so Chinese labels are drawn where possible."""
    installed = {entry.name for entry in font_manager.fontManager.ttflist}
    return ["DejaVu Sans", *(name for name in _CJK_FONTS if name in installed)]


def _figure(height: float, width: float = 10.0) -> Figure:
    return Figure(figsize=(width, height), dpi=100, layout="constrained")


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        # A label in a script no installed font covers is drawn as boxes: worth a look, not a crash.
        warnings.filterwarnings("ignore", message=r"Glyph \d+ .* missing from font")
        warnings.filterwarnings("ignore", message=r"Matplotlib currently does not support")
        figure.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()


def _site_color(sites: list[str]) -> dict[str, str]:
    return {site: SITE_COLORS[i % len(SITE_COLORS)] for i, site in enumerate(sites)}


class _Report:
    def __init__(self, root: Path):
        self.root = root
        self.con = qa_dataset.to_duckdb(root)
        self.manifests = run_manifests(root)
        self.sites = [row[0] for row in self.rows("SELECT DISTINCT site FROM qa ORDER BY site")]
        self.colors = _site_color(self.sites)

    def rows(self, sql: str) -> list[tuple]:
        return self.con.execute(sql).fetchall()

    # --- plots ---------------------------------------------------------------------------------

    def rows_per_site_and_year(self) -> Plot:
        by_site = dict(self.rows("SELECT site, count(*) FROM qa GROUP BY site"))
        by_year = self.rows(
            "SELECT site, ask_year, count(*) FROM qa WHERE ask_year IS NOT NULL GROUP BY ALL ORDER BY ALL")
        plot = Plot("rows_by_site_year", "Questions per site and year",
                    "The newest version of each question, by site and by the year it was asked.",
                    len(by_site) + len(by_year))
        if not by_site:
            return plot
        figure = _figure(3.6)
        left, right = figure.subplots(1, 2, width_ratios=[1, 3])
        bars = left.bar(self.sites, [by_site[site] for site in self.sites], color=[self.colors[s] for s in self.sites])
        left.bar_label(bars)
        left.set_title("Questions per site")
        left.set_ylabel("questions (newest version)")
        years = sorted({year for _, year, _ in by_year})
        width = 0.8 / max(1, len(self.sites))
        for i, site in enumerate(self.sites):
            counts = {year: n for s, year, n in by_year if s == site}
            right.bar([year + (i - (len(self.sites) - 1) / 2) * width for year in years],
                      [counts.get(year, 0) for year in years], width=width, label=site, color=self.colors[site])
        right.set_title("Questions per year asked")
        right.set_xlabel("ask year")
        right.legend(frameon=False)
        plot.png = _png(figure)
        return plot

    def rows_per_specialty(self) -> Plot:
        counts = self.rows("SELECT coalesce(specialty, '(unknown)'), site, count(*) FROM qa GROUP BY ALL")
        totals: dict[str, int] = defaultdict(int)
        for specialty, _, n in counts:
            totals[specialty] += n
        top = sorted(totals, key=lambda name: (-totals[name], name))[:TOP_SPECIALTIES]
        shown = list(reversed(top))
        if not shown:
            return Plot("rows_by_specialty", "Questions per specialty", "", 0)
        figure = _figure(max(3.0, 0.28 * len(shown) + 1.2))
        axes = figure.subplots()
        left = [0] * len(shown)
        for site in self.sites:
            values = [next((n for s, site_, n in counts if s == name and site_ == site), 0) for name in shown]
            axes.barh(shown, values, left=left, label=site, color=self.colors[site])
            left = [a + b for a, b in zip(left, values, strict=True)]
        axes.set_xlabel("questions")
        axes.set_title(f"Questions per specialty (top {len(shown)} of {len(totals)})")
        axes.legend(frameon=False, loc="lower right")
        return Plot("rows_by_specialty", "Questions per specialty",
                    "Canonical specialty from the shipped taxonomy (both sites' department names map to one id); "
                    "(unknown) is a department the taxonomy does not know or a page without one.",
                    len(counts), _png(figure))

    def reply_latency(self) -> Plot:
        stats = self.rows(f"""
            SELECT specialty, count(*) AS n,
                   quantile_cont(reply_date - ask_date, [0.05, 0.25, 0.5, 0.75, 0.95]) AS q,
                   avg(reply_date - ask_date)
            FROM qa WHERE specialty IS NOT NULL AND reply_date IS NOT NULL AND ask_date IS NOT NULL
            GROUP BY specialty ORDER BY n DESC, specialty LIMIT {TOP_LATENCY}""")
        stats.sort(key=lambda row: (row[2][2], row[3], row[0]))
        if not stats:
            return Plot("reply_latency", "Reply latency per specialty", "", 0)
        figure = _figure(max(3.0, 0.3 * len(stats) + 1.2))
        axes = figure.subplots()
        boxes = [{"label": f"{name} ({n})", "whislo": q[0], "q1": q[1], "med": q[2], "q3": q[3], "whishi": q[4],
                  "mean": mean, "fliers": []} for name, n, q, mean in stats]
        axes.bxp(boxes, orientation="horizontal", showmeans=True, patch_artist=True,
                 boxprops={"facecolor": "#cfe2f3"}, meanprops={"marker": "D", "markerfacecolor": "#d62728",
                                                               "markeredgecolor": "#d62728", "markersize": 4})
        axes.set_xlabel("days from question to reply (box: quartiles, whiskers: 5th-95th percentile, ◆ mean)")
        axes.set_title(f"Reply latency per specialty (the {len(stats)} busiest)")
        return Plot("reply_latency", "Reply latency per specialty",
                    "Days between ask_date and reply_date of answered questions; "
                    "the number of questions is in brackets.",
                    len(stats), _png(figure))

    def asker(self) -> Plot:
        ages = self.rows("""
            WITH a AS (SELECT site, CASE
                WHEN asker.age_min IS NOT NULL AND asker.age_max IS NOT NULL THEN (asker.age_min + asker.age_max) / 2
                WHEN asker.age_min IS NOT NULL THEN asker.age_min
                WHEN asker.age_max IS NOT NULL THEN asker.age_max - 1 END AS age FROM qa)
            SELECT site, CAST(least(floor(age / 10), 8) AS INTEGER) AS decade, count(*)
            FROM a WHERE age IS NOT NULL GROUP BY ALL ORDER BY ALL""")
        genders = self.rows(
            "SELECT site, coalesce(asker.gender, 'not given'), count(*) FROM qa GROUP BY ALL ORDER BY ALL")
        if not genders:
            return Plot("asker", "Asker age and gender", "", 0)
        figure = _figure(3.6)
        left, right = figure.subplots(1, 2, width_ratios=[3, 2])
        decades = list(range(9))
        labels = [f"{d * 10}–{d * 10 + 9}" if d < 8 else "80+" for d in decades]
        width = 0.8 / max(1, len(self.sites))
        for i, site in enumerate(self.sites):
            counts = {decade: n for s, decade, n in ages if s == site}
            left.bar([d + (i - (len(self.sites) - 1) / 2) * width for d in decades],
                     [counts.get(d, 0) for d in decades], width=width, label=site, color=self.colors[site])
        left.set_xticks(decades, labels)
        left.set_xlabel("age (middle of the stated range)")
        left.set_ylabel("questions")
        left.set_title("Asker age")
        left.legend(frameon=False)
        kinds = ["female", "male", "not given"]
        for i, site in enumerate(self.sites):
            counts = {kind: n for s, kind, n in genders if s == site}
            right.bar([k + (i - (len(self.sites) - 1) / 2) * width for k in range(len(kinds))],
                      [counts.get(kind, 0) for kind in kinds], width=width, label=site, color=self.colors[site])
        right.set_xticks(range(len(kinds)), kinds)
        right.set_title("Asker gender")
        return Plot("asker", "Asker age and gender",
                    "Age as the asker stated it (a range is placed at its middle). doctorqna's gender is a translation "
                    "default (female on almost every page): compare genders on tw_ehospital only.",
                    len(ages) + len(genders), _png(figure))

    def coverage(self) -> Plot:
        fields = coverage_fields()
        selects = ", ".join(expression for _, expression in fields)
        rows = {row[0]: row[1:] for row in self.rows(f"SELECT site, count(*), {selects} FROM qa GROUP BY site")}
        if not rows:
            return Plot("coverage", "Field coverage", "", 0)
        matrix = [[rows[site][i + 1] / rows[site][0] if rows[site][0] else 0.0 for site in self.sites]
                  for i in range(len(fields))]
        figure = _figure(max(3.0, 0.3 * len(fields) + 1.4), width=2.2 + 1.6 * max(1, len(self.sites)))
        axes = figure.subplots()
        image = axes.imshow(matrix, cmap="YlGn", vmin=0, vmax=1, aspect="auto")
        axes.set_xticks(range(len(self.sites)), self.sites)
        axes.set_yticks(range(len(fields)), [name for name, _ in fields])
        for y, row in enumerate(matrix):
            for x, value in enumerate(row):
                axes.text(x, y, f"{value:.0%}", ha="center", va="center", fontsize=8,
                          color="white" if value > 0.6 else "black")
        figure.colorbar(image, ax=axes, format=lambda value, _: f"{value:.0%}", shrink=0.6)
        axes.set_title("Field coverage")
        return Plot("coverage", "Field coverage",
                    "Share of questions that have each field that may be missing (lists: non-empty), per site.",
                    len(fields) * len(self.sites), _png(figure))

    def rejects(self) -> Plot:
        reasons = self.rows(r"""
            WITH r AS (SELECT site, stage, unnest(reasons) AS reason FROM rejects)
            SELECT stage || ': ' || regexp_replace(regexp_replace(split_part(reason, '; ', 1),
                       ' \([0-9a-f ]+\)', '', 'g'), '\b[0-9]+\b', 'N', 'g') AS kind, site, count(*)
            FROM r GROUP BY ALL""")
        totals: dict[str, int] = defaultdict(int)
        for kind, _, n in reasons:
            totals[kind] += n
        shown = list(reversed(sorted(totals, key=lambda kind: (-totals[kind], kind))[:TOP_REASONS]))
        if not shown:
            return Plot("rejects", "Rejects by reason", "", 0)
        figure = _figure(max(2.6, 0.32 * len(shown) + 1.2))
        axes = figure.subplots()
        left = [0] * len(shown)
        for site in sorted({site for _, site, _ in reasons}):
            values = [sum(n for k, s, n in reasons if k == kind and s == site) for kind in shown]
            axes.barh([_shorten(kind) for kind in shown], values, left=left, label=site,
                      color=self.colors.get(site, SITE_COLORS[-1]))
            left = [a + b for a, b in zip(left, values, strict=True)]
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
        axes.set_xlabel("reasons given (a page may have several)")
        axes.set_title("Rejected pages by stage and reason")
        axes.legend(frameon=False, loc="lower right")
        return Plot("rejects", "Rejects by reason",
                    "Pages that did not become records, by the stage that refused them and why (numbers in reasons "
                    "replaced by N); every one is in rejects/ with its URL.", len(reasons), _png(figure))

    def run_history(self) -> Plot:
        runs = [m for m in self.manifests if m.get("started_at")]
        if not runs:
            return Plot("run_history", "Run history", "", 0)
        figure = _figure(3.6)
        axes = figure.subplots()
        spiders = sorted({m.get("spider", "?") for m in runs})
        colors = {spider: self.colors.get(spider, SITE_COLORS[i % len(SITE_COLORS)])
                  for i, spider in enumerate(spiders)}
        x = list(range(len(runs)))
        records = [m["counts"].get("records", 0) for m in runs]
        rejects = [m["counts"].get("rejects", 0) for m in runs]
        width = min(0.8, 0.15 * len(runs) + 0.2)
        axes.bar(x, records, width=width, color=[colors[m.get("spider", "?")] for m in runs])
        axes.bar(x, rejects, width=width, bottom=records, color="#d62728")
        axes.set_xlim(-0.6, len(runs) - 0.4)
        for i, manifest in enumerate(runs):
            if not manifest.get("gates_passed", True):
                axes.annotate("gate failed", (i, records[i] + rejects[i]), ha="center", va="bottom", color="#d62728",
                              fontsize=8)
        crowded = len(runs) > 6
        axes.set_xticks(x, [f"{str(m['started_at'])[:16].replace('T', ' ')}\n{m.get('spider', '?')}" for m in runs],
                        fontsize=7, rotation=30 if crowded else 0, ha="right" if crowded else "center")
        axes.set_ylabel("rows written by the run")
        axes.set_title("Run history")
        axes.legend(handles=[*(Patch(color=colors[s], label=f"records ({s})") for s in spiders),
                             Patch(color="#d62728", label="rejects")], frameon=False)
        return Plot("run_history", "Run history",
                    "Records and rejects each crawl wrote, oldest first (UTC start time); a run that failed a quality "
                    "gate is marked.", len(runs), _png(figure))

    # --- page ----------------------------------------------------------------------------------

    def summary(self) -> dict[str, Any]:
        (records, stored), = self.rows("SELECT (SELECT count(*) FROM qa), (SELECT count(*) FROM qa_all)")
        (rejects,), = self.rows("SELECT count(*) FROM rejects")
        finished = max((str(m.get("finished_at") or "") for m in self.manifests), default="")
        return {"records": records, "stored": stored, "rejects": rejects, "sites": len(self.sites),
                "runs": len(self.manifests), "as_of": finished[:19].replace("T", " ") + (" UTC" if finished else "")}

    def site_table(self) -> list[tuple]:
        return self.rows("""
            SELECT site, string_agg(DISTINCT language, ', '), count(*), count(answer), count(specialty),
                   min(ask_date), max(ask_date)
            FROM qa GROUP BY site ORDER BY site""")


def _shorten(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value))


_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif; margin: 0; color: #1b1b1b;
       background: #f6f7f9; }
main { max-width: 1100px; margin: 0 auto; padding: 24px 28px 48px; background: #fff; }
h1 { margin: 0 0 4px; font-size: 26px; }
.sub { color: #555; margin: 0 0 20px; }
.tiles { display: flex; gap: 12px; flex-wrap: wrap; margin: 0 0 24px; }
.tile { border: 1px solid #dde1e6; border-radius: 8px; padding: 10px 16px; min-width: 120px; }
.tile b { display: block; font-size: 22px; }
figure { margin: 28px 0; }
figure img { max-width: 100%; border: 1px solid #e4e7eb; border-radius: 6px; }
figcaption { color: #444; font-size: 14px; margin-top: 6px; }
table { border-collapse: collapse; font-size: 14px; margin: 8px 0 16px; }
th, td { border-bottom: 1px solid #e4e7eb; padding: 4px 10px; text-align: left; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
.warning { background: #fdecea; color: #8a1c1c; padding: 10px 14px; border-radius: 6px; display: none; }
.failed { color: #b3261e; font-weight: 600; }
"""

# Tells a reader (and the test's headless browser) when an embedded plot did not load.
_SCRIPT = """
window.addEventListener("load", function () {
  var images = Array.prototype.slice.call(document.images);
  var loaded = images.filter(function (img) { return img.complete && img.naturalWidth > 0; }).length;
  document.documentElement.setAttribute("data-images-loaded", loaded + "/" + images.length);
  if (loaded < images.length) {
    var box = document.getElementById("image-warning");
    box.textContent = (images.length - loaded) + " of " + images.length + " plots did not load.";
    box.style.display = "block";
  }
});
"""


def _render_html(report: _Report, plots: list[Plot], empty: list[Plot]) -> str:
    summary = report.summary()
    tiles = "".join(f'<div class="tile"><b>{_e(value)}</b>{_e(label)}</div>' for label, value in (
        ("questions", summary["records"]), ("stored rows (all versions)", summary["stored"]),
        ("sites", summary["sites"]), ("runs", summary["runs"]), ("rejected pages", summary["rejects"])))
    site_rows = "".join(
        f"<tr><td>{_e(site)}</td><td>{_e(language)}</td><td class=n>{n}</td><td class=n>{answered}</td>"
        f"<td class=n>{with_specialty}</td><td>{_e(first)} … {_e(last)}</td></tr>"
        for site, language, n, answered, with_specialty, first, last in report.site_table())
    figures = "".join(
        f'<figure id="{plot.name}" data-points="{plot.points}"><h2>{_e(plot.title)}</h2>'
        f'<img src="data:image/png;base64,{base64.b64encode(plot.png).decode()}" alt="{_e(plot.title)}" '
        f'data-file="{plot.name}.png"><figcaption>{_e(plot.caption)}</figcaption></figure>'
        for plot in plots)
    figures += "".join(f'<section id="{plot.name}"><h2>{_e(plot.title)}</h2><p>No data yet.</p></section>'
                       for plot in empty)
    run_rows = "".join(
        f"<tr><td>{_e(m.get('run_id'))}</td><td>{_e(m.get('spider'))}</td><td>{_e(str(m.get('started_at'))[:19])}</td>"
        f"<td class=n>{_e(m.get('elapsed_seconds'))}</td><td class=n>{m['counts'].get('pages', 0)}</td>"
        f"<td class=n>{m['counts'].get('records', 0)}</td><td class=n>{m['counts'].get('rejects', 0)}</td>"
        + ("<td>passed</td></tr>" if m.get("gates_passed", True) else
           f"<td class=failed>failed: {_e(', '.join(g['name'] for g in m.get('gates', []) if not g['passed']))}"
           "</td></tr>")
        for m in reversed(report.manifests[-30:]))
    name = report.root.resolve().name
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>qacrawler report: {_e(name)}</title><style>{_CSS}</style></head>
<body><main>
<h1>qacrawler report: {_e(name)}</h1>
<p class="sub">{_e(report.root.resolve())} · as of the last run, finished {_e(summary["as_of"] or "never")}</p>
<div id="image-warning" class="warning"></div>
<div class="tiles">{tiles}</div>
<h2>Sites</h2>
<table><tr><th>site</th><th>language</th><th>questions</th><th>answered</th><th>with a specialty</th><th>asked</th></tr>
{site_rows}</table>
{figures}
<h2>Runs (newest first)</h2>
<table><tr><th>run</th><th>site</th><th>started (UTC)</th><th>seconds</th><th>pages</th><th>records</th><th>rejects</th>
<th>gates</th></tr>{run_rows}</table>
<p class="sub">Written by <code>qacrawler report</code>. The field dictionary, provenance and privacy notes are in
README.md beside the data (its dataset card).</p>
</main><script>{_SCRIPT}</script></body></html>
"""


def build_report(root: str | Path, out_dir: str | Path | None = None) -> list[Path]:
    """Writes report.html (self-contained) and one PNG per plot into out_dir (default <root>/report);
    returns the paths written, the HTML first. Raises FileNotFoundError when root is not a dataset."""
    root = Path(root)
    out = Path(out_dir) if out_dir is not None else root / "report"
    report = _Report(root)
    builders: list[Callable[[], Plot]] = [report.rows_per_site_and_year, report.rows_per_specialty,
                                          report.reply_latency, report.asker, report.coverage, report.rejects,
                                          report.run_history]
    plots: list[Plot] = []
    empty: list[Plot] = []
    with rc_context({"font.family": _fonts(), "font.size": 9, "axes.spines.top": False, "axes.spines.right": False}):
        for build in builders:
            plot = build()
            (plots if plot.points else empty).append(plot)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for plot in plots:
        written.append(_write(out / f"{plot.name}.png", plot.png))
    page = _write(out / REPORT_NAME, _render_html(report, plots, empty).encode("utf-8"))
    return [page, *written]


def _write(path: Path, data: bytes) -> Path:
    temp = path.with_name(f".{path.name}.tmp")
    temp.write_bytes(data)
    os.replace(temp, path)
    return path
