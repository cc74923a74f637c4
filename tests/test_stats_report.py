"""The funders' report and the charts: the PDF opens, says the figures, renders, and draws the data."""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import lxml.etree
import pytest
from click.testing import CliRunner
from PIL import Image

from podcaster.actions.stats import audience_figures, charts_of, ingest_logs
from podcaster.cli.main import main
from podcaster.stats.charts import number
from podcaster.stats.figures import Audience
from podcaster.stats.report import ReportShow, report_html
from tests.statslog import first_day, make_events, make_show, write_log

NOW = datetime.now(UTC)
SVG = "{http://www.w3.org/2000/svg}"
needs_poppler = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")


@pytest.fixture(scope="module")
def counted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("report")
    root = base / "podcast"
    day = first_day(NOW)
    episodes = make_show(root, 5, day - timedelta(days=3))
    (root / "artwork").mkdir()
    Image.new("RGB", (600, 600), (31, 95, 139)).save(root / "artwork" / "show.png")
    toml = (root / "podcast.toml").read_text("utf-8")
    (root / "podcast.toml").write_text(toml.replace("[show]\n", '[show]\nartwork = "artwork/show.png"\n'))
    log = write_log(base / "access.log", make_events(episodes, day, listeners=1500), "combined")
    ingest_logs(root, [log], log_format="combined", now=NOW)
    return root


def _values(svg: str) -> list[list[float | None]]:
    """Each series' values as pygal wrote them: a dot's or bar's ``<desc class="value">``."""
    tree = lxml.etree.fromstring(svg.encode())
    series: dict[str, list[float | None]] = {}
    for group in tree.iter(f"{SVG}g"):
        name = group.get("class", "")
        if re.fullmatch(r"series serie-\d+ color-\d+", name) and name not in series:
            values = [
                float(desc.text.replace(",", ""))
                for desc in group.iter(f"{SVG}desc")
                if desc.get("class") == "value" and desc.text
            ]
            if values:
                series[name] = values
    return list(series.values())


def test_charts_draw_the_figures(counted: Path) -> None:
    figures = audience_figures(counted)
    charts = {chart.name: chart for chart in charts_of(figures, "fr")}
    assert list(charts) == ["days", "first_month", "apps", "devices", "countries"]
    days = charts["days"]
    downloads, releases = _values(days.svg)
    assert downloads == [float(figures.days.get(row[0], 0)) for row in days.rows]
    assert sum(downloads) == figures.total
    assert [row[0] for row in days.rows if row[2]] == sorted(
        {e.released for e in figures.episodes if e.released >= figures.start}
    )
    assert len(releases) == len([row for row in days.rows if row[2]])
    apps = charts["apps"]
    (bars,) = _values(apps.svg)
    assert list(reversed(bars)) == [float(count) for count in list(figures.apps.values())[:10]] + (
        [float(sum(list(figures.apps.values())[10:]))] if len(figures.apps) > 10 else []
    )
    assert [row[1] for row in apps.rows][:3] == [number(c) for c in list(figures.apps.values())[:3]]
    month = charts["first_month"]
    curves = _values(month.svg)
    assert len(curves) == len(figures.curves) > 0
    for values, (guid, daily) in zip(curves, figures.curves.items(), strict=True):
        known = [count for count in daily if count is not None]
        assert values[-1] == sum(known)  # cumulative
        episode = next(e for e in figures.episodes if e.guid == guid)
        assert values[min(6, len(values) - 1)] == (episode.first_7_days if len(values) >= 7 else sum(known))
    assert "<script" not in "".join(chart.svg for chart in charts.values())


def test_an_empty_period_still_draws() -> None:
    charts = charts_of(Audience("2023-01-01", "2023-12-31", 0), "en")
    assert charts[0].title == "Downloads per day"
    assert all(chart.svg.startswith("<svg") for chart in charts)


def test_report_html_is_self_contained(counted: Path) -> None:
    figures = audience_figures(counted)
    page = report_html(
        figures,
        ReportShow("Penser <le> test", "Profession Banlieue", counted / "artwork" / "show.png"),
        NOW.date(),
    )
    assert "Penser &lt;le&gt; test" in page
    assert 'src="data:image/png;base64,' in page
    assert not re.search(r'(src|href)="(?!data:)', page)
    assert "IAB" in page and "Méthode de comptage" in page


@needs_poppler
def test_pdf_report_opens_says_the_figures_and_renders(
    counted: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    figures = audience_figures(counted)
    output = tmp_path / "rapport.pdf"
    start, end = figures.start, figures.end
    result = CliRunner().invoke(
        main, ["--root", str(counted), "stats", "report", "--from", start, "--to", end, "-o", str(output)]
    )
    assert result.exit_code == 0, result.output
    assert output.read_bytes().startswith(b"%PDF-")
    assert [
        r.message for r in caplog.records if r.name.startswith("weasyprint") and r.levelname != "INFO"
    ] == []
    text = subprocess.run(
        ["pdftotext", "-layout", str(output), "-"], capture_output=True, text=True, check=True
    ).stdout
    flat = re.sub(r"[\s\u202f\u00a0]", "", text)
    assert "rapportd’audience" in flat.lower()
    assert "Penserletest" in flat
    assert number(figures.total).replace("\u202f", "") in flat
    for episode in figures.episodes:
        assert episode.title.replace(" ", "") in flat
        row = re.search(
            re.escape(episode.title)
            + r"\s+(\S+)\s+([\d\s\u202f]+?)\s{2,}([\d\u202f]+)\s+([\d\u202f]+)\s+([\d\u202f]+)",
            text,
        )
        assert row is not None, episode.title
        numbers = [int(re.sub(r"\D", "", value)) for value in row.groups()[1:]]
        assert numbers == [episode.downloads, episode.first_7_days, episode.first_30_days, episode.all_time]
    for app in list(figures.apps)[:3]:
        assert app.replace(" ", "") in flat
    assert "Méthodedecomptage" in flat
    pages = tmp_path / "page"
    subprocess.run(["pdftoppm", "-r", "40", "-png", str(output), str(pages)], check=True)
    images = sorted(tmp_path.glob("page-*.png"))
    assert len(images) >= 3
    # The cover shows the artwork (its blue), and the chart pages are not blank.
    cover = Image.open(images[0]).convert("RGB")
    assert (31, 95, 139) in {colour for _, colour in cover.getcolors(1 << 20) or []}
    for image in images[1:3]:
        colours = Image.open(image).convert("RGB").getcolors(1 << 20) or []
        assert len(colours) > 20
