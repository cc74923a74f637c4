"""Tell WebSub hubs that feeds changed, so the apps subscribed through them refresh at once.

A publisher ping is a form POST of ``hub.mode=publish`` and ``hub.url=<feed URL>``
(the convention PubSubHubbub hubs, Google's included, follow; WebSub itself
leaves the publisher's ping to the hub). A hub that cannot be reached or says
no is a warning: the feeds are already online, and apps that poll will see them.
"""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from collections.abc import Iterable, Sequence
from urllib.parse import urlencode

from podcaster.errors import Problem, Severity
from podcaster.models import Show

TIMEOUT = 10.0
USER_AGENT = "podcaster-websub/0.1"
_SEASON_FEED = re.compile(r"^saison-(\d+)\.xml$")


def feed_urls(show: Show, keys: Iterable[str]) -> list[str]:
    """The public URLs of the feeds among storage *keys* (``feed.xml``, ``saison-N.xml``)."""
    urls = []
    for key in keys:
        if key == "feed.xml":
            urls.append(show.urls.feed)
        elif match := _SEASON_FEED.match(key):
            urls.append(show.urls.season_feed_url(int(match.group(1))))
    return urls


def ping(hub: str, topic: str, *, timeout: float = TIMEOUT) -> None:
    """POST one publish notification; raise OSError (or a subclass) when the hub does not accept it."""
    body = urlencode({"hub.mode": "publish", "hub.url": topic}).encode("ascii")
    request = urllib.request.Request(
        hub,
        data=body,
        method="POST",
        headers={"Content-Type": "application/x-www-form-urlencoded", "User-Agent": USER_AGENT},
    )
    # Hub URLs are checked to be http(s) when podcast.toml is loaded.
    with urllib.request.urlopen(request, timeout=timeout) as response:
        response.read(65536)


def ping_hubs(hubs: Sequence[str], topics: Sequence[str], *, timeout: float = TIMEOUT) -> list[Problem]:
    """Ping every hub for every topic; return a warning for each ping that failed."""
    warnings = []
    for hub in hubs:
        for topic in topics:
            try:
                ping(hub, topic, timeout=timeout)
            except urllib.error.HTTPError as error:
                error.close()
                warnings.append(_warning(hub, topic, f"the hub answered {error.code} {error.reason}"))
            except (urllib.error.URLError, OSError, ValueError) as error:
                reason = getattr(error, "reason", None) or error
                warnings.append(_warning(hub, topic, f"the hub could not be reached ({reason})"))
    return warnings


def announce(
    show: Show, uploaded_keys: Iterable[str], *, timeout: float = TIMEOUT
) -> tuple[list[str], list[Problem]]:
    """Ping the show's hubs for each feed just uploaded; return the feeds announced and the warnings."""
    topics = feed_urls(show, uploaded_keys)
    if not show.hubs or not topics:
        return [], []
    return topics, ping_hubs(show.hubs, topics, timeout=timeout)


def _warning(hub: str, topic: str, reason: str) -> Problem:
    return Problem(
        hub,
        f"WebSub ping for {topic} failed: {reason}; the feed is published, apps will see it when they poll",
        None,
        Severity.WARNING,
    )
