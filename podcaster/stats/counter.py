"""Downloads counted from requests by the IAB Podcast Measurement Technical Guidelines v2.2.

A request counts toward a download when it is a ``GET`` answered 2xx (206
included) for an episode's audio, by an agent that is neither missing nor a
bot; a ``bytes=0-1`` probe (two bytes or fewer) never counts. The bytes one
listener fetches of one episode on one UTC day are summed (players fetch in
ranges), and make one download when they reach one minute of audio past the
ID3 tag. A listener is the IP address (an IPv6 one cut to its /64 network)
with the user agent, known only as a keyed BLAKE2b digest whose key is drawn
at random for each UTC day and lives in this process's memory alone: once
the run ends nobody, us included, can tell which address or agent a digest
came from, and no digest is ever kept.

Each accepted request is a row of flat arrays (digest, bytes, day, episode,
agent, country: 26 bytes, no Python object per request); :attr:`tallies`
sums them by digest with numpy. A dict of per-listener progress would cost
some 200 bytes a listener, ten times as much.
"""

from __future__ import annotations

import hashlib
import ipaddress
import secrets
from array import array
from collections import Counter as Tally
from collections.abc import Callable
from dataclasses import dataclass, field

from podcaster.stats.agents import Agent
from podcaster.stats.counting import PROBE_BYTES, EpisodeIndex
from podcaster.stats.logs import Parser

NO_COUNTRY = "??"


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
    partial: int = 0  # requests by listeners that were one more range, a repeat, or less than a minute

    @property
    def downloads(self) -> int:
        return sum(self.episodes.values())


class DownloadCounter:
    """Feed it lines; it keeps the listeners' requests in memory, as digests, and tallies downloads by day."""

    def __init__(
        self,
        index: EpisodeIndex,
        classify: Callable[[str], Agent],
        country: Callable[[str], str] | None = None,
    ) -> None:
        self.index = index
        self.classify = classify
        self.country = country
        self._agents: dict[str, int] = {}  # user agent -> its number in _named; forgotten with the run
        self._named: list[Agent] = []
        self._days: dict[str, int] = {}
        self._countries: dict[str, int] = {NO_COUNTRY: 0}
        self._keys: dict[str, hashlib.blake2b] = {}  # day -> keyed digest state; memory only
        self._new_columns()
        self._counts = [0, 0, 0, 0, 0, 0]  # lines, unreadable, other, probes, no agent, bots

    def _new_columns(self) -> None:
        self._digests = array("Q")
        self._sizes = array("q")
        self._day_of = array("H")
        self._episode_of = array("H")
        self._agent_of = array("I")
        self._country_of = array("H")

    def feed(self, lines: list[str], parse: Parser) -> None:
        """Count *lines*, parsed by *parse*."""
        find = self.index.find
        agent_number = self._agents.get
        named = self._named
        days = self._days
        countries = self._countries
        country = self.country
        keys = self._keys
        add_digest, add_size = self._digests.append, self._sizes.append
        add_day, add_episode = self._day_of.append, self._episode_of.append
        add_agent, add_country = self._agent_of.append, self._country_of.append
        from_bytes = int.from_bytes
        unreadable = other = probes = no_agent = bots = 0
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
            number = agent_number(agent)
            if number is None:
                number = self._learn(agent)
            if named[number].kind == "bot":
                bots += 1
                continue
            state = keys.get(day)
            if state is None:
                state = keys[day] = hashlib.blake2b(key=secrets.token_bytes(32), digest_size=8)
                days[day] = len(days)
            digest = state.copy()
            digest.update(f"{_network(ip) if ':' in ip else ip}\n{agent}\n{episode}".encode())
            add_digest(from_bytes(digest.digest()))
            add_size(size)
            add_day(days[day])
            add_episode(episode)
            add_agent(number)
            if country is None:
                add_country(0)
            else:
                code = country(ip) or NO_COUNTRY
                add_country(countries.setdefault(code, len(countries)))
        counts = self._counts
        for at, value in enumerate((len(lines), unreadable, other, probes, no_agent, bots)):
            counts[at] += value

    def _learn(self, agent: str) -> int:
        number = self._agents[agent] = len(self._named)
        self._named.append(self.classify(agent))
        return number

    @property
    def tallies(self) -> Tallies:
        """Downloads by day and dimension, and the other lines by reason, so far.

        Requests are grouped by digest (listener, episode, day); a group whose
        bytes reach the episode's minute is one download, named after its first
        request's agent and country.
        """
        # numpy is loaded when logs are counted, not by every process that imports stats (the site).
        import numpy as np

        tallies = Tallies()
        tallies.lines, tallies.unreadable, tallies.other, tallies.probes, tallies.no_agent, tallies.bots = (
            self._counts
        )
        digests = np.frombuffer(self._digests, dtype=np.uint64)
        if not len(digests):
            return tallies
        order = np.argsort(digests, kind="stable")
        ordered = digests[order]
        starts = np.flatnonzero(np.concatenate(([True], ordered[1:] != ordered[:-1])))
        sums = np.add.reduceat(np.frombuffer(self._sizes, dtype=np.int64)[order], starts)
        first = order[starts]
        episodes = np.frombuffer(self._episode_of, dtype=np.uint16)[first]
        thresholds = np.asarray(self.index.thresholds, dtype=np.int64)
        downloads = first[sums >= thresholds[episodes]]
        tallies.partial = len(digests) - len(downloads)
        # One int64 code per download (day, episode, agent, country), so one 1-D unique counts them all.
        widths = (len(self.index.targets), len(self._named), len(self._countries))
        code = np.frombuffer(self._day_of, dtype=np.uint16)[downloads].astype(np.int64)
        for width, column in zip(widths, (self._episode_of, self._agent_of, self._country_of), strict=True):
            kind = np.uint32 if column.typecode == "I" else np.uint16
            code = code * width + np.frombuffer(column, dtype=kind)[downloads].astype(np.int64)
        unique, counts = np.unique(code, return_counts=True)
        day_names = list(self._days)
        guids = [target.guid for target in self.index.targets]
        country_names = list(self._countries)
        for packed, count in zip(unique.tolist(), counts.tolist(), strict=True):
            packed, country = divmod(packed, widths[2])
            packed, agent = divmod(packed, widths[1])
            day, episode = divmod(packed, widths[0])
            name = day_names[day]
            who = self._named[agent]
            tallies.episodes[name, guids[episode]] += count
            tallies.apps[name, who.name] += count
            tallies.devices[name, who.device] += count
            if self.country is not None:
                tallies.countries[name, country_names[country]] += count
        return tallies

    def forget(self) -> None:
        """Destroy the day keys, the agents seen and every digest: nothing links to anyone any more."""
        self._keys.clear()
        self._agents.clear()
        self._new_columns()  # fresh arrays: the old ones may still be lent to numpy views


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
