"""The listener's pages: the show, a season, an episode."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode

from flask import Blueprint, Response, abort, current_app
from markupsafe import Markup

from podcaster import Cue, page_transcript
from podcaster.errors import PodcasterError
from podcaster.models import Person, PublicEpisode, Season, Transcript

from .i18n import iso_duration, strings
from .render import EMBED_WIDTH, absolute_url, cached_page, embed_snippet, json_ld
from .site import Snapshot, snapshot

bp = Blueprint("pages", __name__)


@bp.get("/")
def home() -> Response:
    snap = snapshot()
    seasons = [(season, snap.in_season(season.number)) for season in snap.show.seasons]
    first = min(snap.episodes, key=lambda public: public.episode.date, default=None)
    return cached_page(
        snap,
        "home.html",
        seasons=seasons,
        latest=snap.episodes[0] if snap.episodes else None,
        first=first,
        credits=credits(snap.show.persons),
        structured=series_data(snap),
    )


def credits(persons: tuple[Person, ...]) -> list[tuple[str, list[Person]]]:
    """People grouped by role, in the order roles first appear."""
    grouped: dict[str, list[Person]] = {}
    for person in persons:
        grouped.setdefault(person.role, []).append(person)
    return list(grouped.items())


@bp.get("/saison/<count:number>/")
def season(number: int) -> Response:
    snap = snapshot()
    found = snap.season(number)
    if found is None:
        abort(404)
    return cached_page(
        snap,
        "season.html",
        season=found,
        episodes=snap.in_season(number),
        season_artwork=snap.public_show.season_artwork_urls.get(number),
        structured=series_data(snap),
    )


@bp.get("/episodes/<slug>/")
def episode(slug: str) -> Response:
    snap = snapshot()
    public = snap.episode(slug)
    if public is None:
        abort(404)
    return cached_page(snap, "episode.html", **episode_context(snap, public))


def episode_context(snap: Snapshot, public: PublicEpisode) -> dict[str, Any]:
    episode = public.episode
    page_url = absolute_url(snap, "pages.episode", slug=episode.slug)
    before, after = snap.neighbours(public)
    persons = episode.persons
    transcript, cues = transcript_text(snap, public)
    return {
        "public": public,
        "episode": episode,
        "season": snap.season(episode.season),
        "page_url": page_url,
        "embed_url": absolute_url(snap, "embed.episode_player", slug=episode.slug),
        "oembed_url": absolute_url(snap, "api.oembed") + "?" + urlencode({"url": page_url, "format": "json"}),
        "image_url": public.image_url or snap.public_show.artwork_url,
        "guests": [person for person in persons if person.role != "host"],
        "hosts": [person for person in persons if person.role == "host"],
        "share_links": share_links(snap, episode.title, page_url),
        "snippet": embed_snippet(
            snap, public, width=str(EMBED_WIDTH), height=current_app.config["EMBED_HEIGHT"]
        ),
        "embed_height": current_app.config["EMBED_HEIGHT"],
        "before": before,
        "after": after,
        "structured": episode_data(snap, public, page_url),
        "shown_transcript": transcript,
        "cues": cues,
    }


def transcript_text(snap: Snapshot, public: PublicEpisode) -> tuple[Transcript | None, tuple[Cue, ...]]:
    """The transcript shown as text on the page, read by the library; none if it cannot be read."""
    try:
        found = page_transcript(
            snap.root, public.episode, duration=public.media.duration, language=snap.show.language
        )
    except PodcasterError as error:
        # Publishing refuses such a file; the page still links to it rather than failing.
        current_app.logger.warning("transcript not shown for %s:\n%s", public.episode.slug, error)
        return None, ()
    return found if found is not None else (None, ())


def share_links(snap: Snapshot, title: str, url: str) -> list[tuple[str, str]]:
    """Plain links to share a page: no script from those sites ever loads here."""
    text = f"{title} — {snap.show.title}"
    t = strings(snap.show.language)
    return [
        (t["share_email"], f"mailto:?subject={quote(text)}&body={quote(url)}"),
        ("Bluesky", "https://bsky.app/intent/compose?" + urlencode({"text": f"{text} {url}"})),
        ("LinkedIn", "https://www.linkedin.com/sharing/share-offsite/?" + urlencode({"url": url})),
        ("Facebook", "https://www.facebook.com/sharer/sharer.php?" + urlencode({"u": url})),
    ]


def series_data(snap: Snapshot) -> Markup:
    """schema.org PodcastSeries for the show."""
    return json_ld(_series(snap))


def _series(snap: Snapshot) -> dict[str, Any]:
    show = snap.show
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "PodcastSeries",
        "name": show.title,
        "description": show.description,
        "url": show.urls.site,
        "webFeed": show.urls.feed,
        "inLanguage": show.language,
        "author": {"@type": "Organization", "name": show.author},
    }
    if snap.public_show.artwork_url:
        data["image"] = snap.public_show.artwork_url
    return data


def episode_data(snap: Snapshot, public: PublicEpisode, page_url: str) -> Markup:
    """schema.org PodcastEpisode, with its audio and its place in the series and season."""
    episode = public.episode
    series = _series(snap)
    series.pop("@context")
    season: Season | None = snap.season(episode.season)
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "PodcastEpisode",
        "name": episode.title,
        "url": page_url,
        "datePublished": episode.date.isoformat(),
        "description": episode.summary or "",
        "timeRequired": iso_duration(public.media.duration),
        "inLanguage": snap.show.language,
        "associatedMedia": {
            "@type": "MediaObject",
            "contentUrl": public.audio_url,
            "encodingFormat": public.media.mime_type,
            "contentSize": str(public.media.size),
            "duration": iso_duration(public.media.duration),
        },
        "partOfSeries": series,
        "partOfSeason": {
            "@type": "PodcastSeason",
            "seasonNumber": episode.season,
            "name": season.name if season else str(episode.season),
        },
    }
    if episode.number is not None:
        data["episodeNumber"] = episode.number
    if public.image_url or snap.public_show.artwork_url:
        data["image"] = public.image_url or snap.public_show.artwork_url
    if episode.persons:
        data["actor"] = [{"@type": "Person", "name": person.name} for person in episode.persons]
    return json_ld(data)
