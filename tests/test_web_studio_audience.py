"""``/studio/audience``: behind the sign-in, the charts of a period with their tables, and a period selector."""

from __future__ import annotations

import base64
import random
from collections import Counter
from datetime import timedelta
from pathlib import Path

import lxml.html
import pytest
from flask import Flask

from podcaster import load_catalogue
from podcaster.stats.store import open_store
from podcaster.studio import Role, add_user
from tests.fixtures.site import NOW
from tests.test_web_studio import HTTPS, PASSWORD, _app, _client, _sign_in


def add_downloads(root: Path, days: int = 120) -> None:
    """Daily aggregates for the folder's episodes, as an ingest would have left them."""
    catalogue = load_catalogue(root)
    rng = random.Random(5)
    episodes: Counter[tuple[str, str]] = Counter()
    apps: Counter[tuple[str, str]] = Counter()
    countries: Counter[tuple[str, str]] = Counter()
    last = NOW.date()
    for episode in catalogue.episodes:
        released = episode.date.date()
        for offset in range(days):
            day = released + timedelta(days=offset)
            if day > last:
                break
            count = max(0, int(200 / (offset + 1)) + rng.randint(0, 5))
            episodes[day.isoformat(), episode.guid] += count
            apps[day.isoformat(), rng.choice(["Apple Podcasts", "Spotify", "AntennaPod"])] += count
            countries[day.isoformat(), rng.choice(["FR", "BE"])] += count
    store = open_store(catalogue.folder.stats_db)
    with store.transaction():
        store.add("episode_days", episodes)
        store.add("app_days", apps)
        store.add("device_days", Counter({key: n for key, n in apps.items()}))
        store.add("country_days", countries)
    store.close()


@pytest.fixture
def app(site_root: Path) -> Flask:
    add_user(site_root, "arthur", Role.AUTHOR, PASSWORD)
    add_downloads(site_root)
    return _app(site_root)


def test_a_visitor_is_sent_to_sign_in(app: Flask) -> None:
    response = app.test_client().get("/studio/audience", base_url=HTTPS)
    assert response.status_code == 302 and "/studio/connexion" in response.headers["Location"]


def test_the_charts_and_their_tables_say_the_figures(app: Flask) -> None:
    from podcaster.actions.stats import audience_figures

    client = _client(app)
    assert _sign_in(client, "arthur") == 302
    response = client.get("/studio/audience?periode=all", base_url=HTTPS)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    html = lxml.html.fromstring(response.get_data(as_text=True))
    figures = audience_figures(app.config["ROOT"])
    assert f"{figures.total:,}".replace(",", "\u202f") in html.findtext(".//p[@role='status']")
    sections = html.xpath("//section[@class='chart']")
    assert [s.get("aria-labelledby") for s in sections] == [
        "chart-days",
        "chart-first_month",
        "chart-apps",
        "chart-devices",
        "chart-countries",
    ]
    for section in sections:
        image = section.find(".//img")
        assert image.get("alt") and image.get("src").startswith("data:image/svg+xml;base64,")
        svg = base64.b64decode(image.get("src").split(",", 1)[1]).decode()
        assert svg.startswith("<svg") and "<script" not in svg
        assert section.find(".//table/caption") is not None
    apps = {
        row.findtext("th"): int(row.findall("td")[0].text.replace("\u202f", ""))
        for row in html.xpath("//section[@aria-labelledby='chart-apps']//tbody/tr")
    }
    assert apps == figures.apps
    days = html.xpath("//section[@aria-labelledby='chart-days']//tbody/tr")
    assert sum(int(row.findall("td")[0].text.replace("\u202f", "")) for row in days) == figures.total
    rows = html.xpath("//section[@aria-labelledby='episodes-audience']//tbody/tr")
    assert [row.findtext("th") for row in rows] == [e.title for e in figures.episodes]


def test_the_period_selector(app: Flask) -> None:
    client = _client(app)
    _sign_in(client, "arthur")
    today = NOW.date()
    page = client.get("/studio/audience?periode=30", base_url=HTTPS).get_data(as_text=True)
    assert f'value="{(today - timedelta(days=29)).isoformat()}"' in page and 'aria-current="page"' in page
    chosen = client.get("/studio/audience?du=2023-02-01&au=2023-02-10", base_url=HTTPS).get_data(as_text=True)
    html = lxml.html.fromstring(chosen)
    days = [row.findtext("th") for row in html.xpath("//section[@aria-labelledby='chart-days']//tbody/tr")]
    assert days and all("2023-02-01" <= day <= "2023-02-10" for day in days)
    bad = client.get("/studio/audience?du=hier", base_url=HTTPS).get_data(as_text=True)
    assert "« hier » n’est pas une date" in bad
    assert "chart-days" in bad
