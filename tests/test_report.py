"""`qacrawler report`: one self-contained HTML page with non-empty plots that a real browser renders."""

from __future__ import annotations

import base64
import io
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image, ImageStat

from qacrawler.dataset import report
from tests.dataset_builds import demo_dataset

PLOTS = ("rows_by_site_year", "rows_by_specialty", "reply_latency", "asker", "coverage", "rejects", "run_history")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    demo = demo_dataset(tmp_path_factory)
    out = tmp_path_factory.mktemp("report")
    return demo, out, report.build_report(demo, out)


def ink(image: Image.Image) -> float:
    """Share of pixels that are not background white."""
    grey = image.convert("L")
    return sum(count for value, count in enumerate(grey.histogram()) if value < 235) / (grey.width * grey.height)


def test_the_report_is_one_html_page_and_a_png_per_plot(built):
    _, out, written = built
    assert written[0] == out / "report.html"
    assert sorted(path.name for path in written[1:]) == sorted(f"{name}.png" for name in PLOTS)
    assert sorted(path.name for path in out.iterdir()) == sorted(path.name for path in written)


def test_every_plot_is_embedded_decodes_and_shows_data(built):
    _, out, _ = built
    page = (out / "report.html").read_text("utf-8")
    figures = re.findall(r'<figure id="([a-z_]+)" data-points="(\d+)">.*?src="data:image/png;base64,([^"]+)"',
                         page, re.S)
    assert [name for name, _, _ in figures] == list(PLOTS)
    for name, points, encoded in figures:
        assert int(points) > 0, f"{name} was drawn without data"
        data = base64.b64decode(encoded)
        assert data == (out / f"{name}.png").read_bytes()
        image = Image.open(io.BytesIO(data))
        image.load()
        assert image.width >= 400 and image.height >= 200
        assert ink(image) > 0.02, f"{name} looks empty"


def test_the_page_needs_nothing_from_the_network(built):
    _, out, _ = built
    page = (out / "report.html").read_text("utf-8")
    assert not re.search(r'(src|href)="(https?:)?//', page)
    assert "<link" not in page and "<script src" not in page and "@import" not in page
    assert page.count("<img ") == len(PLOTS)


def test_the_report_reads_the_numbers_of_the_dataset(built):
    demo, out, _ = built
    from qacrawler import dataset

    con = dataset.to_duckdb(demo)
    (records,), = con.execute("SELECT count(*) FROM qa").fetchall()
    (rejects,), = con.execute("SELECT count(*) FROM rejects").fetchall()
    page = (out / "report.html").read_text("utf-8")
    assert f"<b>{records}</b>questions" in page
    assert f"<b>{rejects}</b>rejected pages" in page
    assert page.count("<td>passed</td>") == 3  # the demo's three runs


def test_a_dataset_without_records_gets_a_report_without_empty_plots(tmp_path):
    (tmp_path / "runs").mkdir()
    written = report.build_report(tmp_path)
    assert written == [tmp_path / "report" / "report.html"]
    page = written[0].read_text("utf-8")
    assert "<img" not in page and page.count("No data yet.") == len(PLOTS)


def chromium(*args: str, profile: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={profile}", *args],
        capture_output=True, text=True, timeout=120)


@pytest.mark.skipif(CHROMIUM is None and not os.environ.get("CI"), reason="Debian's chromium is not installed")
def test_chromium_renders_the_report_with_every_image_loaded(built, tmp_path):
    assert CHROMIUM, "chromium is missing: .ci/run installs it"
    _, out, _ = built
    url = (out / "report.html").as_uri()
    dom = chromium("--dump-dom", url, profile=tmp_path / "profile-dom")
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert f'data-images-loaded="{len(PLOTS)}/{len(PLOTS)}"' in dom.stdout
    screenshot = tmp_path / "report.png"
    shot = chromium(f"--screenshot={screenshot}", "--window-size=1280,4000", url, profile=tmp_path / "profile-shot")
    assert shot.returncode == 0, shot.stderr[-2000:]
    image = Image.open(screenshot).convert("RGB")
    assert image.size == (1280, 4000)
    assert max(ImageStat.Stat(image).stddev) > 20, "the screenshot is blank"
    assert ink(image) > 0.05
    # the first plot sits below the title and tiles: its bars are drawn in the site colours
    top = image.crop((0, 0, 1280, 1200))
    colours = top.getcolors(maxcolors=1 << 20)
    blue = (0x1F, 0x77, 0xB4)
    assert any(count > 2000 and all(abs(got - want) < 12 for got, want in zip(rgb, blue, strict=True))
               for count, rgb in colours), "no bars in the first plot"
