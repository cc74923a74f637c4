"""``episodes.json``: the episode list other websites embed.

:func:`render_episodes_json` writes one UTF-8 JSON object. Its shape only
grows: a field is never renamed or removed without raising ``version``.

``version``
    ``1``.
``show``
    ``title``, ``description``, ``language`` (as in ``podcast.toml``);
    ``url``: the site; ``feed``: the RSS feed URL; ``image``: the artwork
    URL, or ``null``.
``episodes``
    The live episodes (no drafts, nothing dated in the future), newest first.
    Each one is an object with:

    ``guid``
        The episode's stable GUID, as in the feed.
    ``slug``
        Its identifier in URLs.
    ``title``
        Plain text.
    ``season``, ``season_name``
        The season number and its name (``null`` if the season has none).
    ``episode``
        The number within the season, or ``null`` (trailers, bonuses).
    ``type``
        ``"full"``, ``"trailer"`` or ``"bonus"``.
    ``date``
        Publication date and time, ISO 8601 with its UTC offset.
    ``duration``
        Whole seconds.
    ``audio``
        ``{"url", "type", "length"}``: the audio file's URL, MIME type and
        exact size in bytes.
    ``image``
        The episode's image URL, else its season's artwork, else the show's,
        else ``null``.
    ``summary``
        Plain text: the episode's summary, else the first paragraph of its notes.
    ``notes_html``
        The show notes as sanitised HTML.
    ``url``
        The episode's page on the site.
    ``chapters_url``
        The Podcasting 2.0 JSON chapters URL, or ``null``.
    ``transcripts``
        A list of ``{"url", "type", "language", "rel"}`` (the last two may be
        ``null``).

Every ``<``, ``>`` and ``&`` is written as a ``\\u`` escape (as are U+2028 and
U+2029), so the document can be inlined in an HTML ``<script>`` block as is;
JSON parsers read the same strings back.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

from podcaster.feed.rss import duration_seconds, episode_page_url, live_episodes
from podcaster.folder.notes import summarize
from podcaster.models import PublicEpisode, PublicShow

__all__ = ["EPISODES_JSON_VERSION", "episode_entries", "episodes_document", "render_episodes_json"]

EPISODES_JSON_VERSION = 1

# Characters that would let JSON inlined in HTML close its <script> or break JavaScript. Replaced
# one after the other: no replacement holds a character another one replaces, and str.replace
# is far quicker than a callback per match in notes full of tags.
_UNSAFE_IN_HTML = (
    ("<", "\\u003c"),
    (">", "\\u003e"),
    ("&", "\\u0026"),
    ("\u2028", "\\u2028"),
    ("\u2029", "\\u2029"),
)
# Compact, and UTF-8 rather than \u escapes for every accented letter.
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def render_episodes_json(
    public_show: PublicShow, episodes: Sequence[PublicEpisode], *, now: datetime
) -> bytes:
    """Render ``episodes.json`` (see the module documentation) as UTF-8 bytes."""
    return episodes_document(public_show, episode_entries(public_show, live_episodes(episodes, now=now)))


def episode_entries(public_show: PublicShow, live: Sequence[PublicEpisode]) -> list[bytes]:
    """The entry of each of the *live* episodes in ``episodes.json``, as UTF-8 JSON text."""
    season_names = {season.number: season.name for season in public_show.show.seasons}
    return [
        _safe(
            _ENCODER.encode(_episode(public_show, public, season_names.get(public.episode.season)))
        ).encode()
        for public in live
    ]


def episodes_document(public_show: PublicShow, entries: Sequence[bytes]) -> bytes:
    """``episodes.json`` listing these entries (from :func:`episode_entries`), as UTF-8 bytes."""
    show = public_show.show
    document = {
        "version": EPISODES_JSON_VERSION,
        "show": {
            "title": show.title,
            "description": show.description,
            "language": show.language,
            "url": show.urls.site,
            "feed": show.urls.feed,
            "image": public_show.artwork_url,
        },
        "episodes": [],
    }
    # The episodes are the last member: their entries go between its brackets, as a list's
    # items are written with the separators above.
    # Each entry is encoded already (by a worker, often): UTF-8 of the parts is UTF-8 of the whole.
    head = _safe(_ENCODER.encode(document)).encode()
    return b"".join((head[: -len("]}")], b",".join(entries), b"]}\n"))


def _safe(text: str) -> str:
    for unsafe, escape in _UNSAFE_IN_HTML:
        text = text.replace(unsafe, escape)
    return text


def _episode(public_show: PublicShow, public: PublicEpisode, season_name: str | None) -> dict[str, object]:
    episode = public.episode
    media = public.media
    image = public.image_url or public_show.season_artwork_urls.get(episode.season) or public_show.artwork_url
    return {
        "guid": episode.guid,
        "slug": episode.slug,
        "title": episode.title,
        "season": episode.season,
        "season_name": season_name,
        "episode": episode.number,
        "type": episode.type.value,
        "date": episode.date.isoformat(),
        "duration": duration_seconds(media.duration),
        "audio": {"url": public.audio_url, "type": media.mime_type, "length": media.size},
        "image": image,
        "summary": episode.summary or summarize(episode.notes_html),
        "notes_html": episode.notes_html,
        "url": episode_page_url(public_show.show, episode.slug),
        "chapters_url": public.chapters_url,
        "transcripts": [
            {
                "url": transcript.source,
                "type": transcript.mime_type,
                "language": transcript.language,
                "rel": transcript.rel,
            }
            for transcript in public.transcripts
        ],
    }
