"""``podcaster init``: a new podcast folder with a coherent podcast.toml."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from podcaster.errors import ConfigError
from podcaster.folder.layout import PodcastFolder
from podcaster.folder.tomlfile import ARTWORK_EXAMPLE, TomlValue, render_table, season_table

_GITIGNORE = "/public/\n/audio/\n/site/\n/.podcaster/\n"


def init_podcast(
    folder: Path,
    *,
    title: str,
    author: str,
    feed_url: str,
    language: str = "fr",
    email: str | None = None,
    description: str | None = None,
) -> Path:
    """Create podcast.toml, episodes/saison-1/ and feeds/ in *folder*; refuse to overwrite a podcast."""
    parts = urlsplit(feed_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(
            f"--feed-url must be an absolute URL like https://podcast.example.org/feed.xml, not {feed_url!r}"
        )
    if not title.strip() or not author.strip():
        raise ConfigError("--title and --author must not be empty")
    podcast = PodcastFolder(folder)
    target = podcast.show_file
    if target.exists():
        raise ConfigError("a podcast already lives here; edit podcast.toml instead", path=target)
    folder.mkdir(parents=True, exist_ok=True)
    description = description or (
        f"{title}, un podcast de {author}."
        if language.startswith("fr")
        else f"{title}, a podcast by {author}."
    )
    show: dict[str, TomlValue | None] = {
        "title": title,
        "description": description,
        "language": language,
        "author": author,
        "explicit": False,
        "type": "episodic",
        "categories": [],
        "artwork": None,
    }
    tables = [
        "# Only [urls].feed is required: the media URL defaults to media/ beside the feed, the site to its origin.\n",
        render_table("show", show, examples={"artwork": ARTWORK_EXAMPLE}),
        *([render_table("show.owner", {"name": author, "email": email})] if email else []),
        render_table("urls", {"feed": feed_url}),
        render_table("storage", {"url": "file://public"}),
        season_table(1, "Saison 1" if language.startswith("fr") else "Season 1"),
    ]
    text = "\n".join(tables)
    podcast.season_dir(1).mkdir(parents=True, exist_ok=True)
    podcast.feeds_dir.mkdir(exist_ok=True)
    gitignore = folder / ".gitignore"
    if not gitignore.exists():
        gitignore.write_text(_GITIGNORE, encoding="utf-8")
    target.write_text(text, encoding="utf-8")
    return target
