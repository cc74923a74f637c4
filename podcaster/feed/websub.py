"""Tell WebSub hubs that feeds changed, so the apps subscribed through them refresh at once.

A publisher ping is a form POST of ``hub.mode=publish`` and ``hub.url=<feed URL>``
(the convention PubSubHubbub hubs, Google's included, follow; WebSub itself
leaves the publisher's ping to the hub). A hub that cannot be reached or says
no is a warning: the feeds are already online, and apps that poll will see them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from urllib.parse import urlencode

from podcaster.errors import Problem, Severity
from podcaster.models import Show, season_number
from podcaster.net import Answer, Client, FetchError

TIMEOUT = 10.0
USER_AGENT = "podcaster-websub/0.1"


def feed_urls(show: Show, keys: Iterable[str]) -> list[str]:
    """The public URLs of the feeds among storage *keys* (``feed.xml``, ``saison-N.xml``)."""
    urls = []
    for key in keys:
        if key == "feed.xml":
            urls.append(show.urls.feed)
        elif key.endswith(".xml") and (number := season_number(key)) is not None:
            urls.append(show.urls.season_feed_url(number))
    return urls


def ping(hub: str, topic: str, *, timeout: float = TIMEOUT) -> Answer:
    """POST one publish notification; raise FetchError when the hub cannot be reached."""
    # The hubs are the producer's own choice in podcast.toml (checked to be http(s) there), possibly
    # on their own network: private addresses are allowed.
    client = Client(user_agent=USER_AGENT, timeout=timeout, allow_private=True)
    return client.fetch(
        hub,
        method="POST",
        data=urlencode({"hub.mode": "publish", "hub.url": topic}).encode("ascii"),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        limit=65536,
    )


def ping_hubs(hubs: Sequence[str], topics: Sequence[str], *, timeout: float = TIMEOUT) -> list[Problem]:
    """Ping every hub for every topic; return a warning for each ping that failed."""
    warnings = []
    for hub in hubs:
        for topic in topics:
            try:
                answer = ping(hub, topic, timeout=timeout)
            except FetchError as error:
                warnings.append(_warning(hub, topic, f"the hub could not be reached ({error.args[0]})"))
                continue
            if not 200 <= answer.status < 300:
                warnings.append(_warning(hub, topic, f"the hub answered {answer.status} {answer.reason}"))
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
