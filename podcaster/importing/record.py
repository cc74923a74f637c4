"""What ``podcaster import`` writes besides the episodes: podcast.toml and the import record.

The record (``podcast.import.json``, committed beside podcast.lock) keeps the
hash of every file the import wrote. A later import compares it with the file
on disk: equal, the file is the import's own and may be refreshed; different,
someone edited it, and it is left alone unless ``--force``.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from podcaster.atomic import write_atomically
from podcaster.errors import CatalogueError, Problem, Severity
from podcaster.feed.rss import APPLE_CATEGORIES
from podcaster.folder.layout import PodcastFolder
from podcaster.folder.notes import plain_text
from podcaster.folder.showfile import MEDIUMS
from podcaster.folder.showwriter import ARTWORK_EXAMPLE, TomlValue, render_table, season_table, toml_line
from podcaster.importing.items import SourceChannel
from podcaster.models import PODCAST_GUID_NAMESPACE, Category

STATE_VERSION = 1


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass
class EpisodeRecord:
    """What the import last wrote for one GUID."""

    file: str  # relative to the podcast folder
    sha256: str
    enclosure: str  # the source's enclosure URL
    audio: str | None = None  # the local copy, once rehosted


@dataclass
class ImportState:
    path: Path
    source: str | None = None
    feed_url: str | None = None
    old_feed: str | None = None
    artwork: str | None = None
    artwork_source: str | None = None
    show: str | None = None  # sha256 of podcast.toml as the import wrote it
    episodes: dict[str, EpisodeRecord] = field(default_factory=dict)

    def to_json(self) -> str:
        document = {
            "version": STATE_VERSION,
            "source": self.source,
            "feed_url": self.feed_url,
            "old_feed": self.old_feed,
            "artwork": self.artwork,
            "artwork_source": self.artwork_source,
            "show": self.show,
            "episodes": {
                guid: {key: value for key, value in vars(record).items() if value is not None}
                for guid, record in sorted(self.episodes.items())
            },
        }
        return json.dumps(document, indent=2, ensure_ascii=False) + "\n"

    def save(self) -> None:
        write_atomically(self.path, self.to_json().encode("utf-8"))


def load_state(root: Path) -> ImportState:
    path = PodcastFolder(root).import_record
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return ImportState(path=path)
    except ValueError as error:
        raise CatalogueError(
            f"the import record is not valid JSON ({error}); restore it from git", path=path
        ) from None
    if not isinstance(raw, dict) or raw.get("version") != STATE_VERSION:
        raise CatalogueError(f"unsupported import record version; expected {STATE_VERSION}", path=path)
    try:
        episodes = {str(guid): EpisodeRecord(**record) for guid, record in raw.get("episodes", {}).items()}
    except TypeError as error:
        raise CatalogueError(
            f"the import record is damaged ({error}); restore it from git", path=path
        ) from None
    return ImportState(
        path=path,
        source=raw.get("source"),
        feed_url=raw.get("feed_url"),
        old_feed=raw.get("old_feed"),
        artwork=raw.get("artwork"),
        artwork_source=raw.get("artwork_source"),
        show=raw.get("show"),
        episodes=episodes,
    )


@dataclass(frozen=True)
class ShowText:
    text: str
    warnings: tuple[Problem, ...] = ()


def podcast_guid(channel: SourceChannel, old_feed: str | None) -> str | None:
    """The show's podcast:guid: the feed's own, else the one the namespace derives from its old URL."""
    if channel.podcast_guid:
        try:
            return str(uuid.UUID(channel.podcast_guid))
        except ValueError:
            pass
    if old_feed:
        return str(uuid.uuid5(PODCAST_GUID_NAMESPACE, old_feed.split("://", 1)[-1].rstrip("/")))
    return None


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
        "guid": podcast_guid(channel, old_feed) or None,
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
