"""Load and validate ``podcast.toml``: the show, its public URLs, storage and seasons."""

from __future__ import annotations

import uuid
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from podcaster.errors import ConfigError, Problem, did_you_mean, raise_if_errors
from podcaster.folder.layout import PodcastFolder
from podcaster.folder.tomlfile import TomlDocument, read_toml
from podcaster.models import (
    Category,
    Funding,
    Location,
    Owner,
    Person,
    Season,
    Show,
    ShowType,
    Urls,
    is_web_url,
    location_from_mapping,
    person_from_mapping,
)

_TOP_KEYS = {"show", "urls", "storage", "seasons", "links", "website", "websub", "stats"}
_SHOW_KEYS = {
    "title", "subtitle", "description", "language", "author", "owner", "artwork", "categories",
    "explicit", "type", "copyright", "location", "funding", "persons", "keywords", "medium", "locked",
    "guid",
}  # fmt: skip
_URL_KEYS = {"feed", "media", "site", "old_feed", "new_feed_url"}
_WEBSUB_KEYS = {"hubs"}
_STORAGE_KEYS = {"url"}
_SEASON_KEYS = {"number", "name", "description", "artwork"}
_FUNDING_KEYS = {"url", "text"}
_OWNER_KEYS = {"name", "email"}
_LINK_KEYS = {
    "apple",
    "spotify",
    "antennapod",
    "podcastindex",
    "pocketcasts",
    "overcast",
    "deezer",
    "youtube",
    "youtubemusic",
    "amazon",
    "podcastaddict",
}
_WEBSITE_KEYS = {"allowed_origins", "frame_ancestors", "contact"}
_STATS_KEYS = {"geo_db", "retention_months", "prefix", "store"}
MEDIUMS = {"podcast", "music", "video", "film", "audiobook", "newsletter", "blog"}


class _Reader:
    """Pull typed values out of the parsed TOML, collecting every problem with its line."""

    def __init__(self, document: TomlDocument) -> None:
        self.document = document
        self.problems: list[Problem] = []

    def problem(self, message: str, table: str, key: str | None = None, occurrence: int = 0) -> None:
        line = self.document.line_of(table, key, occurrence)
        self.problems.append(Problem(self.document.path, message, line))

    def table(self, parent: dict[str, Any], key: str, where: str, required: bool = False) -> dict[str, Any]:
        value = parent.get(key)
        if value is None:
            if required:
                self.problem(f"missing [{_join(where, key)}] table", where or "", None)
            return {}
        if not isinstance(value, dict):
            self.problem(f"'{key}' must be a table", where, key)
            return {}
        return value

    def unknown(self, values: dict[str, Any], allowed: set[str], table: str, occurrence: int = 0) -> None:
        for key in values:
            if key not in allowed:
                suggestion = did_you_mean(key, allowed, cutoff=0.75)
                self.problem(
                    f"unknown key '{key}' in [{table or 'top level'}]{suggestion}", table, key, occurrence
                )

    def text(
        self, values: dict[str, Any], key: str, table: str, *, required: bool = False, occurrence: int = 0
    ) -> str | None:
        value = values.get(key)
        if value is None:
            if required:
                where = self.document.line_of(table, None, occurrence)
                self.problems.append(Problem(self.document.path, f"[{table}] needs '{key}'", where))
            return None
        if not isinstance(value, str):
            self.problem(f"'{key}' must be text", table, key, occurrence)
            return None
        value = value.strip()
        if required and not value:
            self.problem(f"'{key}' must not be empty", table, key, occurrence)
            return None
        return value

    def boolean(self, values: dict[str, Any], key: str, table: str, default: bool) -> bool:
        value = values.get(key, default)
        if not isinstance(value, bool):
            self.problem(f"'{key}' must be true or false", table, key)
            return default
        return value

    def url(
        self, values: dict[str, Any], key: str, table: str, *, required: bool = False, occurrence: int = 0
    ) -> str | None:
        value = self.text(values, key, table, required=required, occurrence=occurrence)
        if value is None:
            return None
        try:
            parts = urlsplit(value)
            _port = parts.port
        except ValueError as error:
            self.problem(f"'{key}' is not a valid URL: {value!r} ({error})", table, key, occurrence)
            return None
        if not is_web_url(value):
            self.problem(f"'{key}' must be an absolute http(s) URL, not {value!r}", table, key, occurrence)
            return None
        return value

    def array_of_tables(self, values: dict[str, Any], key: str, table: str) -> list[dict[str, Any]]:
        value = values.get(key, [])
        if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
            self.problem(f"'{key}' must be written as [[{_join(table, key)}]] tables", table, key)
            return []
        return value


def load_show(root: Path) -> Show:
    """Read ``podcast.toml`` in *root*; raise ConfigError listing every problem."""
    document = read_toml(PodcastFolder(root).show_file)
    reader = _Reader(document)
    data = document.data
    reader.unknown(data, _TOP_KEYS, "")

    show = reader.table(data, "show", "", required=True)
    reader.unknown(show, _SHOW_KEYS, "show")
    title = reader.text(show, "title", "show", required=True)
    description = reader.text(show, "description", "show", required=True)
    language = reader.text(show, "language", "show") or "fr"
    author = reader.text(show, "author", "show", required=True)

    owner_table = reader.table(show, "owner", "show")
    reader.unknown(owner_table, _OWNER_KEYS, "show.owner")
    owner_name = reader.text(owner_table, "name", "show.owner", required=bool(owner_table))
    owner_email = reader.text(owner_table, "email", "show.owner", required=bool(owner_table))
    if owner_email and "@" not in owner_email:
        reader.problem(
            f"'email' does not look like an e-mail address: {owner_email!r}", "show.owner", "email"
        )

    urls_table = reader.table(data, "urls", "", required=True)
    reader.unknown(urls_table, _URL_KEYS, "urls")
    feed = reader.url(urls_table, "feed", "urls", required=True)
    media = reader.url(urls_table, "media", "urls")
    site = reader.url(urls_table, "site", "urls")
    old_feed = reader.url(urls_table, "old_feed", "urls")
    new_feed = _new_feed_url(reader, urls_table, feed)

    storage_table = reader.table(data, "storage", "")
    reader.unknown(storage_table, _STORAGE_KEYS, "storage")
    storage = reader.text(storage_table, "url", "storage") or "file://public"

    show_type = _choice(reader, show, "type", "show", ShowType, ShowType.EPISODIC)
    medium = reader.text(show, "medium", "show") or "podcast"
    if medium not in MEDIUMS:
        reader.problem(f"'medium' must be one of {', '.join(sorted(MEDIUMS))}", "show", "medium")

    artwork = _artwork(reader, show, "show", root)
    categories = _categories(reader, show)
    location = _location(reader, show.get("location"), "show.location")
    funding = _funding(reader, reader.array_of_tables(show, "funding", "show"))
    persons = _persons(reader, reader.array_of_tables(show, "persons", "show"), "show.persons")
    keywords = show.get("keywords", [])
    if not isinstance(keywords, list) or not all(isinstance(word, str) for word in keywords):
        reader.problem("'keywords' must be a list of words", "show", "keywords")
        keywords = []

    seasons = _seasons(reader, data.get("seasons", []), root)
    links = reader.table(data, "links", "")
    reader.unknown(links, _LINK_KEYS, "links")
    for key in list(links):
        if key in _LINK_KEYS and reader.url(links, key, "links") is None:
            links.pop(key)
    website = reader.table(data, "website", "")
    reader.unknown(website, _WEBSITE_KEYS, "website")
    stats = reader.table(data, "stats", "")
    reader.unknown(stats, _STATS_KEYS, "stats")
    if "prefix" in stats:
        stats["prefix"] = reader.boolean(stats, "prefix", "stats", False)
    if "store" in stats and not (isinstance(stats["store"], str) and "://" in stats["store"]):
        reader.problem(
            "'store' must be a URL such as clickhouse://user@host:8123/podcaster", "stats", "store"
        )
    hubs = _hubs(reader, reader.table(data, "websub", ""))
    podcast_guid = _podcast_guid(reader, show)

    raise_if_errors(reader.problems, ConfigError)
    assert title and description and author and feed  # guaranteed by the checks above
    return Show(
        title=title,
        subtitle=reader.text(show, "subtitle", "show"),
        description=description,
        language=language,
        author=author,
        owner=Owner(name=owner_name or author, email=owner_email or ""),
        urls=replace(Urls.from_feed(feed, media, site), old_feed=old_feed, new_feed=new_feed),
        artwork=artwork,
        categories=categories,
        explicit=reader.boolean(show, "explicit", "show", False),
        type=show_type,
        copyright=reader.text(show, "copyright", "show"),
        location=location,
        funding=funding,
        persons=persons,
        seasons=seasons,
        keywords=tuple(keywords),
        medium=medium,
        locked=reader.boolean(show, "locked", "show", True),
        storage=storage,
        links={key: str(value) for key, value in links.items()},
        website=dict(website),
        stats=dict(stats),
        root=root,
        guid=podcast_guid,
        hubs=hubs,
    )


def _new_feed_url(reader: _Reader, urls: dict[str, Any], feed: str | None) -> str | None:
    """``new_feed_url = true`` announces this feed's own URL (after a 301 from the old host); a URL announces a move away."""
    raw = urls.get("new_feed_url")
    if raw is None or raw is False:
        return None
    if raw is True:
        return feed
    if not isinstance(raw, str):
        reader.problem(
            "'new_feed_url' must be true, false or an absolute http(s) URL", "urls", "new_feed_url"
        )
        return None
    return reader.url(urls, "new_feed_url", "urls")


def _hubs(reader: _Reader, websub: dict[str, Any]) -> tuple[str, ...]:
    reader.unknown(websub, _WEBSUB_KEYS, "websub")
    raw = websub.get("hubs", [])
    if not isinstance(raw, list) or not all(isinstance(hub, str) for hub in raw):
        reader.problem(
            "'hubs' must be a list of URLs like [\"https://pubsubhubbub.appspot.com/\"]", "websub", "hubs"
        )
        return ()
    hubs = []
    for hub in raw:
        try:
            parts = urlsplit(hub.strip())
            _port = parts.port  # raises on a port that is not a number
            valid = is_web_url(hub.strip())
        except ValueError:
            valid = False
        if not valid:
            reader.problem(f"hub {hub!r} must be an absolute http(s) URL", "websub", "hubs")
        else:
            hubs.append(hub.strip())
    return tuple(hubs)


def _podcast_guid(reader: _Reader, show: dict[str, Any]) -> str | None:
    text = reader.text(show, "guid", "show")
    if not text:
        return None
    try:
        return str(uuid.UUID(text))
    except ValueError:
        reader.problem(
            f"'guid' must be a UUID (the podcast:guid the show already has), not {text!r}", "show", "guid"
        )
        return None


def _choice(reader: _Reader, values: dict[str, Any], key: str, table: str, enum: Any, default: Any) -> Any:
    raw = values.get(key)
    if raw is None:
        return default
    try:
        return enum(raw)
    except ValueError:
        allowed = ", ".join(member.value for member in enum)
        reader.problem(f"'{key}' must be one of {allowed}, not {raw!r}", table, key)
        return default


def _artwork(
    reader: _Reader, values: dict[str, Any], table: str, root: Path, occurrence: int = 0
) -> Path | None:
    name = reader.text(values, "artwork", table, occurrence=occurrence)
    if not name:
        return None
    path = (root / name).resolve()
    if not path.is_relative_to(root.resolve()):
        reader.problem(f"artwork must be inside the podcast folder: {name!r}", table, "artwork", occurrence)
        return None
    if not path.is_file():
        reader.problem(f"artwork file not found: {name}", table, "artwork", occurrence)
        return None
    return path


def _categories(reader: _Reader, show: dict[str, Any]) -> tuple[Category, ...]:
    raw = show.get("categories", [])
    if not isinstance(raw, list) or not all(isinstance(item, str) for item in raw):
        reader.problem(
            "'categories' must be a list like [\"Society & Culture > Documentary\"]", "show", "categories"
        )
        return ()
    categories = []
    for item in raw:
        name, _, sub = (part.strip() for part in item.partition(">"))
        categories.append(Category(name=name, subcategory=sub or None))
    return tuple(categories)


def _location(reader: _Reader, raw: Any, table: str) -> Location | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        reader.problem("'location' must be a table with name, geo, osm", table.rpartition(".")[0], "location")
        return None
    return location_from_mapping(
        raw, lambda message, key: reader.problem(message, table, key), where=f"[{table}]"
    )


def _funding(reader: _Reader, items: list[dict[str, Any]]) -> tuple[Funding, ...]:
    funding = []
    for index, item in enumerate(items):
        reader.unknown(item, _FUNDING_KEYS, "show.funding", index)
        url = reader.url(item, "url", "show.funding", required=True, occurrence=index)
        text = reader.text(item, "text", "show.funding", required=True, occurrence=index)
        if url and text:
            funding.append(Funding(url=url, text=text))
    return tuple(funding)


def _persons(reader: _Reader, items: list[dict[str, Any]], table: str) -> tuple[Person, ...]:
    persons = []
    for index, item in enumerate(items):

        def report(message: str, key: str | None, index: int = index) -> None:
            reader.problem(message, table, key, index)

        person = person_from_mapping(item, report, where=f"[{table}]")
        if person is not None:
            persons.append(person)
    return tuple(persons)


def _seasons(reader: _Reader, raw: Any, root: Path) -> tuple[Season, ...]:
    if not isinstance(raw, list) or not all(isinstance(item, dict) for item in raw):
        reader.problem("seasons must be written as [[seasons]] tables", "", "seasons")
        return ()
    seasons: dict[int, Season] = {}
    for index, item in enumerate(raw):
        reader.unknown(item, _SEASON_KEYS, "seasons", index)
        number = item.get("number")
        if not isinstance(number, int) or isinstance(number, bool) or number < 1:
            reader.problem("season 'number' must be a whole number from 1", "seasons", "number", index)
            continue
        if number in seasons:
            reader.problem(f"season {number} is declared twice", "seasons", "number", index)
            continue
        name = reader.text(item, "name", "seasons", required=True, occurrence=index)
        seasons[number] = Season(
            number=number,
            name=name or f"Saison {number}",
            description=reader.text(item, "description", "seasons", occurrence=index) or "",
            artwork=_artwork(reader, item, "seasons", root, index),
        )
    return tuple(sorted(seasons.values(), key=lambda season: season.number))


def _join(table: str, key: str) -> str:
    return f"{table}.{key}" if table else key
