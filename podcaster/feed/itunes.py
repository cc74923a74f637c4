"""feedgen's iTunes extension pair, writing ``itunes:explicit`` as Apple's current true/false.

feedgen only knows the old yes/no/clean values, which Apple no longer lists.
"""

from __future__ import annotations

# feedgen.util uses lxml.etree without importing it: it must be imported first.
from lxml.etree import SubElement, _Element

# isort: split
from feedgen.ext.podcast import PodcastExtension
from feedgen.ext.podcast_entry import PodcastEntryExtension

__all__ = ["ITUNES_NS", "ItunesEntryExtension", "ItunesExtension"]

ITUNES_NS = "http://www.itunes.com/dtds/podcast-1.0.dtd"
_ITUNES_EXPLICIT = f"{{{ITUNES_NS}}}explicit"


class ItunesExtension(PodcastExtension):
    """feedgen's iTunes channel extension, with ``itunes:explicit`` as true/false."""

    def __init__(self) -> None:
        super().__init__()
        self._explicit: bool | None = None

    def set_explicit(self, explicit: bool | None) -> None:
        self._explicit = explicit

    def extend_rss(self, rss_feed: _Element) -> _Element:
        super().extend_rss(rss_feed)
        if self._explicit is not None:
            SubElement(rss_feed[0], _ITUNES_EXPLICIT).text = "true" if self._explicit else "false"
        return rss_feed


class ItunesEntryExtension(PodcastEntryExtension):
    """feedgen's iTunes item extension, with ``itunes:explicit`` as true/false."""

    def __init__(self) -> None:
        super().__init__()
        self._explicit: bool | None = None

    def set_explicit(self, explicit: bool | None) -> None:
        self._explicit = explicit

    def extend_rss(self, item: _Element) -> _Element:
        super().extend_rss(item)
        if self._explicit is not None:
            SubElement(item, _ITUNES_EXPLICIT).text = "true" if self._explicit else "false"
        return item
