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
    lines = [
        f"# Imported from {source} by 'podcaster import'.",
        "# Re-run the import to pick up new episodes; edit freely: edited files are never overwritten.",
        "",
        "[show]",
        f"title = {_toml(channel.title)}",
    ]
    if channel.subtitle:
        lines.append(f"subtitle = {_toml(_plain(channel.subtitle))}")
    lines += [
        f"description = {_toml(description)}",
        f"language = {_toml(language)}",
        f"author = {_toml(author)}",
    ]
    if channel.copyright:
        lines.append(f"copyright = {_toml(channel.copyright)}")
    if artwork:
        lines.append(f"artwork = {_toml(artwork)}")
    else:
        lines.append('# artwork = "artwork/cover.jpg"   # square JPEG or PNG, 1400 to 3000 px')
    lines.append(f"categories = {_toml_list(_apple_categories(channel.categories, warn))}")
    lines.append(f"explicit = {'true' if channel.explicit else 'false'}")
    lines.append(f"type = {_toml(channel.type if channel.type in ('episodic', 'serial') else 'episodic')}")
    if channel.keywords:
        lines.append(f"keywords = {_toml_list(list(channel.keywords))}")
    if channel.medium and channel.medium in MEDIUMS:
        lines.append(f"medium = {_toml(channel.medium)}")
    if channel.locked is not None:
        lines.append(f"locked = {'true' if channel.locked else 'false'}")
    guid = podcast_guid(channel, old_feed)
    if guid:
        lines.append(
            f"guid = {_toml(guid)}  # podcast:guid: the show's identity in Podcasting 2.0 apps, kept"
        )
    lines.append("")
    if channel.owner_email:
        lines += [
            "[show.owner]",
            f"name = {_toml(channel.owner_name or author)}",
            f"email = {_toml(channel.owner_email)}",
            "",
        ]
    else:
        warn("the feed gives no owner e-mail (itunes:owner): add [show.owner] name and email before building")
        lines += ["# [show.owner]", f"# name = {_toml(author)}", '# email = "podcast@example.org"', ""]
    if channel.location:
        lines += ["[show.location]", f"name = {_toml(channel.location.name)}"]
        lines += [
            f"{key} = {_toml(value)}" for key in ("geo", "osm") if (value := getattr(channel.location, key))
        ]
        lines.append("")
    for person in channel.persons:
        lines += ["[[show.persons]]", f"name = {_toml(person.name)}", f"role = {_toml(person.role)}"]
        lines.append(f"group = {_toml(person.group)}")
        lines += [f"{key} = {_toml(value)}" for key in ("href", "img") if (value := getattr(person, key))]
        lines.append("")
    for funding in channel.funding:
        lines += ["[[show.funding]]", f"url = {_toml(funding.url)}", f"text = {_toml(funding.text)}", ""]
    lines += ["[urls]", f"feed = {_toml(feed_url)}"]
    if old_feed and old_feed != feed_url:
        lines += [
            f"old_feed = {_toml(old_feed)}",
            "# Announce the move in the feed (<itunes:new-feed-url>) while the old address redirects here",
            "# with a 301; see the README, 'Moving a feed'.",
            "new_feed_url = true",
        ]
    lines += ["", "[storage]", 'url = "file://public"', ""]
    lines += [
        "# Tell WebSub hubs of each new feed on publish:",
        "# [websub]",
        '# hubs = ["https://pubsubhubbub.appspot.com/"]',
        "",
    ]
    for number in sorted(seasons):
        lines.append(season_table(number, seasons[number]))
    return ShowText(text="\n".join(lines).rstrip("\n") + "\n", warnings=tuple(warnings))


def season_table(number: int, name: str) -> str:
    return f"[[seasons]]\nnumber = {number}\nname = {_toml(name)}\n"


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


def _toml(value: str) -> str:
    # JSON strings are valid TOML basic strings, escapes included.
    return json.dumps(value, ensure_ascii=False)


def _toml_list(values: list[str]) -> str:
    return "[" + ", ".join(_toml(value) for value in values) + "]"
