"""``podcaster verify``: fetch the live feed and check it the way podcast apps' crawlers will.

What Apple's, Spotify's and the open apps' crawlers do with a feed, over real
HTTP from the public URLs (not through the storage, which publish already
checked): the feed answers and parses; every enclosure answers ``HEAD`` with
its ``length`` and ``type`` and a ranged ``GET`` with ``206``; artwork,
transcripts and chapters answer with a type an app accepts; and, from the
lock file, no GUID changed since the last publish, since an app takes a new
GUID for a new episode (listed twice, played twice, downloaded twice).

Everything found goes into a :class:`VerifyReport`; nothing is printed. The
feed's URLs are checked concurrently, each request with a timeout and all of
them within one deadline.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from functools import partial
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from urllib.parse import urlsplit

from lxml import etree

from .catalogue import Catalogue, load_catalogue
from .crawler import Answer, Crawler, FetchError, media_type
from .models import Episode
from .podcast_ns import CHAPTERS_TYPE, PODCAST_NS

ITUNES_NS = "http://www.itunes.com/dtds/podcast-1.0.dtd"
_NS = {"itunes": ITUNES_NS, "podcast": PODCAST_NS}
_FEED_TYPES = frozenset({"application/rss+xml", "application/xml", "text/xml", "application/x-rss+xml"})
_IMAGE_TYPES = frozenset({"image/jpeg", "image/png"})  # what Apple Podcasts accepts
_CHAPTER_TYPES = frozenset({CHAPTERS_TYPE, "application/json"})
_VAGUE_TYPES = frozenset({"text/plain", "application/octet-stream", "binary/octet-stream"})
# Names the same transcript format goes by; any of them will do.
_TRANSCRIPT_ALIASES = (
    frozenset({"application/x-subrip", "application/srt", "text/srt", "text/x-subrip"}),
    frozenset({"text/vtt"}),
    frozenset({"text/html"}),
    frozenset({"application/json"}),
)
_RANGE_READ = 1024  # what is read of an answer to Range: bytes=0-1 (a 200 may be a whole file)
_SEASON_FEED = re.compile(r"saison-(\d+)\.xml$")
_CONTENT_RANGE = re.compile(r"bytes\s+(\d+)-(\d+)/(\d+|\*)$")
_MAGIC = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"GIF8", "image/gif"),
)

Progress = Callable[[str], None]


class Level(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    NOTE = "note"


class Check(StrEnum):
    FEED = "feed"
    ENCLOSURE = "enclosure"
    ARTWORK = "artwork"
    TRANSCRIPT = "transcript"
    CHAPTERS = "chapters"
    GUID = "guid"


@dataclass(frozen=True)
class Finding:
    """One thing found wrong (or worth knowing) at one URL or in one file."""

    level: Level
    check: Check
    where: str  # the URL, or the episode file for a GUID found changed in the catalogue
    message: str  # what was expected and what was found

    @property
    def is_error(self) -> bool:
        return self.level is Level.ERROR

    def __str__(self) -> str:
        prefix = "" if self.level is Level.ERROR else f"{self.level.value}: "
        return f"{self.where}: {prefix}{self.message}"


@dataclass(frozen=True)
class VerifyReport:
    """What verify found for one feed URL."""

    feed_url: str
    findings: tuple[Finding, ...] = ()
    #: Why the feed itself could not be fetched (name not found, connection refused, timeout, TLS),
    #: or None when it answered. Then nothing else was checked.
    unreachable: str | None = None
    items: int = 0
    urls_checked: int = 0
    seconds: float = 0.0
    guids_compared: bool = False

    @property
    def ok(self) -> bool:
        return self.unreachable is None and not self.errors

    @property
    def errors(self) -> list[Finding]:
        return [finding for finding in self.findings if finding.level is Level.ERROR]

    @property
    def warnings(self) -> list[Finding]:
        return [finding for finding in self.findings if finding.level is Level.WARNING]

    @property
    def notes(self) -> list[Finding]:
        return [finding for finding in self.findings if finding.level is Level.NOTE]

    @property
    def summary(self) -> str:
        if self.unreachable is not None:
            return f"{self.feed_url} could not be reached: {self.unreachable}"
        counts = [
            _plural(len(self.errors), "error"),
            _plural(len(self.warnings), "warning"),
            _plural(len(self.notes), "note"),
        ]
        guids = "" if self.guids_compared else "; GUIDs not compared (no podcast folder)"
        return (
            f"{self.feed_url}: {_plural(self.items, 'episode')}, {_plural(self.urls_checked, 'URL')} "
            f"checked in {self.seconds:.1f} s: {', '.join(counts)}{guids}"
        )


@dataclass(frozen=True)
class VerifySettings:
    timeout: float = 15.0  # seconds to connect, and between two reads, for each request
    deadline: float = 120.0  # seconds for all the checks after the feed arrived
    workers: int = 8
    feed_limit: int = 50 * 1024 * 1024
    document_limit: int = 5 * 1024 * 1024  # artwork, transcripts and chapters
    user_agent: str = ""  # default: podcaster-verify/VERSION, like an app's crawler names itself


@dataclass(frozen=True)
class _Item:
    title: str
    guid: str | None
    enclosure: tuple[str, int, str] | None  # url, length, type
    images: tuple[str, ...] = ()
    transcripts: tuple[tuple[str, str], ...] = ()  # url, declared type
    chapters: tuple[tuple[str, str], ...] = ()


@dataclass
class _Collector:
    findings: list[Finding] = field(default_factory=list)

    def add(self, level: Level, check: Check, where: str, message: str) -> None:
        self.findings.append(Finding(level, check, where, message))


def verify_podcast(
    root: Path,
    feed_url: str | None = None,
    *,
    now: datetime | None = None,
    settings: VerifySettings | None = None,
    progress: Progress | None = None,
) -> VerifyReport:
    """Verify *feed_url* (default: the show's configured feed) against the podcast folder *root*."""
    catalogue = load_catalogue(root)
    return verify_feed(
        feed_url or catalogue.show.urls.feed,
        catalogue=catalogue,
        now=now,
        settings=settings,
        progress=progress,
    )


def verify_feed(
    feed_url: str,
    *,
    catalogue: Catalogue | None = None,
    now: datetime | None = None,
    settings: VerifySettings | None = None,
    progress: Progress | None = None,
) -> VerifyReport:
    """Fetch *feed_url* and check it like a crawler; with a *catalogue*, compare GUIDs with its lock file."""
    settings = settings or VerifySettings()
    now = now or datetime.now(UTC)
    started = time.monotonic()
    crawler = Crawler(user_agent=settings.user_agent or user_agent(), timeout=settings.timeout)
    out = _Collector()
    if progress:
        progress(f"fetching {feed_url}")
    try:
        answer = crawler.fetch(
            feed_url,
            headers={"Accept": "application/rss+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"},
            limit=settings.feed_limit,
            gzip=True,
        )
    except FetchError as error:
        if error.is_network:
            return VerifyReport(feed_url, unreachable=str(error.args[0]), seconds=time.monotonic() - started)
        out.add(Level.ERROR, Check.FEED, feed_url, f"the feed cannot be fetched: {error.args[0]}")
        return _report(feed_url, out, started, urls=1)
    _redirect_notes(answer, Check.FEED, out)
    feed = _read_feed(answer, settings, out)
    if feed is None:
        return _report(feed_url, out, started, urls=1)
    artwork, items = feed
    tasks = _tasks(artwork, items, crawler, settings)
    if progress:
        progress(f"{len(items)} episodes in the feed; checking {len(tasks)} URLs")
    _run(tasks, settings, out)
    if catalogue is not None:
        fresh = _is_fresh(answer.body, catalogue)
        _compare_guids(items, catalogue, now, _season_of(feed_url), fresh, feed_url, out)
    return _report(
        feed_url, out, started, urls=1 + len(tasks), items=len(items), guids_compared=catalogue is not None
    )


def user_agent() -> str:
    """How verify names itself to servers, the way podcast apps' crawlers do."""
    try:
        release = version("podcaster")
    except PackageNotFoundError:
        release = "0"
    return f"podcaster-verify/{release} (podcast feed crawler check)"


def _report(
    feed_url: str, out: _Collector, started: float, *, urls: int, items: int = 0, guids_compared: bool = False
) -> VerifyReport:
    return VerifyReport(
        feed_url,
        tuple(out.findings),
        items=items,
        urls_checked=urls,
        seconds=time.monotonic() - started,
        guids_compared=guids_compared,
    )


# -- the feed itself ------------------------------------------------------------


def _read_feed(
    answer: Answer, settings: VerifySettings, out: _Collector
) -> tuple[list[str], list[_Item]] | None:
    """Check the feed document; return the channel's artwork URLs and its items, or None if unreadable."""
    url = answer.url
    if answer.status != 200:
        out.add(Level.ERROR, Check.FEED, url, f"the feed answered {answer.status}, expected 200")
        return None
    if not answer.complete:
        out.add(
            Level.ERROR,
            Check.FEED,
            url,
            f"the feed is larger than {settings.feed_limit:,} bytes: apps give up on feeds that big",
        )
        return None
    served = answer.media_type
    if served not in _FEED_TYPES:
        out.add(
            Level.WARNING,
            Check.FEED,
            url,
            f"the feed is served as {served or 'no Content-Type'!r}, expected 'application/rss+xml'",
        )
    import feedparser  # imported here: only verify and the tests need it, and it is slow to import

    parsed = feedparser.parse(
        answer.body,
        response_headers={"content-type": answer.header("Content-Type") or "", "content-location": url},
    )
    if parsed.get("bozo"):
        out.add(
            Level.ERROR,
            Check.FEED,
            url,
            f"feedparser does not read the feed cleanly: {parsed.get('bozo_exception')}",
        )
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        root = etree.fromstring(answer.body, parser)
    except etree.XMLSyntaxError as error:
        out.add(Level.ERROR, Check.FEED, url, f"the feed is not well-formed XML: {error}")
        return None
    channel = root.find("channel")
    if root.tag != "rss" or channel is None:
        out.add(Level.ERROR, Check.FEED, url, f"not an RSS feed: its root is <{root.tag}>, expected <rss>")
        return None
    _check_channel(channel, url, out)
    items = [_item(element) for element in channel.findall("item")]
    _check_items(items, url, out)
    artwork = [_attr(channel, "itunes:image", "href"), _text(channel, "image/url")]
    return [found for found in artwork if found], items


def _check_channel(channel: etree._Element, url: str, out: _Collector) -> None:
    required = {
        "title": _text(channel, "title"),
        "description": _text(channel, "description") or _text(channel, "itunes:summary"),
        "language": _text(channel, "language"),
        "itunes:image": _attr(channel, "itunes:image", "href"),
        "itunes:category": _attr(channel, "itunes:category", "text"),
        "itunes:explicit": _text(channel, "itunes:explicit"),
    }
    for tag, value in required.items():
        if not value:
            out.add(
                Level.ERROR, Check.FEED, url, f"the channel has no <{tag}>, which Apple Podcasts requires"
            )
    recommended = {
        "link": _text(channel, "link"),
        "itunes:author": _text(channel, "itunes:author"),
        "itunes:owner/itunes:email": _text(channel, "itunes:owner/itunes:email"),
    }
    for tag, value in recommended.items():
        if not value:
            out.add(Level.WARNING, Check.FEED, url, f"the channel has no <{tag}>")


def _item(element: etree._Element) -> _Item:
    enclosure = element.find("enclosure")
    found: tuple[str, int, str] | None = None
    if enclosure is not None:
        length = (enclosure.get("length") or "").strip()
        found = (
            (enclosure.get("url") or "").strip(),
            int(length) if length.isdigit() else -1,
            (enclosure.get("type") or "").strip(),
        )
    return _Item(
        title=_text(element, "title") or "",
        guid=_text(element, "guid"),
        enclosure=found,
        images=tuple(filter(None, [_attr(element, "itunes:image", "href")])),
        transcripts=tuple(
            ((node.get("url") or "").strip(), (node.get("type") or "").strip())
            for node in element.findall("podcast:transcript", _NS)
        ),
        chapters=tuple(
            ((node.get("url") or "").strip(), (node.get("type") or "").strip())
            for node in element.findall("podcast:chapters", _NS)
        ),
    )


def _check_items(items: list[_Item], url: str, out: _Collector) -> None:
    seen: set[str] = set()
    for position, item in enumerate(items, start=1):
        name = f"item {position} «{item.title}»" if item.title else f"item {position}"
        if not item.title:
            out.add(Level.ERROR, Check.FEED, url, f"{name} has no <title>, which Apple Podcasts requires")
        if not item.guid:
            out.add(
                Level.ERROR, Check.FEED, url, f"{name} has no <guid>: apps cannot tell it from the others"
            )
        elif item.guid in seen:
            out.add(Level.ERROR, Check.FEED, url, f"{name} repeats the GUID {item.guid!r} of an earlier item")
        else:
            seen.add(item.guid)
        if item.enclosure is None:
            out.add(Level.ERROR, Check.FEED, url, f"{name} has no <enclosure>: there is nothing to play")
            continue
        enclosure_url, length, kind = item.enclosure
        if not _is_http(enclosure_url):
            out.add(
                Level.ERROR, Check.FEED, url, f"{name}: the enclosure URL {enclosure_url!r} is not http(s)"
            )
        if length <= 0:
            out.add(Level.ERROR, Check.FEED, url, f"{name}: the enclosure length is not a size in bytes")
        if not kind:
            out.add(Level.ERROR, Check.FEED, url, f"{name}: the enclosure has no type")
        for chapters_url, declared in item.chapters:
            if declared != CHAPTERS_TYPE:
                out.add(
                    Level.WARNING,
                    Check.CHAPTERS,
                    chapters_url,
                    f"{name}: podcast:chapters declares type {declared!r}, expected {CHAPTERS_TYPE!r}",
                )


# -- every URL the feed names, concurrently ----------------------------------------

_Task = tuple[str, Callable[[], list[Finding]]]


def _tasks(artwork: list[str], items: list[_Item], crawler: Crawler, settings: VerifySettings) -> list[_Task]:
    """One check per distinct URL, in the order of the feed."""
    tasks: dict[str, Callable[[], list[Finding]]] = {}

    def add(url: str, check: Callable[[], list[Finding]]) -> None:
        if url and _is_http(url) and url not in tasks:
            tasks[url] = check

    for url in artwork:
        add(url, partial(_check_image, crawler, url, settings))
    for item in items:
        if item.enclosure is not None and item.enclosure[1] > 0:
            url, length, kind = item.enclosure
            add(url, partial(_check_enclosure, crawler, url, length, kind))
        for url in item.images:
            add(url, partial(_check_image, crawler, url, settings))
        for url, declared in item.transcripts:
            add(url, partial(_check_transcript, crawler, url, declared, settings))
        for url, _declared in item.chapters:
            add(url, partial(_check_chapters, crawler, url, settings))
    return list(tasks.items())


def _run(tasks: list[_Task], settings: VerifySettings, out: _Collector) -> None:
    if not tasks:
        return
    pool = ThreadPoolExecutor(max_workers=max(1, settings.workers), thread_name_prefix="verify")
    try:
        futures: list[tuple[str, Future[list[Finding]]]] = [(url, pool.submit(check)) for url, check in tasks]
        wait([future for _, future in futures], timeout=settings.deadline)
        for url, future in futures:
            if future.done():
                out.findings.extend(future.result())
            else:
                out.add(
                    Level.ERROR,
                    Check.FEED,
                    url,
                    f"not checked: no answer within the {settings.deadline:g} s given to all the checks",
                )
    finally:
        # Late requests end by their own timeout; nobody waits for them.
        pool.shutdown(wait=False, cancel_futures=True)


def _check_enclosure(crawler: Crawler, url: str, length: int, kind: str) -> list[Finding]:
    out = _Collector()

    def error(message: str) -> None:
        out.add(Level.ERROR, Check.ENCLOSURE, url, message)

    head: Answer | None = None
    ranged: Answer | None = None
    try:
        head = crawler.fetch(url, method="HEAD")
    except FetchError as failure:
        error(f"HEAD failed: {failure.args[0]}")
    try:
        # The two bytes are read: hanging up on unread data resets the connection, which some servers mind.
        ranged = crawler.fetch(url, headers={"Range": "bytes=0-1"}, limit=_RANGE_READ)
    except FetchError as failure:
        error(f"a ranged GET (Range: bytes=0-1) failed: {failure.args[0]}")
    if head is not None:
        _redirect_notes(head, Check.ENCLOSURE, out)
        if head.status != 200:
            error(f"HEAD answered {head.status}, expected 200")
    if ranged is not None:
        if head is None:
            _redirect_notes(ranged, Check.ENCLOSURE, out)
        if ranged.status == 200:
            error(
                "a ranged GET (Range: bytes=0-1) answered 200 with the whole file, expected 206: the server "
                "ignores byte ranges, which Apple Podcasts requires and apps need to seek and resume"
            )
        elif ranged.status != 206:
            error(f"a ranged GET (Range: bytes=0-1) answered {ranged.status}, expected 206")
    good_head = head if head is not None and head.status == 200 else None
    partial = ranged if ranged is not None and ranged.status == 206 else None
    sizes = []
    if good_head is not None and good_head.header("Content-Length") != str(length):
        sizes.append(f"HEAD Content-Length {_number(good_head.header('Content-Length'))}")
    if partial is not None and (total := _range_total(partial.header("Content-Range"))) != length:
        shown = f"{total:,}" if total is not None else repr(partial.header("Content-Range") or "none")
        sizes.append(f"ranged GET Content-Range total {shown}")
    if sizes:
        error(
            f"size {'; '.join(sizes)}; expected {length:,} bytes (the enclosure's length): "
            "a truncated or replaced file, or a wrong length in the feed"
        )
    served = {answer.media_type for answer in (good_head, partial) if answer is not None}
    if served and served != {media_type(kind)}:
        found = ", ".join(repr(value or "no Content-Type") for value in sorted(served, key=str))
        error(f"served as {found}, expected {kind!r} (the enclosure's type)")
    if partial is not None and not any(
        "bytes" in (answer.header("Accept-Ranges") or "").lower()
        for answer in (good_head, partial)
        if answer is not None
    ):
        error("no 'Accept-Ranges: bytes' header (on HEAD or the ranged GET), which Apple Podcasts expects")
    return out.findings


def _check_image(crawler: Crawler, url: str, settings: VerifySettings) -> list[Finding]:
    out = _Collector()
    answer = _get(crawler, url, Check.ARTWORK, settings.document_limit, out)
    if answer is None:
        return out.findings
    served = answer.media_type
    sniffed = next((kind for magic, kind in _MAGIC if answer.body.startswith(magic)), None)
    if served not in _IMAGE_TYPES:
        level = Level.WARNING if served and served.startswith("image/") else Level.ERROR
        out.add(level, Check.ARTWORK, url, f"served as {served!r}, expected 'image/jpeg' or 'image/png'")
    elif sniffed != served:
        found = f"a {sniffed.split('/')[1].upper()} image" if sniffed else "not a JPEG or PNG image"
        out.add(Level.ERROR, Check.ARTWORK, url, f"served as {served!r} but the file is {found}")
    return out.findings


def _check_transcript(crawler: Crawler, url: str, declared: str, settings: VerifySettings) -> list[Finding]:
    out = _Collector()
    answer = _get(crawler, url, Check.TRANSCRIPT, settings.document_limit, out)
    if answer is None:
        return out.findings
    served = answer.media_type
    wanted = media_type(declared)
    if served != wanted and not any(served in names and wanted in names for names in _TRANSCRIPT_ALIASES):
        level = Level.WARNING if served in _VAGUE_TYPES else Level.ERROR
        out.add(
            level, Check.TRANSCRIPT, url, f"served as {served!r}, expected {declared!r} (podcast:transcript)"
        )
    text = answer.body.removeprefix(b"\xef\xbb\xbf")
    if wanted == "text/vtt" and not text.startswith(b"WEBVTT"):
        out.add(Level.ERROR, Check.TRANSCRIPT, url, "not a WebVTT file: it does not start with 'WEBVTT'")
    return out.findings


def _check_chapters(crawler: Crawler, url: str, settings: VerifySettings) -> list[Finding]:
    out = _Collector()
    answer = _get(crawler, url, Check.CHAPTERS, settings.document_limit, out)
    if answer is None:
        return out.findings
    served = answer.media_type
    if served not in _CHAPTER_TYPES:
        level = Level.WARNING if served in _VAGUE_TYPES else Level.ERROR
        out.add(level, Check.CHAPTERS, url, f"served as {served!r}, expected {CHAPTERS_TYPE!r}")
    if not answer.complete:
        out.add(Level.ERROR, Check.CHAPTERS, url, f"larger than {settings.document_limit:,} bytes")
        return out.findings
    try:
        document = json.loads(answer.body)
    except (ValueError, UnicodeDecodeError) as error:
        out.add(Level.ERROR, Check.CHAPTERS, url, f"not JSON: {error}")
        return out.findings
    problem = _chapters_problem(document)
    if problem:
        out.add(Level.ERROR, Check.CHAPTERS, url, f"not Podcasting 2.0 JSON chapters: {problem}")
    return out.findings


def _chapters_problem(document: object) -> str | None:
    if not isinstance(document, dict):
        return "expected a JSON object"
    if not isinstance(document.get("version"), str):
        return 'no "version" string'
    chapters = document.get("chapters")
    if not isinstance(chapters, list):
        return 'no "chapters" list'
    for position, chapter in enumerate(chapters, start=1):
        start = chapter.get("startTime") if isinstance(chapter, dict) else None
        if isinstance(start, bool) or not isinstance(start, int | float):
            return f'chapter {position} has no numeric "startTime"'
    return None


def _get(crawler: Crawler, url: str, check: Check, limit: int, out: _Collector) -> Answer | None:
    """GET *url*; None (with the finding recorded) unless it answered 200."""
    try:
        answer = crawler.fetch(url, limit=limit)
    except FetchError as failure:
        out.add(Level.ERROR, check, url, f"GET failed: {failure.args[0]}")
        return None
    _redirect_notes(answer, check, out)
    if answer.status != 200:
        out.add(Level.ERROR, check, url, f"GET answered {answer.status}, expected 200")
        return None
    return answer


def _redirect_notes(answer: Answer, check: Check, out: _Collector) -> None:
    for hop in answer.redirects:
        if hop.permanent:
            out.add(
                Level.NOTE,
                check,
                hop.source,
                f"moved permanently ({hop.status}) to {hop.target}: apps will use the new URL from now on",
            )


# -- GUIDs against the lock file ------------------------------------------------------


def _compare_guids(
    items: list[_Item],
    catalogue: Catalogue,
    now: datetime,
    season: int | None,
    fresh: bool | None,
    feed_url: str,
    out: _Collector,
) -> None:
    """GUIDs in the feed against those the last publish recorded, and those the catalogue holds now."""
    lock = catalogue.lock.episodes
    in_feed = {item.guid: item for item in items if item.guid}
    unknown = [item for guid, item in in_feed.items() if guid not in lock]
    if unknown and len(unknown) == len(in_feed) > 1:
        out.add(
            Level.ERROR,
            Check.GUID,
            feed_url,
            f"none of the feed's {len(in_feed)} GUIDs is in {catalogue.lock.path.name}: the feed of another "
            "podcast, or every GUID changed?",
        )
    else:
        for item in unknown:
            out.add(
                Level.ERROR,
                Check.GUID,
                feed_url,
                f"«{item.title}» has the GUID {item.guid!r}, which {catalogue.lock.path.name} does not know: "
                "GUID changed? Apps would take it for a new episode",
            )
    stale = (
        " (the feed served is not the one last published: a cache may still hold an older copy)"
        if fresh is False
        else ""
    )
    by_guid = {episode.guid: episode for episode in catalogue.episodes}
    for guid, entry in lock.items():
        if entry.publication is None or guid in in_feed:
            continue
        episode = by_guid.get(guid)
        if episode is not None:
            if (season is None or episode.season == season) and episode.is_live(now):
                out.add(
                    Level.WARNING if stale else Level.ERROR,
                    Check.GUID,
                    feed_url,
                    f"«{episode.title}» ({_relative(episode.path, catalogue.root)}) is live, and was published "
                    f"with the GUID {guid!r}, but no item of the feed has it{stale}",
                )
            continue
        successor = _successor(guid, entry.audio, entry.media.sha256, catalogue)
        if successor is not None and (season is None or successor.season == season):
            out.add(
                Level.ERROR,
                Check.GUID,
                _relative(successor.path, catalogue.root),
                f"GUID changed since the last publish: it was {guid!r}, it is {successor.guid!r} now; apps "
                "will list the episode twice. Put the old GUID back in its front matter",
            )
    # An episode whose GUID was edited but not yet published: the feed still has the old one.
    for guid in in_feed:
        entry = lock.get(guid)
        if entry is None or guid in by_guid or entry.publication is None:
            continue
        successor = _successor(guid, entry.audio, entry.media.sha256, catalogue)
        if successor is not None:
            out.add(
                Level.ERROR,
                Check.GUID,
                _relative(successor.path, catalogue.root),
                f"GUID changed since the last publish: the feed has {guid!r}, the episode file says "
                f"{successor.guid!r}; publishing it would make apps list the episode twice. "
                "Put the old GUID back in its front matter",
            )


def _successor(guid: str, audio: str, sha256: str, catalogue: Catalogue) -> Episode | None:
    """The catalogue's episode that is most likely the one published under *guid* (same audio)."""
    others = [episode for episode in catalogue.episodes if episode.guid != guid]
    same_file = [episode for episode in others if episode.audio == audio]
    if len(same_file) == 1:
        return same_file[0]
    same_sound = [
        episode
        for episode in others
        if (facts := catalogue.lock.media(episode.guid)) is not None and facts.sha256 == sha256
    ]
    return same_sound[0] if len(same_sound) == 1 else None


def _is_fresh(body: bytes, catalogue: Catalogue) -> bool | None:
    """Whether the feed served is one the last publish sent (None when the lock file records none)."""
    recorded = set(catalogue.lock.feeds.values())
    if not recorded:
        return None
    return hashlib.sha256(body).hexdigest() in recorded


def _season_of(feed_url: str) -> int | None:
    match = _SEASON_FEED.search(urlsplit(feed_url).path)
    return int(match.group(1)) if match else None


# -- small helpers -------------------------------------------------------------------


def _text(element: etree._Element, path: str) -> str | None:
    found = element.find(path, _NS)
    if found is None or found.text is None:
        return None
    return found.text.strip() or None


def _attr(element: etree._Element, path: str, name: str) -> str | None:
    found = element.find(path, _NS)
    if found is None:
        return None
    return (found.get(name) or "").strip() or None


def _is_http(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def _range_total(content_range: str | None) -> int | None:
    match = _CONTENT_RANGE.match((content_range or "").strip())
    if match is None or match.group(3) == "*":
        return None
    return int(match.group(3))


def _number(text: str | None) -> str:
    if text is None:
        return "missing"
    return f"{int(text):,}" if text.isdigit() else repr(text)


def _relative(path: Path, root: Path) -> str:
    return str(path.relative_to(root)) if path.is_relative_to(root) else str(path)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"
