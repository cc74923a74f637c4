"""Read single values as real feeds write them: elements under any spelling of their namespace,
relative URLs, dates in several languages, durations in several forms, yes/no, keyword lists.

:mod:`podcaster.importing.items` decides what each element means; this module only reads it.
"""

from __future__ import annotations

import email.utils
import math
import re
from datetime import UTC, datetime, timedelta, timezone
from urllib.parse import urljoin, urlsplit

from lxml import etree

# Namespaces by the prefix used here; feeds write some of them with odd capitals or old URLs.
_NAMESPACES = {
    "http://www.itunes.com/dtds/podcast-1.0.dtd": "itunes",
    "https://podcastindex.org/namespace/1.0": "podcast",
    "https://github.com/podcastindex-org/podcast-namespace/blob/main/docs/1.0.md": "podcast",
    "http://purl.org/rss/1.0/modules/content/": "content",
    "http://www.w3.org/2005/atom": "atom",
    "http://purl.org/dc/elements/1.1/": "dc",
    "http://search.yahoo.com/mrss/": "media",
    "http://www.google.com/schemas/play-podcasts/1.0": "googleplay",
}
_PREFIXES = {uri.lower().rstrip("/"): prefix for uri, prefix in _NAMESPACES.items()}
# Feeds that write itunes:… or podcast:… without declaring the prefix: apps read those elements by
# their usual prefix, and so does the import (source.py declares them; a tag lxml still reads as
# literally "itunes:episodeType" is mapped here).
USUAL_NAMESPACES = {prefix: uri for uri, prefix in reversed(_NAMESPACES.items())}
USUAL_NAMESPACES["atom"] = "http://www.w3.org/2005/Atom"
_USUAL_PREFIXES = frozenset(USUAL_NAMESPACES)

# The most text a field may hold. No real feed comes near (a three-hour transcript pasted into the
# notes is about 200,000 characters; titles, GUIDs and URLs are under a few thousand); a feed over
# them is refused, naming the item and the field, rather than read in part.
NOTES_LIMIT = 5_000_000
TEXT_LIMIT = 100_000
ATTRIBUTE_LIMIT = 1_000_000  # some feeds inline a small image as a data: URL
_NOTES_FIELDS = frozenset({"description", "encoded", "summary", "subtitle"})

_ZONES = {
    "UT": 0, "UTC": 0, "GMT": 0, "Z": 0, "WET": 0, "WEST": 60, "BST": 60, "CET": 60, "CEST": 120,
    "MET": 60, "MEST": 120, "EET": 120, "EEST": 180, "MSK": 180, "EST": -300, "EDT": -240,
    "CST": -360, "CDT": -300, "MST": -420, "MDT": -360, "PST": -480, "PDT": -420, "AKST": -540,
    "AKDT": -480, "HST": -600, "JST": 540, "KST": 540, "AEST": 600, "AEDT": 660, "ACST": 570,
    "AWST": 480, "NZST": 720, "NZDT": 780,
}  # fmt: skip
_MONTHS = {
    "jan": 1, "janv": 1, "janvier": 1, "january": 1, "feb": 2, "fev": 2, "févr": 2, "fevr": 2,
    "février": 2, "fevrier": 2, "february": 2, "mar": 3, "mars": 3, "march": 3, "apr": 4, "avr": 4,
    "avril": 4, "april": 4, "may": 5, "mai": 5, "jun": 6, "juin": 6, "june": 6, "jul": 7, "juil": 7,
    "juillet": 7, "july": 7, "aug": 8, "août": 8, "aout": 8, "august": 8, "sep": 9, "sept": 9,
    "septembre": 9, "september": 9, "oct": 10, "octobre": 10, "october": 10, "nov": 11,
    "novembre": 11, "november": 11, "dec": 12, "déc": 12, "décembre": 12, "decembre": 12,
    "december": 12,
}  # fmt: skip
_LOOSE_DATE = re.compile(
    r"""^(?:[^\W\d]+\.?,?\s+)?                         # a weekday, in any language
        (?:(?P<day>\d{1,2})[\s./-]+(?P<month>[^\W\d]+)\.?|(?P<month2>[^\W\d]+)\.?\s+(?P<day2>\d{1,2}),?)
        [\s./-]+(?P<year>\d{4}|\d{2})
        (?:[\sT,]+(?:à\s+)?(?P<hour>\d{1,2})[:h](?P<minute>\d{2})(?::(?P<second>\d{2})(?:[.,]\d+)?)?)?
        \s*(?:(?P<sign>[+-])(?P<oh>\d{1,2}):?(?P<om>\d{2})?|(?P<zone>[A-Za-z]{1,5}))?
        (?:\s*\(.*\))?\s*$""",
    re.VERBOSE | re.IGNORECASE,
)
_CLOCK = re.compile(r"^(?:(\d+):)?(\d+):(\d+(?:[.,]\d+)?)$")
_UNITS = re.compile(
    r"^(?:(\d+)\s*h)?\s*(?:(\d+)\s*m(?:in)?)?\s*(?:(\d+(?:\.\d+)?)\s*s(?:ec)?)?$", re.IGNORECASE
)
MAX_DURATION = 1_000_000.0  # seconds: eleven days and a half, longer than any episode
_TRUE = {"yes", "true", "explicit", "1"}
_FALSE = {"no", "false", "clean", "0"}


class Node:
    """An element's children by (namespace prefix, local name), read once."""

    def __init__(self, element: etree._Element) -> None:
        self.element = element
        self.children: dict[tuple[str, str], list[etree._Element]] = {}
        for child in element:
            if not isinstance(child.tag, str):
                continue  # entities, comments
            self.children.setdefault(split_tag(child.tag), []).append(child)

    def all(self, prefix: str, name: str) -> list[etree._Element]:
        return self.children.get((prefix, name), [])

    def first(self, prefix: str, name: str) -> etree._Element | None:
        found = self.children.get((prefix, name))
        return found[0] if found else None

    def markup(self, prefix: str, name: str) -> str | None:
        """Text that may hold HTML: escaped or in CDATA, or written as XML elements (XHTML) inside."""
        element = self.first(prefix, name)
        if element is None:
            return None
        if len(element) == 0:
            return (element.text or "").strip() or None
        parts = [element.text or ""]
        parts += [
            etree.tostring(child, encoding="unicode", method="html", with_tail=True) for child in element
        ]
        return "".join(parts).strip() or None

    def text(self, prefix: str, name: str) -> str | None:
        element = self.first(prefix, name)
        if element is None:
            return None
        text = "".join(element.itertext()).strip()
        return text or None

    def attribute(self, prefix: str, name: str, attribute: str) -> str | None:
        element = self.first(prefix, name)
        value = element.get(attribute) if element is not None else None
        return value.strip() if value and value.strip() else None


def split_tag(tag: str) -> tuple[str, str]:
    """(prefix as used here, local name) of ``{namespace}name``, ``name`` or an undeclared ``prefix:name``."""
    if tag.startswith("{"):
        namespace, _, local = tag[1:].partition("}")
        return _PREFIXES.get(namespace.lower().rstrip("/"), namespace), local
    prefix, colon, local = tag.partition(":")
    if not colon:
        return "", tag
    lowered = prefix.lower()
    return (lowered if lowered in _USUAL_PREFIXES else f"{prefix}:"), local


def local_name(element: etree._Element) -> str:
    """The element's name without its namespace; "" for a comment or an entity."""
    return split_tag(element.tag)[1] if isinstance(element.tag, str) else ""


def field_name(element: etree._Element) -> str:
    """The element's name as feeds write it: ``title``, ``content:encoded``."""
    prefix, local = split_tag(element.tag)
    return f"{prefix}:{local}" if prefix and not prefix.endswith(":") and "/" not in prefix else local


def oversized_field(element: etree._Element) -> str | None:
    """What in *element* (a child of the channel or of an item) goes past the limits, said plainly."""
    _prefix, local = split_tag(element.tag) if isinstance(element.tag, str) else ("", "")
    limit = NOTES_LIMIT if local in _NOTES_FIELDS else TEXT_LIMIT
    length = sum(len(text) for text in element.itertext())
    if length > limit:
        return f"<{field_name(element)}> holds {length:,} characters, over the {limit:,} podcaster takes"
    for descendant in element.iter():
        for key, value in descendant.attrib.items():
            if len(value) > ATTRIBUTE_LIMIT:
                return (
                    f"the {key} of <{field_name(descendant)}> holds {len(value):,} characters, "
                    f"over the {ATTRIBUTE_LIMIT:,} podcaster takes"
                )
    return None


def absolute_url(value: str | None, base: str | None, element: etree._Element | None = None) -> str | None:
    """An absolute http(s) URL from what the feed wrote, resolving relative ones (and xml:base)."""
    if not value:
        return None
    value = value.strip()
    element_base = element.base if element is not None else None
    try:
        if element_base and element_base.startswith(("http://", "https://")):
            base = urljoin(base or "", element_base)
        absolute = urljoin(base, value) if base else value
        parts = urlsplit(absolute)
        _port = parts.port  # raises on a port that is not a number
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return absolute


def url_problem(value: str | None, base: str | None) -> str | None:
    """Why an http(s) URL the feed wrote cannot be used (``http://[::1/x.mp3``), or None."""
    if not value or not value.strip():
        return None
    value = value.strip()
    try:
        parts = urlsplit(urljoin(base, value) if base else value)
        _port = parts.port
    except ValueError as error:
        return f"{value!r} is not a valid URL ({error})"
    if parts.scheme in ("http", "https") and not parts.hostname:
        return f"{value!r} is not a valid URL (no host)"
    return None


def parse_keywords(text: str | None) -> tuple[str, ...]:
    """``a, b,a`` → ``("a", "b")``."""
    if not text:
        return ()
    return tuple(dict.fromkeys(word.strip() for word in text.split(",") if word.strip()))


def parse_explicit(text: str | None) -> bool | None:
    """``itunes:explicit`` in any of its spellings; ``None`` when it says nothing readable."""
    if text is None:
        return None
    value = text.strip().lower()
    return True if value in _TRUE else False if value in _FALSE else None


def parse_rss_person(text: str | None) -> tuple[str | None, str | None]:
    """``podcast@example.org (Jeanne Dupont)`` → (email, name)."""
    if not text:
        return None, None
    name, address = email.utils.parseaddr(text)
    if "@" not in address:
        return None, None
    match = re.search(r"\(([^)]+)\)", text)
    return address, (match.group(1).strip() if match else name or None)


def parse_date(text: str) -> tuple[datetime | None, str | None]:
    """An aware datetime from an RFC 822 date as feeds really write them, and a note when it guessed."""
    cleaned = " ".join(text.split())
    try:
        parsed = datetime.fromisoformat(cleaned.replace("Z", "+00:00") if cleaned.endswith("Z") else cleaned)
    except ValueError:
        parsed = None
    if parsed is not None:
        if parsed.tzinfo is None:
            return parsed.replace(tzinfo=UTC), f"the date {text!r} has no time zone; UTC assumed"
        return parsed, None
    zone_note = None
    try:
        parsed = email.utils.parsedate_to_datetime(cleaned)
    except (TypeError, ValueError, IndexError):
        parsed = None
    if parsed is not None and parsed.tzinfo is not None:
        return parsed, None
    match = _LOOSE_DATE.match(cleaned)
    if match is None:
        return None, None
    month_name = (match.group("month") or match.group("month2") or "").lower().rstrip(".")
    month = _MONTHS.get(month_name) or _MONTHS.get(month_name[:3])
    if month is None:
        return None, None
    year = int(match.group("year"))
    if year < 100:
        year += 2000 if year < 70 else 1900
    offset: timedelta | None
    if match.group("sign"):
        hours, minutes = int(match.group("oh")), int(match.group("om") or 0)
        offset = timedelta(hours=hours, minutes=minutes) * (-1 if match.group("sign") == "-" else 1)
    elif match.group("zone"):
        minutes_east = _ZONES.get(match.group("zone").upper())
        if minutes_east is None:
            return None, None
        offset = timedelta(minutes=minutes_east)
    else:
        offset = timedelta(0)
        zone_note = f"the date {text!r} has no time zone; UTC assumed"
    try:
        value = datetime(
            year,
            month,
            int(match.group("day") or match.group("day2")),
            int(match.group("hour") or 0),
            int(match.group("minute") or 0),
            int(match.group("second") or 0),
            tzinfo=timezone(offset),
        )
    except ValueError:
        return None, None
    return value, zone_note


def parse_duration(text: str) -> float | None:
    """Seconds from ``itunes:duration``: ``2105``, ``35:05``, ``0:35:05``, ``35:05.5`` or ``35m 5s``."""
    seconds = _duration(text)
    # Infinity, or years of audio, is no duration: it would break whatever computes with it.
    return seconds if seconds is not None and math.isfinite(seconds) and seconds <= MAX_DURATION else None


def _duration(text: str) -> float | None:
    value = text.strip()
    if not value:
        return None
    try:
        seconds = float(value.replace(",", "."))
        return seconds if seconds >= 0 else None
    except ValueError:
        pass
    match = _CLOCK.match(value)
    if match:
        hours, minutes, seconds_text = match.groups()
        return int(hours or 0) * 3600 + int(minutes) * 60 + float(seconds_text.replace(",", "."))
    match = _UNITS.match(value)
    if match and any(match.groups()):
        hours, minutes, seconds_text = match.groups()
        return int(hours or 0) * 3600 + int(minutes or 0) * 60 + float(seconds_text or 0)
    return None
