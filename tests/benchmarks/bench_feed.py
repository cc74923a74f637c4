"""Benchmark: render_feed against the same items written directly with lxml.

Run from the repository root::

    python -m tests.benchmarks.bench_feed [--sizes 1000 10000] [--repeat N]

For each catalogue size it times :func:`podcaster.feed.rss.render_feed` (feedgen
with the iTunes and ``podcast:`` extensions) and a hand-written lxml writer
that emits the same tags and attributes in the same order, measured in the
same run (interleaved, best of several runs), and prints both times, their
ratio (target: at most 1.2) and the time per item, which stays roughly
constant when the work is linear in N. The ratio uses CPU time, which another
busy process on the machine disturbs less than wall time (also printed).
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta, timezone
from pathlib import Path

from lxml import etree

from podcaster.feed.podcastindex import CHAPTERS_TYPE, PODCAST_NS
from podcaster.feed.rss import GENERATOR, duration_seconds, episode_page_url, render_feed, rfc2822_date
from podcaster.folder.notes import summarize
from podcaster.models import (
    Category,
    Episode,
    EpisodeType,
    Funding,
    Location,
    MediaInfo,
    Owner,
    Person,
    PublicEpisode,
    PublicShow,
    Season,
    Show,
    ShowType,
    Transcript,
    Urls,
)

TARGET_RATIO = 1.2
PARIS = timezone(timedelta(hours=1), "CET")

ITUNES = "http://www.itunes.com/dtds/podcast-1.0.dtd"
ATOM = "http://www.w3.org/2005/Atom"
CONTENT = "http://purl.org/rss/1.0/modules/content/"

_NOTES = (
    "<p>Dans cet épisode, nous revenons sur la politique de la ville en Seine-Saint-Denis : "
    "quartiers prioritaires, rénovation urbaine, éducation populaire et vie associative. "
    "Avec les témoignages d’habitantes et d’habitants, d’élus et de professionnels.</p>"
    "<h2>Au programme</h2><ul><li>Les origines de la politique de la ville</li>"
    "<li>Ce que la rénovation urbaine a changé</li><li>Les associations, au cœur du lien social</li>"
    '</ul><p>Pour aller plus loin : <a href="https://example.org/ressources">les ressources '
    "du centre de ressources</a>.</p>"
)


def synthetic_catalogue(count: int) -> tuple[PublicShow, list[PublicEpisode]]:
    """A show with *count* live episodes, twelve to a season, with realistic French text."""
    urls = Urls.from_feed("https://podcast.example.org/feed.xml")
    seasons = tuple(
        Season(number, f"Saison {number} : regards croisés", f"La saison {number}.")
        for number in range(1, count // 12 + 2)
    )
    show = Show(
        title="Penser le 9-3",
        description="Le podcast de Profession Banlieue, coproduit avec Making Waves.",
        language="fr",
        author="Profession Banlieue",
        owner=Owner("Profession Banlieue", "podcast@example.org"),
        urls=urls,
        categories=(Category("Society & Culture", "Documentary"), Category("Government")),
        type=ShowType.SERIAL,
        copyright="© Profession Banlieue",
        location=Location("Seine-Saint-Denis", geo="geo:48.91,2.48", osm="R7400"),
        funding=(Funding("https://example.org/soutenir", "Soutenir le centre de ressources"),),
        persons=(Person("Antoine Tricot", href="https://example.org/antoine-tricot"),),
        seasons=seasons,
    )
    public_show = PublicShow(show, artwork_url=urls.media_url("cover.jpg"))
    start = datetime(2023, 1, 25, 10, 0, tzinfo=PARIS)
    summary = summarize(_NOTES)  # what the catalogue fills in when the front matter has none
    episodes = []
    for index in range(count):
        season, number = divmod(index, 12)
        slug = f"s{season + 1}-e{number + 1}-la-ville-en-questions"
        episode = Episode(
            slug=slug,
            path=Path(f"episodes/saison-{season + 1}/{slug}.md"),
            title=f"Épisode {number + 1} : la ville en questions, à Saint-Denis ({index})",
            season=season + 1,
            number=number + 1,
            type=EpisodeType.FULL,
            date=start + timedelta(days=7 * index),
            guid=f"3f2c8e1a-5b7d-4c9e-8f00-{index:012d}",
            audio=f"{slug}.mp3",
            notes_html=_NOTES,
            summary=summary,
            explicit=False if index % 3 == 0 else None,
            persons=(Person("Antoine Tricot"), Person("Invitée à confirmer", role="guest", group="cast")),
            location=Location("Bobigny", geo="geo:48.908,2.439") if index % 4 == 0 else None,
        )
        media = MediaInfo(
            size=33_600_000 + index,
            sha256=f"{index:064x}",
            duration=2100.0 + index % 600 + 0.4,
            mime_type="audio/mpeg",
            bitrate=128_000,
            sample_rate=44_100,
            channels=2,
            codec="mp3",
        )
        key = f"saison-{season + 1}/{slug}.mp3"
        episodes.append(
            PublicEpisode(
                episode=episode,
                media=media,
                audio_key=key,
                audio_url=urls.media_url(key),
                image_url=urls.media_url(f"{slug}.jpg") if index % 5 == 0 else None,
                chapters_url=urls.media_url(f"{slug}.chapters.json") if index % 2 == 0 else None,
                transcripts=(
                    (Transcript(urls.media_url(f"{slug}.vtt"), "text/vtt", "fr", "captions"),)
                    if index % 2 == 0
                    else ()
                ),
            )
        )
    return public_show, episodes


def _sub(parent: etree._Element, tag: str, text: str | None = None, /, **attributes: str) -> etree._Element:
    element = etree.SubElement(parent, tag, attributes)
    if text is not None:
        element.text = text
    return element


def lxml_feed(public_show: PublicShow, episodes: Sequence[PublicEpisode], *, self_url: str) -> bytes:
    """The baseline: the same document as render_feed, written straight with lxml."""
    show = public_show.show
    i, p = f"{{{ITUNES}}}", f"{{{PODCAST_NS}}}"
    nsmap = {"itunes": ITUNES, "podcast": PODCAST_NS, "atom": ATOM, "content": CONTENT}
    rss = etree.Element("rss", version="2.0", nsmap=nsmap)
    channel = _sub(rss, "channel")
    _sub(channel, "title", show.title)
    _sub(channel, "link", show.urls.site)
    _sub(channel, "description", show.description)
    _sub(channel, f"{{{ATOM}}}link", href=self_url, rel="self", type="application/rss+xml")
    _sub(channel, "copyright", show.copyright)
    _sub(channel, "docs", "http://www.rssboard.org/rss-specification")
    _sub(channel, "generator", GENERATOR)
    image = _sub(channel, "image")
    _sub(image, "url", public_show.artwork_url)
    _sub(image, "title", show.title)
    _sub(image, "link", show.urls.site)
    _sub(channel, "language", show.language)
    built = rfc2822_date(episodes[0].episode.date)
    _sub(channel, "lastBuildDate", built)
    _sub(channel, "pubDate", built)
    _sub(channel, i + "author", show.author)
    for category in show.categories:
        element = _sub(channel, i + "category", None, text=category.name)
        if category.subcategory:
            _sub(element, i + "category", None, text=category.subcategory)
    _sub(channel, i + "image", href=public_show.artwork_url or "")
    owner = _sub(channel, i + "owner")
    _sub(owner, i + "name", show.owner.name)
    _sub(owner, i + "email", show.owner.email)
    _sub(channel, i + "summary", show.description)
    _sub(channel, i + "type", show.type.value)
    _sub(channel, i + "explicit", "true" if show.explicit else "false")
    _sub(channel, p + "guid", show.podcast_guid)
    _sub(channel, p + "locked", "yes", owner=show.owner.email)
    if show.location:
        location = show.location
        _sub(channel, p + "location", location.name, geo=location.geo or "", osm=location.osm or "")
    for funding in show.funding:
        _sub(channel, p + "funding", funding.text, url=funding.url)
    for person in show.persons:
        _sub(channel, p + "person", person.name, role=person.role, group=person.group, href=person.href or "")
    _sub(channel, p + "medium", show.medium)
    season_names = {season.number: season.name for season in show.seasons}
    for public in episodes:
        episode, media = public.episode, public.media
        item = _sub(channel, "item")
        _sub(item, "title", episode.title)
        _sub(item, "link", episode_page_url(show, episode.slug))
        _sub(item, "description", episode.summary or episode.notes_html)
        _sub(item, f"{{{CONTENT}}}encoded", episode.notes_html)
        _sub(item, "guid", episode.guid, isPermaLink="false")
        _sub(item, "enclosure", url=public.audio_url, length=str(media.size), type=media.mime_type)
        if public.image_url:
            _sub(item, i + "image", href=public.image_url)
        _sub(item, i + "duration", str(duration_seconds(media.duration)))
        _sub(item, i + "season", str(episode.season))
        _sub(item, i + "episode", str(episode.number))
        _sub(item, i + "episodeType", episode.type.value)
        if episode.explicit is not None:
            _sub(item, i + "explicit", "true" if episode.explicit else "false")
        _sub(item, p + "season", str(episode.season), name=season_names[episode.season])
        _sub(item, p + "episode", str(episode.number))
        for person in episode.persons:
            _sub(item, p + "person", person.name, role=person.role, group=person.group)
        if episode.location:
            _sub(item, p + "location", episode.location.name, geo=episode.location.geo or "")
        for transcript in public.transcripts:
            _sub(
                item,
                p + "transcript",
                url=transcript.source,
                type=transcript.mime_type,
                language=transcript.language or "",
                rel=transcript.rel or "",
            )
        if public.chapters_url:
            _sub(item, p + "chapters", url=public.chapters_url, type=CHAPTERS_TYPE)
        _sub(item, "pubDate", rfc2822_date(episode.date))
    return etree.tostring(rss, encoding="UTF-8", xml_declaration=True)


def _interleaved_best(
    repeat: int, first: Callable[[], bytes], second: Callable[[], bytes]
) -> tuple[list[float], list[float]]:
    """Best wall and CPU time of each, run in turn so that a busy machine slows both alike."""
    wall = [float("inf"), float("inf")]
    cpu = [float("inf"), float("inf")]
    for _ in range(repeat):
        for index, run in enumerate((first, second)):
            gc.collect()
            started, started_cpu = time.perf_counter(), time.process_time()
            run()
            cpu[index] = min(cpu[index], time.process_time() - started_cpu)
            wall[index] = min(wall[index], time.perf_counter() - started)
    return wall, cpu


def _same_document(first: bytes, second: bytes) -> bool:
    return etree.tostring(etree.fromstring(first), method="c14n2") == etree.tostring(
        etree.fromstring(second), method="c14n2"
    )


def bench(count: int, repeat: int) -> float:
    public_show, episodes = synthetic_catalogue(count)
    # The feed lists newest first; the baseline is handed them already in that order.
    newest_first = sorted(episodes, key=lambda public: public.episode.date, reverse=True)
    self_url = public_show.show.urls.feed
    now = newest_first[0].episode.date + timedelta(days=1)

    def ours() -> bytes:
        return render_feed(public_show, episodes, self_url=self_url, now=now)

    def baseline() -> bytes:
        return lxml_feed(public_show, newest_first, self_url=self_url)

    ours_bytes = ours()
    # Same work on both sides: the baseline writes the very same document.
    if not _same_document(ours_bytes, baseline()):
        raise SystemExit(f"N={count}: the baseline does not write the same document as render_feed")
    (ours_wall, base_wall), (ours_cpu, base_cpu) = _interleaved_best(repeat, ours, baseline)
    ratio = ours_cpu / base_cpu
    print(
        f"N={count:>6} ({len(ours_bytes) / 1e6:4.1f} MB)"
        f"  render_feed {ours_cpu * 1000:7.1f} ms ({ours_cpu / count * 1e6:4.1f} µs/item)"
        f"  lxml {base_cpu * 1000:7.1f} ms ({base_cpu / count * 1e6:4.1f} µs/item)"
        f"  ratio {ratio:4.2f} {'ok' if ratio <= TARGET_RATIO else 'OVER TARGET'}"
        f"  | wall: {ours_wall * 1000:7.1f} / {base_wall * 1000:7.1f} ms, ratio {ours_wall / base_wall:4.2f}"
    )
    return ratio


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000])
    parser.add_argument(
        "--repeat", type=int, default=0, help="runs of each (default: 20 per 1,000 items/N, 5 at least)"
    )
    args = parser.parse_args(argv)
    print(
        f"feed stage: render_feed vs the same document written directly with lxml (target ratio ≤ {TARGET_RATIO});"
        " best CPU time of interleaved runs, wall time for reference"
    )
    ratios = [bench(count, args.repeat or max(5, 20_000 // count)) for count in args.sizes]
    return 0 if all(ratio <= TARGET_RATIO for ratio in ratios) else 1


if __name__ == "__main__":
    sys.exit(main())
