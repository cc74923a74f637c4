"""GUIDs in the feed against the lock file's record of the last publish, and the catalogue now.

An app takes an item with a GUID it has not seen for a new episode: a GUID
that changed lists the episode twice (and downloads it again), and a GUID
that vanished removes an episode listeners may be halfway through.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

from podcaster.folder.catalogue import Catalogue
from podcaster.folder.lockfile import LockEntry
from podcaster.models import Episode, season_number
from podcaster.verifying.document import FeedItem
from podcaster.verifying.report import Check, Findings, Level


def compare_guids(
    items: list[FeedItem],
    catalogue: Catalogue,
    now: datetime,
    season: int | None,
    fresh: bool | None,
    feed_url: str,
    out: Findings,
) -> None:
    """GUIDs in the feed against those the last publish recorded, and those the catalogue holds now."""
    lock = catalogue.lock.episodes
    in_feed = {item.guid: item for item in items if item.guid}
    unknown = [item for guid, item in in_feed.items() if guid not in lock]
    if unknown and len(unknown) == len(in_feed) > 1:
        out.add(
            Level.ERROR,
            Check.GUID,
            feed_url,
            f"none of the feed's {len(in_feed)} GUIDs is in {catalogue.lock.path.name}: the feed of another "
            "podcast, or every GUID changed?",
        )
    else:
        for item in unknown:
            out.add(
                Level.ERROR,
                Check.GUID,
                feed_url,
                f"«{item.title}» has the GUID {item.guid!r}, which {catalogue.lock.path.name} does not know: "
                "GUID changed? Apps would take it for a new episode",
            )
    stale = (
        " (the feed served is not the one last published: a cache may still hold an older copy)"
        if fresh is False
        else ""
    )
    by_guid = {episode.guid: episode for episode in catalogue.episodes}
    for guid, entry in lock.items():
        if guid in in_feed or not _was_published(entry):
            continue
        episode = by_guid.get(guid)
        if episode is not None:
            if (season is None or episode.season == season) and episode.is_live(now):
                out.add(
                    Level.WARNING if stale else Level.ERROR,
                    Check.GUID,
                    feed_url,
                    f"«{episode.title}» ({_relative(episode.path, catalogue.root)}) is live, and was published "
                    f"with the GUID {guid!r}, but no item of the feed has it{stale}",
                )
            continue
        successor = _successor(guid, entry.audio, entry.media.sha256, catalogue)
        if successor is not None and (season is None or successor.season == season):
            out.add(
                Level.ERROR,
                Check.GUID,
                _relative(successor.path, catalogue.root),
                f"GUID changed since the last publish: it was {guid!r}, it is {successor.guid!r} now; apps "
                "will list the episode twice. Put the old GUID back in its front matter",
            )
    # An episode whose GUID was edited but not yet published: the feed still has the old one.
    for guid in in_feed:
        recorded = lock.get(guid)
        if recorded is None or guid in by_guid or not _was_published(recorded):
            continue
        successor = _successor(guid, recorded.audio, recorded.media.sha256, catalogue)
        if successor is not None:
            out.add(
                Level.ERROR,
                Check.GUID,
                _relative(successor.path, catalogue.root),
                f"GUID changed since the last publish: the feed has {guid!r}, the episode file says "
                f"{successor.guid!r}; publishing it would make apps list the episode twice. "
                "Put the old GUID back in its front matter",
            )


def _was_published(entry: LockEntry) -> bool:
    """Whether listeners got this episode: uploaded by a publish, or online elsewhere (imported, not rehosted)."""
    return entry.publication is not None or entry.audio.startswith(("http://", "https://"))


def _successor(guid: str, audio: str, sha256: str, catalogue: Catalogue) -> Episode | None:
    """The catalogue's episode that is most likely the one published under *guid* (same audio)."""
    others = [episode for episode in catalogue.episodes if episode.guid != guid]
    same_file = [episode for episode in others if episode.audio == audio]
    if len(same_file) == 1:
        return same_file[0]
    if len(sha256) != 64:
        return None  # facts imported from a feed, not learnt from the audio: no hash to match
    same_sound = [
        episode
        for episode in others
        if (facts := catalogue.lock.media(episode.guid)) is not None and facts.sha256 == sha256
    ]
    return same_sound[0] if len(same_sound) == 1 else None


def is_fresh(body: bytes, catalogue: Catalogue) -> bool | None:
    """Whether the feed served is one the last publish sent (None when the lock file records none)."""
    recorded = set(catalogue.lock.feeds.values())
    if not recorded:
        return None
    return hashlib.sha256(body).hexdigest() in recorded


def season_of(feed_url: str) -> int | None:
    try:
        name = PurePosixPath(urlsplit(feed_url).path).name
    except ValueError:
        return None
    return season_number(name) if name.endswith(".xml") else None


def _relative(path: Path, root: Path) -> str:
    return str(path.relative_to(root)) if path.is_relative_to(root) else str(path)
