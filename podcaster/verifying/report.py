"""What verify found: findings at URLs (or files), and the report of one feed."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from urllib.parse import urlsplit

from podcaster.net import Answer


class Level(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


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
    def infos(self) -> list[Finding]:
        return [finding for finding in self.findings if finding.level is Level.INFO]

    @property
    def summary(self) -> str:
        if self.unreachable is not None:
            return f"{self.feed_url} could not be reached: {self.unreachable}"
        counts = [_plural(len(self.errors), "error"), _plural(len(self.warnings), "warning")]
        if self.infos:
            counts.append(f"{len(self.infos)} info")
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


@dataclass
class Findings:
    """Findings in the order they are made; each check (and thread) fills its own."""

    findings: list[Finding] = field(default_factory=list)

    def add(self, level: Level, check: Check, where: str, message: str) -> None:
        self.findings.append(Finding(level, check, where, message))


def redirect_notes(answer: Answer, check: Check, out: Findings) -> None:
    """A note for each permanent redirect: apps replace the URL they know with the new one."""
    for hop in answer.redirects:
        if hop.permanent:
            out.add(
                Level.INFO,
                check,
                hop.source,
                f"moved permanently ({hop.status}) to {hop.target}: apps will use the new URL from now on",
            )


def is_http(url: str) -> bool:
    try:
        parts = urlsplit(url)
        _port = parts.port  # raises on a port that is not a number
    except ValueError:  # http://[::1/x.mp3
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"
