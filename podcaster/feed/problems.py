"""What would make a feed wrong, named by file: found all at once, before feedgen refuses or drops it."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import fields, is_dataclass
from pathlib import Path

from podcaster.errors import Problem
from podcaster.feed.categories import category_problems
from podcaster.models import PublicEpisode, Season, Show

__all__ = ["feed_problems", "unwritable_text"]

# Characters XML 1.0 cannot carry; lxml refuses them with a bare ValueError.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# Apple wants artwork URLs that end like the image format (feedgen checks the same).
_ARTWORK_SUFFIXES = (".jpg", ".png")
# The notes are checked both as Markdown and as HTML: name them once.
_PLAIN_NAMES = {"notes_html": "the notes", "notes_markdown": "the notes"}


def show_file(show: Show) -> Path:
    """The file a problem of the show or of a season is reported against."""
    return show.root / "podcast.toml"


def feed_problems(show: Show, artwork: str | None, live: Sequence[PublicEpisode]) -> list[Problem]:
    """What feedgen would refuse or silently drop in a feed with this channel *artwork* and these items."""
    toml = show_file(show)
    problems = [Problem(toml, message) for message in category_problems(show.categories)]
    if not show.title.strip():
        problems.append(Problem(toml, "the show has no title"))
    if not show.description.strip():
        problems.append(Problem(toml, "the show has no description"))
    if artwork and not artwork.endswith(_ARTWORK_SUFFIXES):
        problems.append(Problem(toml, f"artwork URL {artwork!r} must end in .jpg or .png (Apple Podcasts)"))
    for public in live:
        if public.image_url and not public.image_url.endswith(_ARTWORK_SUFFIXES):
            problems.append(
                Problem(
                    public.episode.path,
                    f"image URL {public.image_url!r} must end in .jpg or .png (Apple Podcasts)",
                )
            )
    return problems


def unwritable_text(show: Show, live: Sequence[PublicEpisode], season: Season | None) -> list[Problem]:
    """Name every field holding a character XML cannot carry (a stray control character)."""
    problems = [
        Problem(show_file(show), f"{where} holds a control character XML cannot carry")
        for where in _bad_texts(show, "show")
    ]
    if season is not None:
        problems += [
            Problem(
                show_file(show),
                f"season {season.number}: {where} holds a control character XML cannot carry",
            )
            for where in _bad_texts(season, "season")
        ]
    for public in live:
        places = dict.fromkeys(_PLAIN_NAMES.get(where, where) for where in _bad_texts(public, "episode"))
        problems += [
            Problem(public.episode.path, f"{where} holds a control character XML cannot carry")
            for where in places
        ]
    return problems


def _bad_texts(value: object, where: str) -> list[str]:
    """Where, inside a record (dataclasses, tuples, dicts of them), a string XML cannot carry is."""
    if isinstance(value, str):
        return [where] if _NOT_XML.search(value) else []
    if is_dataclass(value) and not isinstance(value, type):
        found = []
        for field in fields(value):
            name = field.name
            # The episode record nests the episode itself: name its fields plainly.
            inner = name if where in ("episode", "show") else f"{where}.{name}"
            found += _bad_texts(getattr(value, name), inner)
        return found
    if isinstance(value, tuple | list):
        return [found for item in value for found in _bad_texts(item, where)]
    if isinstance(value, dict):
        return [found for item in value.values() for found in _bad_texts(item, where)]
    return []
