"""The show's side of an import: podcast.toml rendered from the feed's channel, and its cover.

podcast.toml is written whole while it is still the import's own (its hash is
in the import record); once edited by hand, an import only appends the
seasons it brings, and says how to announce a move instead of editing it.
"""

from __future__ import annotations

import tomllib
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from podcaster.errors import Problem, Severity, SourceError
from podcaster.feed.rss import APPLE_CATEGORIES
from podcaster.folder.layout import PodcastFolder
from podcaster.folder.notes import plain_text
from podcaster.folder.showfile import MEDIUMS
from podcaster.folder.tomlfile import (
    ARTWORK_EXAMPLE,
    TomlValue,
    append_tables,
    render_table,
    season_table,
    toml_line,
)
from podcaster.importing.items import SourceChannel, SourceFeed
from podcaster.importing.record import ImportState, sha256_text
from podcaster.importing.report import ImportReporter, ImportResult
from podcaster.importing.source import IMAGE_LIMIT, fetch
from podcaster.models import PODCAST_GUID_NAMESPACE, Category


def write_show(
    feed: SourceFeed,
    state: ImportState,
    root: Path,
    source: str,
    feed_url: str,
    seasons: dict[int, str | None],
    writes: dict[Path, bytes | None],
    result: ImportResult,
    reporter: ImportReporter,
    allow_private: bool,
) -> None:
    """Write podcast.toml when new or still the import's own; else only declare the new seasons."""
    path = PodcastFolder(root).show_file
    current = path.read_text(encoding="utf-8") if path.exists() else None
    language = (feed.channel.language or "fr").lower()
    names = {
        number: name or (f"Saison {number}" if language.startswith("fr") else f"Season {number}")
        for number, name in seasons.items()
    }
    if current is not None and (state.show is None or sha256_text(current) != state.show):
        declared = _declared_seasons(current)
        missing = sorted(set(names) - declared)
        if missing:
            text = append_tables(current, [season_table(n, names[n]) for n in missing])
            writes[path] = text.encode("utf-8")
            result.seasons_added = missing
        result.show_status = "kept"
        old_feed = _old_feed(source, feed)
        if state.source is None and old_feed and old_feed != feed_url:
            # A catalogue made by hand, first import: say how to announce the move, never edit it.
            result.warnings.append(
                Problem(
                    path,
                    f"podcast.toml was not written by an import: left as it is. To move subscribers here, "
                    f'add old_feed = "{old_feed}" and new_feed_url = true under [urls], and keep the '
                    "guid of the show: guid = "
                    f'"{podcast_guid(feed.channel, old_feed)}" under [show] (see the README, "Moving the feed")',
                    None,
                    Severity.WARNING,
                )
            )
        if state.show is not None:
            result.skipped.append(
                Problem(
                    path,
                    "edited since the last import: the show's fields were left as they are",
                    None,
                    Severity.WARNING,
                )
            )
        return
    if current is not None:
        names = {**{n: f"Saison {n}" for n in _declared_seasons(current)}, **names}
    old_feed = state.old_feed if current is not None else _old_feed(source, feed)
    artwork = _artwork(feed, state, root, writes, result, reporter, allow_private)
    rendered = render_show(
        feed.channel,
        source=source,
        feed_url=feed_url,
        old_feed=old_feed,
        artwork=artwork,
        seasons=names,
        where=path,
    )
    result.warnings.extend(rendered.warnings)
    state.feed_url, state.old_feed, state.show = feed_url, old_feed, sha256_text(rendered.text)
    if current is None:
        result.show_status = "created"
        result.seasons_added = sorted(names)
    elif current != rendered.text:
        result.show_status = "updated"
        result.seasons_added = sorted(set(names) - _declared_seasons(current))
    if current != rendered.text:
        writes[path] = rendered.text.encode("utf-8")


def _old_feed(source: str, feed: SourceFeed) -> str | None:
    """The address subscribers know: the URL given, else the one the feed says it lives at."""
    if source.startswith(("http://", "https://")):
        return source
    self_url = feed.channel.self_url
    return self_url if self_url and self_url.startswith(("http://", "https://")) else None


def _declared_seasons(toml_text: str) -> set[int]:
    try:
        data = tomllib.loads(toml_text)
    except tomllib.TOMLDecodeError:
        return set()
    seasons = data.get("seasons", [])
    return {s["number"] for s in seasons if isinstance(s, dict) and isinstance(s.get("number"), int)}


def _artwork(
    feed: SourceFeed,
    state: ImportState,
    root: Path,
    writes: dict[Path, bytes | None],
    result: ImportResult,
    reporter: ImportReporter,
    allow_private: bool,
) -> str | None:
    """The show's cover, downloaded once: podcast.toml names a local file."""
    url = feed.channel.image
    if state.artwork and state.artwork_source == url and (root / state.artwork).is_file():
        return state.artwork
    if not url:
        return state.artwork if state.artwork and (root / state.artwork).is_file() else None
    reporter.message(f"downloading the cover {url}")
    try:
        data = fetch(url, limit=IMAGE_LIMIT, allow_private=allow_private).data
    except SourceError as error:
        result.warnings.append(
            Problem(
                PodcastFolder(root).show_file,
                f"the cover could not be downloaded ({error.problems[0].message})",
                None,
                Severity.WARNING,
            )
        )
        return state.artwork
    suffix = ".jpg" if data.startswith(b"\xff\xd8") else ".png" if data.startswith(b"\x89PNG") else None
    if suffix is None:
        result.warnings.append(
            Problem(
                PodcastFolder(root).show_file,
                f"the cover {url} is neither JPEG nor PNG: convert it, then set [show] artwork",
                None,
                Severity.WARNING,
            )
        )
        return state.artwork
    cover = PodcastFolder(root).artwork_dir / f"cover{suffix}"
    name = PodcastFolder(root).relative(cover)
    writes[cover] = data
    state.artwork, state.artwork_source = name, url
    return name


@dataclass(frozen=True)
class ShowText:
    text: str
    warnings: tuple[Problem, ...] = ()


def podcast_guid(
    channel: SourceChannel, old_feed: str | None, warn: Callable[[str], None] | None = None
) -> str | None:
    """The show's podcast:guid: the feed's own, else the one the namespace derives from its old URL.

    *warn* hears whenever the feed's own is not kept exactly as written, and why.
    """
    given = channel.podcast_guid
    if given:
        try:
            kept = str(uuid.UUID(given))
        except ValueError:
            kept = None
        if kept is not None:
            if kept != given and warn:
                warn(
                    f"the feed's podcast:guid {given!r} is written {kept!r}, the same UUID as the namespace spells it"
                )
            return kept
    derived = (
        str(uuid.uuid5(PODCAST_GUID_NAMESPACE, old_feed.split("://", 1)[-1].rstrip("/")))
        if old_feed
        else None
    )
    if given and warn:
        instead = (
            f"guid = {derived!r} is written instead, the one the namespace derives from the old feed's URL"
            if derived
            else "no guid is written"
        )
        warn(
            f"the feed's podcast:guid {given[:200]!r} is not a UUID, which podcast.toml and the podcast "
            f"namespace require: {instead}. Apps that knew the show by {given[:200]!r} will see a new "
            "identity; a directory (the Podcast Index) can be told of the move"
        )
    return derived


def render_show(
    channel: SourceChannel,
    *,
    source: str,
    feed_url: str,
    old_feed: str | None,
    artwork: str | None,
    seasons: dict[int, str],
    where: Path,
) -> ShowText:
    """podcast.toml for an imported show, with a comment wherever a value had to be guessed."""
    warnings: list[Problem] = []

    def warn(message: str) -> None:
        warnings.append(Problem(where, message, None, Severity.WARNING))

    language = (channel.language or "").strip()
    if not language:
        warn("the feed gives no <language>: 'fr' written; fix [show] language if needed")
        language = "fr"
    description = _plain(channel.description) or channel.title
    author = channel.author or channel.owner_name or channel.title
    show: dict[str, TomlValue | None] = {
        "title": channel.title,
        "subtitle": _plain(channel.subtitle) if channel.subtitle else None,
        "description": description,
        "language": language,
        "author": author,
        "copyright": channel.copyright or None,
        "artwork": artwork or None,
        "categories": _apple_categories(channel.categories, warn),
        "explicit": bool(channel.explicit),
        "type": channel.type if channel.type in ("episodic", "serial") else "episodic",
        "keywords": list(channel.keywords) or None,
        "medium": channel.medium if channel.medium in MEDIUMS else None,
        "locked": channel.locked,
        "guid": podcast_guid(channel, old_feed, warn) or None,
    }
    tables = [
        f"# Imported from {source} by 'podcaster import'.\n"
        "# Re-run the import to pick up new episodes; edit freely: edited files are never overwritten.\n",
        render_table(
            "show",
            show,
            comments={"guid": "podcast:guid: the show's identity in Podcasting 2.0 apps, kept"},
            examples={"artwork": ARTWORK_EXAMPLE},
        ),
    ]
    if channel.owner_email:
        owner = {"name": channel.owner_name or author, "email": channel.owner_email}
        tables.append(render_table("show.owner", owner))
    else:
        warn("the feed gives no owner e-mail (itunes:owner): add [show.owner] name and email before building")
        example = {"name": author, "email": "podcast@example.org"}
        tables.append(render_table("show.owner", example, commented=True))
    if channel.location:
        tables.append(render_table("show.location", _given(vars(channel.location))))
    tables += [render_table("show.persons", _given(vars(person)), array=True) for person in channel.persons]
    tables += [render_table("show.funding", vars(funding), array=True) for funding in channel.funding]
    urls = render_table("urls", {"feed": feed_url})
    if old_feed and old_feed != feed_url:
        urls += (
            toml_line("old_feed", old_feed)
            + "\n# Announce the move in the feed (<itunes:new-feed-url>) while the old address redirects here"
            + "\n# with a 301; see the README, 'Moving a feed'.\n"
            + toml_line("new_feed_url", True)
            + "\n"
        )
    hubs = render_table("websub", {"hubs": ["https://pubsubhubbub.appspot.com/"]}, commented=True)
    tables += [
        urls,
        render_table("storage", {"url": "file://public"}),
        "# Tell WebSub hubs of each new feed on publish:\n" + hubs,
        *(season_table(number, seasons[number]) for number in sorted(seasons)),
    ]
    return ShowText(text="\n".join(tables).rstrip("\n") + "\n", warnings=tuple(warnings))


def _given(fields: dict[str, str | None]) -> dict[str, TomlValue | None]:
    """The fields that hold something: an empty href is no href."""
    return {key: value or None for key, value in fields.items()}


def _apple_categories(categories: tuple[Category, ...], warn: Any) -> list[str]:
    kept = []
    for category in categories:
        subcategories = APPLE_CATEGORIES.get(category.name)
        if subcategories is None:
            warn(f"category {category.name!r} is not in Apple's list: left out")
            continue
        if category.subcategory and category.subcategory not in subcategories:
            warn(
                f"subcategory {category.subcategory!r} of {category.name!r} is not in Apple's list: left out"
            )
            kept.append(category.name)
            continue
        kept.append(f"{category.name} > {category.subcategory}" if category.subcategory else category.name)
    return list(dict.fromkeys(kept))


def _plain(html: str) -> str:
    """Channel descriptions often hold HTML; podcast.toml keeps text, paragraphs as blank lines."""
    if "<" not in html:
        return html.strip()
    paragraphs = [plain_text(part) for part in html.replace("<br", "</p><br").split("</p>")]
    return "\n\n".join(paragraph for paragraph in paragraphs if paragraph)
