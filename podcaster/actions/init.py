"""``podcaster init``: a new podcast folder with a coherent podcast.toml."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlsplit

from podcaster.errors import ConfigError
from podcaster.folder.layout import PodcastFolder

_GITIGNORE = "/public/\n/audio/\n/.podcaster/\n"


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
    season_name = "Saison 1" if language.startswith("fr") else "Season 1"
    owner = f"\n[show.owner]\nname = {_toml(author)}\nemail = {_toml(email)}\n" if email else ""
    text = f"""# Only [urls].feed is required: the media URL defaults to media/ beside the feed, the site to its origin.

[show]
title = {_toml(title)}
description = {_toml(description)}
language = {_toml(language)}
author = {_toml(author)}
explicit = false
type = "episodic"
categories = []
# artwork = "artwork/cover.jpg"   # square JPEG or PNG, 1400 to 3000 px
{owner}
[urls]
feed = {_toml(feed_url)}

[storage]
url = "file://public"

[[seasons]]
number = 1
name = {_toml(season_name)}
"""
    podcast.season_dir(1).mkdir(parents=True, exist_ok=True)
    podcast.feeds_dir.mkdir(exist_ok=True)
    gitignore = folder / ".gitignore"
    if not gitignore.exists():
        gitignore.write_text(_GITIGNORE, encoding="utf-8")
    target.write_text(text, encoding="utf-8")
    return target


def _toml(value: str | None) -> str:
    # JSON strings are valid TOML basic strings, escapes included.
    return json.dumps(value or "", ensure_ascii=False)
