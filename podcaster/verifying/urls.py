"""Every URL a feed names, fetched concurrently as a crawler would: enclosures, artwork, transcripts, chapters."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from functools import partial

from podcaster.feed.podcastindex import CHAPTERS_TYPE
from podcaster.net import Answer, Client, FetchError, media_type
from podcaster.verifying.document import FeedItem
from podcaster.verifying.report import (
    Check,
    Finding,
    Findings,
    Level,
    VerifySettings,
    is_http,
    redirect_notes,
)

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
_CONTENT_RANGE = re.compile(r"bytes\s+(\d+)-(\d+)/(\d+|\*)$")
_MAGIC = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"GIF8", "image/gif"),
)

UrlCheck = tuple[str, Callable[[], list[Finding]]]


def url_checks(
    artwork: list[str], items: list[FeedItem], crawler: Client, settings: VerifySettings
) -> list[UrlCheck]:
    """One check per distinct URL, in the order of the feed."""
    tasks: dict[str, Callable[[], list[Finding]]] = {}

    def add(url: str, check: Callable[[], list[Finding]]) -> None:
        if url and is_http(url) and url not in tasks:
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


def run_checks(tasks: list[UrlCheck], settings: VerifySettings, out: Findings) -> None:
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


def _check_enclosure(crawler: Client, url: str, length: int, kind: str) -> list[Finding]:
    out = Findings()

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
        redirect_notes(head, Check.ENCLOSURE, out)
        if head.status != 200:
            error(f"HEAD answered {head.status}, expected 200")
    if ranged is not None:
        if head is None:
            redirect_notes(ranged, Check.ENCLOSURE, out)
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


def _check_image(crawler: Client, url: str, settings: VerifySettings) -> list[Finding]:
    out = Findings()
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


def _check_transcript(crawler: Client, url: str, declared: str, settings: VerifySettings) -> list[Finding]:
    out = Findings()
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


def _check_chapters(crawler: Client, url: str, settings: VerifySettings) -> list[Finding]:
    out = Findings()
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


def _get(crawler: Client, url: str, check: Check, limit: int, out: Findings) -> Answer | None:
    """GET *url*; None (with the finding recorded) unless it answered 200."""
    try:
        answer = crawler.fetch(url, limit=limit)
    except FetchError as failure:
        out.add(Level.ERROR, check, url, f"GET failed: {failure.args[0]}")
        return None
    redirect_notes(answer, check, out)
    if answer.status != 200:
        out.add(Level.ERROR, check, url, f"GET answered {answer.status}, expected 200")
        return None
    return answer


def _range_total(content_range: str | None) -> int | None:
    match = _CONTENT_RANGE.match((content_range or "").strip())
    if match is None or match.group(3) == "*":
        return None
    return int(match.group(3))


def _number(text: str | None) -> str:
    if text is None:
        return "missing"
    return f"{int(text):,}" if text.isdigit() else repr(text)
