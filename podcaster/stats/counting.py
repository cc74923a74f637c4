"""Downloads counted from requests by the IAB Podcast Measurement Technical Guidelines v2.2.

A request counts toward a download when it is a ``GET`` answered 2xx (206
included) for an episode's audio, by an agent that is neither missing nor a
bot. The bytes one listener fetches of one episode on one UTC day are summed
(players fetch in ranges), and the listener is counted once, the moment the
sum reaches one minute of audio past the ID3 tag; a ``bytes=0-1`` probe
(two bytes or fewer) never adds anything. A listener is the IP address
(an IPv6 one cut to its /64 network) with the user agent, known only as a
keyed BLAKE2b digest whose key is drawn at random for each UTC day and lives
in this process's memory alone: once the run ends nobody, us included, can
tell which address or agent a digest came from, and no digest is ever kept.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
import secrets
from collections import Counter as Tally
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC
from urllib.parse import unquote, urlsplit

from podcaster.feed.public import audio_key
from podcaster.folder.catalogue import Catalogue
from podcaster.stats.agents import Agent
from podcaster.stats.logs import Parser

MINUTE = 60
PROBE_BYTES = 2  # "Range: bytes=0-1", what apps send to learn a file's size
DEFAULT_BITRATE = 128_000  # an episode whose audio was never probed: a common podcast bitrate
_HASHED_NAME = re.compile(r"-[0-9a-f]{8}(\.[A-Za-z0-9]+)$")


@dataclass(frozen=True)
class Target:
    """An episode as the counter knows it: its storage keys and the bytes one minute of it takes."""

    guid: str
    title: str
    released: str  # the UTC day it went out, YYYY-MM-DD
    keys: tuple[str, ...]
    threshold: int


def minute_threshold(size: int, duration: float, bitrate: int) -> int:
    """Bytes a listener must fetch to have one minute of audio: what precedes the audio, plus a minute of it.

    The lock file holds the size, duration and bitrate; what the audio itself
    does not fill (the ID3 tag and its artwork) is the rest of the file. A file
    shorter than a minute counts when it is fetched whole.
    """
    bitrate = bitrate or DEFAULT_BITRATE
    tag = max(0, size - int(duration * bitrate / 8)) if size and duration else 0
    needed = tag + bitrate * MINUTE // 8
    return max(PROBE_BYTES + 1, min(needed, size) if size else needed)


def targets_of(catalogue: Catalogue) -> list[Target]:
    """Every episode with known audio, and each name its audio was or is published under."""
    targets = []
    for episode in catalogue.episodes:
        media = catalogue.lock.media(episode.guid)
        keys: set[str] = set()
        if media is not None:
            keys.add(audio_key(episode, media))
        entry = catalogue.lock.episodes.get(episode.guid)
        if entry and entry.publication:
            keys.add(entry.publication.key)
            keys.add(unquote(urlsplit(entry.publication.url).path).lstrip("/"))
        if episode.audio_is_remote:
            keys.add(unquote(urlsplit(episode.audio).path).lstrip("/"))
        keys.discard("")
        if not keys:
            continue
        threshold = (
            minute_threshold(media.size, media.duration, media.bitrate)
            if media
            else minute_threshold(0, 0, 0)
        )
        released = episode.date.astimezone(UTC).date().isoformat()
        targets.append(Target(episode.guid, episode.title, released, tuple(sorted(keys)), threshold))
    return targets


class EpisodeIndex:
    """Which episode a requested path is, by its storage key or, for an older upload, the key less its hash."""

    def __init__(self, targets: Iterable[Target]) -> None:
        self.targets = list(targets)
        self.thresholds = [int(target.threshold) for target in self.targets]
        self._by_name: dict[str, list[tuple[str, int]]] = {}
        for index, target in enumerate(self.targets):
            for key in target.keys:
                for name in {key, _unhashed(key)}:
                    self._by_name.setdefault(name.rsplit("/", 1)[-1], []).append((name, index))
        self._seen: dict[str, int] = {}

    def find(self, path: str) -> int:
        """The index of the episode *path* asks for, or -1."""
        index = self._seen.get(path)
        if index is None:
            if len(self._seen) > 100_000:
                self._seen.clear()
            index = self._seen[path] = self._lookup(path)
        return index

    def _lookup(self, path: str) -> int:
        clean = unquote(path.split("?", 1)[0].split("#", 1)[0])
        for candidate in (clean, _unhashed(clean)):
            for name, index in self._by_name.get(candidate.rsplit("/", 1)[-1], ()):
                if candidate == name or candidate.endswith("/" + name):
                    return index
        return -1


def _unhashed(key: str) -> str:
    return _HASHED_NAME.sub(r"\1", key)


@dataclass
class Tallies:
    """What a run counted: downloads by day and dimension, and why the other lines were not downloads."""

    episodes: Tally[tuple[str, str]] = field(default_factory=Tally)  # (day, guid)
    apps: Tally[tuple[str, str]] = field(default_factory=Tally)
    devices: Tally[tuple[str, str]] = field(default_factory=Tally)
    countries: Tally[tuple[str, str]] = field(default_factory=Tally)
    lines: int = 0
    unreadable: int = 0
    other: int = 0  # not a GET answered 2xx for an episode's audio
    probes: int = 0
    no_agent: int = 0
    bots: int = 0
    partial: int = 0  # a listener's request that did not (yet) reach a minute, or came after the download

    @property
    def downloads(self) -> int:
        return sum(self.episodes.values())


class DownloadCounter:
    """Feed it lines; it keeps per-listener progress in memory and tallies downloads by day."""

    def __init__(
        self,
        index: EpisodeIndex,
        classify: Callable[[str], Agent],
        country: Callable[[str], str] | None = None,
    ) -> None:
        self.index = index
        self.classify = classify
        self.country = country
        self._agents: dict[str, Agent] = {}
        self._downloads: dict[tuple[str, int, Agent, str], int] = {}  # (day, episode, agent, country)
        self._counts = [0, 0, 0, 0, 0, 0, 0]  # lines, unreadable, other, probes, no agent, bots, partial
        self._keys: dict[str, hashlib._Hash] = {}  # day -> keyed digest state; memory only
        # Listener-episode-day digests (56 bits: Python's 32-byte ints; a collision among millions is
        # a few in a million) -> bytes so far, and the set of those already counted.
        self._progress: dict[int, int] = {}
        self._counted: set[int] = set()

    def feed(self, lines: list[str], parse: Parser) -> None:
        """Count *lines*, parsed by *parse*."""
        find = self.index.find
        thresholds = self.index.thresholds
        agents = self._agents
        known_agent = agents.get
        country = self.country
        downloads = self._downloads
        progress = self._progress
        so_far_of = progress.get
        counted = self._counted
        from_bytes = int.from_bytes
        keys = self._keys
        unreadable = other = probes = no_agent = bots = partial = 0
        for line in lines:
            hit = parse(line)
            if hit is None or not hit[1]:
                unreadable += 1
                continue
            ip, day, method, status, path, size, agent = hit
            if method != "GET" or status[0] != "2" or (episode := find(path)) < 0:
                other += 1
                continue
            if size <= PROBE_BYTES:
                probes += 1
                continue
            if not agent or agent == "-":
                no_agent += 1
                continue
            who = known_agent(agent)
            if who is None:
                who = self._learn(agent)
            if who.kind == "bot":
                bots += 1
                continue
            state = keys.get(day)
            if state is None:
                state = keys[day] = hashlib.blake2b(key=secrets.token_bytes(32), digest_size=7)
            digest = state.copy()
            digest.update(f"{_network(ip) if ':' in ip else ip}\n{agent}\n{episode}".encode())
            listener = from_bytes(digest.digest())
            if listener in counted:
                partial += 1
                continue
            so_far = so_far_of(listener, 0) + size
            if so_far < thresholds[episode]:
                progress[listener] = so_far
                partial += 1
                continue
            progress.pop(listener, None)
            counted.add(listener)
            key = (day, episode, who, country(ip) or "??" if country else "")
            downloads[key] = downloads.get(key, 0) + 1
        counts = self._counts
        for at, value in enumerate((len(lines), unreadable, other, probes, no_agent, bots, partial)):
            counts[at] += value

    def _learn(self, agent: str) -> Agent:
        if len(self._agents) > 200_000:  # a flood of made-up agents must not grow memory without end
            self._agents.clear()
        who = self._agents[agent] = self.classify(agent)
        return who

    @property
    def tallies(self) -> Tallies:
        """The downloads by day and dimension, and the other lines by reason, so far."""
        tallies = Tallies()
        guids = [target.guid for target in self.index.targets]
        for (day, episode, who, country), count in self._downloads.items():
            tallies.episodes[day, guids[episode]] += count
            tallies.apps[day, who.name] += count
            tallies.devices[day, who.device] += count
            if country:
                tallies.countries[day, country] += count
        (
            tallies.lines,
            tallies.unreadable,
            tallies.other,
            tallies.probes,
            tallies.no_agent,
            tallies.bots,
            tallies.partial,
        ) = self._counts
        return tallies

    def forget(self) -> None:
        """Destroy the day keys and every listener's progress: nothing can be linked to anyone any more."""
        self._keys.clear()
        self._progress.clear()
        self._counted.clear()


def _network(ip: str) -> str:
    """An IPv6 address cut to its /64: one household or phone whose low bits change by the hour."""
    if "::" not in ip and "." not in ip:
        groups = ip.split(":")
        if len(groups) == 8:
            return ":".join(group.rjust(4, "0") for group in groups[:4]).lower()
    try:
        return ipaddress.IPv6Address(ip).exploded[:19]
    except ValueError:
        return ip
