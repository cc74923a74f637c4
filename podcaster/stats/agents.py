"""Who asked: a user agent named as an app, a device and a kind, from opawg's user-agents-v2 patterns.

The patterns (MIT, vendored in ``data/opawg/`` with their licence and source
note) are tried as their README says: ``bots``, then ``apps``, ``libraries``
and ``browsers``, the first entry matching wins; devices only for what is not
a bot. A library opawg marks ``category: bot`` (curl-like HTTP clients) is a
bot; the others are media players apps use (AppleCoreMedia, ExoPlayer) and
stay listeners. An agent nobody knows that calls itself a bot, crawler or
spider is a bot too.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

PATTERN_FILES = ("bots", "apps", "libraries", "browsers")
UNKNOWN = "unknown"
_SELF_DECLARED_BOT = re.compile(r"bot|crawl|spider", re.IGNORECASE)


@dataclass(frozen=True)
class Agent:
    """What a user agent is: ``kind`` is bot, app, library, browser or unknown."""

    kind: str
    name: str
    device: str = UNKNOWN
    device_category: str = UNKNOWN

    @property
    def is_bot(self) -> bool:
        return self.kind == "bot"


@dataclass(frozen=True)
class _Entry:
    name: str
    pattern: re.Pattern[str]
    category: str | None


def pattern_file(name: str) -> dict[str, Any]:
    """One of the vendored opawg pattern files, as JSON."""
    text = (
        resources.files("podcaster.stats")
        .joinpath("data")
        .joinpath("opawg")
        .joinpath(f"{name}.json")
        .read_text("utf-8")
    )
    document: dict[str, Any] = json.loads(text)
    return document


@cache
def _entries(name: str) -> tuple[_Entry, ...]:
    return tuple(
        _Entry(str(raw["name"]), re.compile(raw["pattern"]), raw.get("category"))
        for raw in pattern_file(name)["entries"]
    )


def _first(name: str, text: str) -> _Entry | None:
    for entry in _entries(name):
        if entry.pattern.search(text):
            return entry
    return None


def classify(user_agent: str) -> Agent:
    """Name *user_agent* the way opawg's README says every implementation must."""
    text = user_agent.replace("\r", "").replace("\n", "")
    for kind in PATTERN_FILES:
        entry = _first(kind, text)
        if entry is None:
            continue
        if kind == "bots" or (kind == "libraries" and entry.category == "bot"):
            return Agent("bot", entry.name)
        return _with_device(Agent(kind.rstrip("s").replace("librarie", "library"), entry.name), text)
    if not text.strip() or _SELF_DECLARED_BOT.search(text):
        return Agent("bot", UNKNOWN)
    return _with_device(Agent(UNKNOWN, UNKNOWN), text)


def _with_device(agent: Agent, text: str) -> Agent:
    device = _first("devices", text)
    if device is None:
        return agent
    return Agent(agent.kind, agent.name, device.name, device.category or UNKNOWN)


def referrer(referer: str) -> str | None:
    """The web app or hosting player a ``Referer`` names, if opawg knows it."""
    entry = _first("referrers", referer.replace("\r", "").replace("\n", ""))
    return entry.name if entry else None
