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
import re
from collections.abc import Sequence
from datetime import datetime

from podcaster.feed.rss import duration_seconds, episode_page_url, live_episodes
from podcaster.folder.notes import summarize
from podcaster.models import PublicEpisode, PublicShow

__all__ = ["EPISODES_JSON_VERSION", "render_episodes_json"]

EPISODES_JSON_VERSION = 1

# Characters that would let JSON inlined in HTML close its <script> or break JavaScript.
_UNSAFE_IN_HTML = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
_UNSAFE_PATTERN = re.compile("[<>&\u2028\u2029]")


def render_episodes_json(
    public_show: PublicShow, episodes: Sequence[PublicEpisode], *, now: datetime
) -> bytes:
    """Render ``episodes.json`` (see the module documentation) as UTF-8 bytes."""
    show = public_show.show
    season_names = {season.number: season.name for season in show.seasons}
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
        "episodes": [
            _episode(public_show, public, season_names.get(public.episode.season))
            for public in live_episodes(episodes, now=now)
        ],
    }
    text = json.dumps(document, ensure_ascii=False, separators=(",", ":"))
    return (_UNSAFE_PATTERN.sub(lambda match: _UNSAFE_IN_HTML[match.group()], text) + "\n").encode()


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
