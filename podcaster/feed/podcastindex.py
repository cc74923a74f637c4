"""The Podcasting 2.0 ``podcast:`` namespace as a feedgen extension pair.

feedgen extensions are two classes: one for the channel, one for each item.
feedgen instantiates them when they are registered with
``FeedGenerator.register_extension(name, feed_class, entry_class)``, asks the
channel class once for its namespace (``extend_ns``) and calls ``extend_rss``
on each instance while it builds the document. These classes follow that
protocol (the one ``feedgen.ext.base.BaseExtension`` spells out) without
importing feedgen, so that only :mod:`podcaster.feed.rss` depends on it.

Register them under a name other than ``podcast``, which feedgen's own iTunes
extension already uses::

    fg.register_extension(EXTENSION_NAME, PodcastIndexExtension, PodcastIndexEntryExtension)
    fg.podcastindex.set_guid(show.podcast_guid)
    entry.podcastindex.set_season(2, "Habiter la banlieue")

Spec: https://podcastindex.org/namespace/1.0
"""

from __future__ import annotations

from lxml.etree import SubElement, _Element

from podcaster.models import Funding, Location, Person, Transcript

EXTENSION_NAME = "podcastindex"
PODCAST_NS = "https://podcastindex.org/namespace/1.0"
CHAPTERS_TYPE = "application/json+chapters"

# Qualified names built once: the entry extension runs for every item.
_GUID = f"{{{PODCAST_NS}}}guid"
_LOCKED = f"{{{PODCAST_NS}}}locked"
_LOCATION = f"{{{PODCAST_NS}}}location"
_FUNDING = f"{{{PODCAST_NS}}}funding"
_PERSON = f"{{{PODCAST_NS}}}person"
_MEDIUM = f"{{{PODCAST_NS}}}medium"
_SEASON = f"{{{PODCAST_NS}}}season"
_EPISODE = f"{{{PODCAST_NS}}}episode"
_TRANSCRIPT = f"{{{PODCAST_NS}}}transcript"
_CHAPTERS = f"{{{PODCAST_NS}}}chapters"


def _add_person(parent: _Element, person: Person) -> None:
    element = SubElement(parent, _PERSON)
    element.text = person.name
    element.set("role", person.role)
    element.set("group", person.group)
    if person.href:
        element.set("href", person.href)
    if person.img:
        element.set("img", person.img)


def _add_location(parent: _Element, location: Location) -> None:
    element = SubElement(parent, _LOCATION)
    element.text = location.name
    if location.geo:
        element.set("geo", location.geo)
    if location.osm:
        element.set("osm", location.osm)


class PodcastIndexExtension:
    """Channel-level ``podcast:`` tags: guid, locked, location, funding, person, medium."""

    def __init__(self) -> None:
        self._guid: str | None = None
        self._locked: tuple[bool, str | None] | None = None
        self._location: Location | None = None
        self._funding: list[Funding] = []
        self._persons: list[Person] = []
        self._medium: str | None = None

    def set_guid(self, guid: str) -> None:
        self._guid = guid

    def set_locked(self, locked: bool, owner: str | None = None) -> None:
        """Say whether other hosting platforms may import the feed; *owner* is the email to ask.

        Without an owner the tag is left out: the Podcast Index cannot read it.
        """
        self._locked = (locked, owner)

    def set_location(self, location: Location | None) -> None:
        self._location = location

    def add_funding(self, funding: Funding) -> None:
        self._funding.append(funding)

    def add_person(self, person: Person) -> None:
        self._persons.append(person)

    def set_medium(self, medium: str | None) -> None:
        self._medium = medium

    def extend_ns(self) -> dict[str, str]:
        return {"podcast": PODCAST_NS}

    def extend_rss(self, rss_feed: _Element) -> _Element:
        channel = rss_feed[0]
        if self._guid:
            SubElement(channel, _GUID).text = self._guid
        # The Podcast Index reads podcast:locked only with its owner (the e-mail to ask): none, no tag.
        if self._locked is not None and self._locked[1]:
            locked, owner = self._locked
            element = SubElement(channel, _LOCKED)
            element.text = "yes" if locked else "no"
            element.set("owner", owner)
        if self._location is not None:
            _add_location(channel, self._location)
        for funding in self._funding:
            element = SubElement(channel, _FUNDING)
            element.set("url", funding.url)
            element.text = funding.text
        for person in self._persons:
            _add_person(channel, person)
        if self._medium:
            SubElement(channel, _MEDIUM).text = self._medium
        return rss_feed

    def extend_atom(self, atom_feed: _Element) -> _Element:
        # The namespace is defined for RSS only.
        return atom_feed


class PodcastIndexEntryExtension:
    """Item-level ``podcast:`` tags: season, episode, person, location, transcript, chapters."""

    # feedgen makes one instance per item: keep it light.
    __slots__ = ("_chapters", "_episode", "_location", "_persons", "_season", "_transcripts")

    def __init__(self) -> None:
        self._season: tuple[int, str | None] | None = None
        self._episode: int | None = None
        self._persons: tuple[Person, ...] = ()
        self._location: Location | None = None
        self._transcripts: tuple[Transcript, ...] = ()
        self._chapters: str | None = None

    def set_season(self, number: int, name: str | None = None) -> None:
        self._season = (number, name)

    def set_episode(self, number: int | None) -> None:
        self._episode = number

    def set_persons(self, persons: tuple[Person, ...]) -> None:
        self._persons = persons

    def set_location(self, location: Location | None) -> None:
        self._location = location

    def set_transcripts(self, transcripts: tuple[Transcript, ...]) -> None:
        """Set the transcripts; each ``source`` must be the transcript's public URL."""
        self._transcripts = transcripts

    def set_chapters(self, url: str | None) -> None:
        self._chapters = url

    def extend_ns(self) -> dict[str, str]:
        return {"podcast": PODCAST_NS}

    def extend_rss(self, item: _Element) -> _Element:
        if self._season is not None:
            number, name = self._season
            element = SubElement(item, _SEASON)
            element.text = str(number)
            if name:
                element.set("name", name)
        if self._episode is not None:
            SubElement(item, _EPISODE).text = str(self._episode)
        for person in self._persons:
            _add_person(item, person)
        if self._location is not None:
            _add_location(item, self._location)
        for transcript in self._transcripts:
            element = SubElement(item, _TRANSCRIPT, url=transcript.source, type=transcript.mime_type)
            if transcript.language:
                element.set("language", transcript.language)
            if transcript.rel:
                element.set("rel", transcript.rel)
        if self._chapters:
            SubElement(item, _CHAPTERS, url=self._chapters, type=CHAPTERS_TYPE)
        return item

    def extend_atom(self, entry: _Element) -> _Element:
        return entry
