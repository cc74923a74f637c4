"""The publish plan: what the catalogue needs against one listing of the storage, object by object.

Nothing is sent here. Each object is new, changed or unchanged (or, with
``prune``, to delete); media keys carry a content hash, so an object under a
media key is whole and final and the listing's key and size tell whether it is
there.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path

from podcaster.errors import StorageError
from podcaster.feed.documents import render_feeds
from podcaster.feed.public import Resolver, audio_key
from podcaster.folder.catalogue import Catalogue
from podcaster.models import MEDIA_PREFIX, document_content_type
from podcaster.publishing.site import GZIP_SUFFIX, read_site
from podcaster.storage import LocalStorage, ObjectInfo, Storage

MEDIA_CACHE = "public, max-age=31536000, immutable"
FEED_CACHE = "public, max-age=300"


class Change(StrEnum):
    NEW = "new"
    CHANGED = "changed"
    UNCHANGED = "unchanged"
    DELETE = "delete"


@dataclass(frozen=True)
class PlannedObject:
    key: str
    change: Change
    size: int
    content_type: str
    cache_control: str
    source: Path | None = None  # None for feeds (sent from memory) and audio kept only in storage
    data: bytes | None = None
    sha256: str = ""
    guid: str | None = None  # set for an episode's audio, to record its publication

    @property
    def is_feed(self) -> bool:
        return self.data is not None and not self.key.startswith(MEDIA_PREFIX)


@dataclass(frozen=True)
class Plan:
    storage_url: str
    media: tuple[PlannedObject, ...] = ()
    site: tuple[PlannedObject, ...] = ()  # the static site's files, content-hashed assets first
    feeds: tuple[PlannedObject, ...] = ()  # in upload order: feed.xml last
    deletions: tuple[PlannedObject, ...] = ()

    @property
    def objects(self) -> list[PlannedObject]:
        return [*self.media, *self.site, *self.feeds, *self.deletions]

    @property
    def uploads(self) -> list[PlannedObject]:
        return [
            item for item in (*self.media, *self.site, *self.feeds) if item.change is not Change.UNCHANGED
        ]

    @property
    def upload_bytes(self) -> int:
        return sum(item.size for item in self.uploads)

    @property
    def unchanged(self) -> list[PlannedObject]:
        return [item for item in (*self.media, *self.site, *self.feeds) if item.change is Change.UNCHANGED]


def make_plan(
    catalogue: Catalogue,
    storage: Storage,
    now: datetime,
    *,
    prune: bool = False,
    existing: dict[str, ObjectInfo] | None = None,
    site: bool = True,
) -> tuple[Plan, dict[str, bytes]]:
    """Compare what the catalogue needs with one listing of the storage; nothing is sent.

    *existing* is that listing when the caller already made it. With *site*, the
    static site ``build`` exported into ``site/`` goes up too. Returns the plan
    and the feed documents by name. Raises before any upload if an episode cannot
    be published (invalid, or its audio neither here nor online).
    """
    resolver = Resolver(catalogue)
    feeds = render_feeds(catalogue, now, resolver)  # validates every live episode
    if existing is None:
        existing = storage.list()
    media: dict[str, PlannedObject] = {}

    # Scheduled episodes' audio goes up early too, so the feed that names them later finds it there.
    for episode in catalogue.episodes:
        facts = catalogue.lock.media(episode.guid)
        if episode.draft or episode.audio_is_remote or facts is None:
            continue
        resolver.public_episode(episode, facts)  # resolves its artwork, chapters and transcripts as assets
        key = MEDIA_PREFIX + audio_key(episode, facts)
        known = existing.get(key)
        audio = episode.audio_path(catalogue.root)
        source: Path | None = audio
        if not audio.is_file():
            # Built on another machine from the lock file: fine if storage already holds it whole.
            if known is None or known.size != facts.size:
                found = "not in storage" if known is None else f"{known.size:,} bytes in storage"
                raise StorageError(
                    f"the audio {episode.audio} is not on this machine and '{key}' is {found} "
                    f"(expected {facts.size:,} bytes); publish from where the audio is",
                    path=episode.path,
                )
            source = None
        media[key] = PlannedObject(
            key=key,
            change=_media_change(known, facts.size, facts.sha256),
            size=facts.size,
            content_type=facts.mime_type,
            cache_control=MEDIA_CACHE,
            source=source,
            sha256=facts.sha256,
            guid=episode.guid,
        )
    for asset in resolver.assets():
        key = MEDIA_PREFIX + asset.key
        media.setdefault(
            key,
            PlannedObject(
                key=key,
                change=_media_change(existing.get(key), asset.size, asset.sha256),
                size=asset.size,
                content_type=asset.content_type,
                cache_control=MEDIA_CACHE,
                source=asset.source if asset.data is None else None,
                data=asset.data,  # generated chapters JSON
                sha256=asset.sha256,
            ),
        )
    # The whole-show feed goes last of all: apps poll it first.
    names = sorted(feeds.documents, key=lambda name: (name == "feed.xml", name))
    planned_feeds = []
    for name in names:
        data = feeds.documents[name]
        sha = hashlib.sha256(data).hexdigest()
        planned_feeds.append(
            PlannedObject(
                key=name,
                change=_feed_change(existing.get(name), data, sha, catalogue.lock.feeds.get(name)),
                size=len(data),
                content_type=document_content_type(name),
                cache_control=FEED_CACHE,
                data=data,
                sha256=sha,
            )
        )
    planned_site = _plan_site(catalogue, storage, existing, frozenset(feeds.documents)) if site else []
    deletions = []
    if prune:
        # The site's stale files too, in the folders it owns (episodes/, static/…): an old page or asset.
        site_keys = {item.key for item in planned_site}
        folders = tuple({key.split("/")[0] + "/" for key in site_keys if "/" in key} - {MEDIA_PREFIX})
        deletions = [
            PlannedObject(key=key, change=Change.DELETE, size=info.size, content_type="", cache_control="")
            for key, info in existing.items()
            if (key.startswith(MEDIA_PREFIX) and key not in media)
            or (key.startswith(folders) and key not in site_keys)
        ]
    plan = Plan(
        storage_url=storage.url,
        media=tuple(media.values()),
        site=tuple(planned_site),
        feeds=tuple(planned_feeds),
        deletions=tuple(deletions),
    )
    return plan, feeds.documents


def _plan_site(
    catalogue: Catalogue, storage: Storage, existing: dict[str, ObjectInfo], feeds: frozenset[str]
) -> list[PlannedObject]:
    """The exported site's files; pages cached as briefly as feeds, content-hashed assets for good."""
    # The feeds go up last, from memory: their copies (and gzip twins) in site/ stay out.
    skip = feeds | {name + GZIP_SUFFIX for name in feeds}
    files = read_site(catalogue.folder.site_dir, compressed=isinstance(storage, LocalStorage), skip=skip)
    return [
        PlannedObject(
            key=item.key,
            change=_feed_change(existing.get(item.key), item.data, item.sha256, None),
            size=len(item.data),
            content_type=item.content_type,
            cache_control=MEDIA_CACHE if item.immutable else FEED_CACHE,
            data=item.data,
            sha256=item.sha256,
        )
        for item in files
    ]


def _media_change(known: ObjectInfo | None, size: int, sha256: str) -> Change:
    if known is None:
        return Change.NEW
    # Keys are content-hashed and objects appear whole: the same key and size is the same object.
    # A backend that knows the sha256 from its listing (a local folder) gets a stricter check.
    if known.size != size or (known.sha256 is not None and known.sha256 != sha256):
        return Change.CHANGED
    return Change.UNCHANGED


def _feed_change(known: ObjectInfo | None, data: bytes, sha256: str, recorded: str | None) -> Change:
    """Whether the feed online differs from *data*, from the listing alone (feeds keep their key)."""
    if known is None:
        return Change.NEW
    if known.size != len(data):
        return Change.CHANGED
    if known.sha256 is not None:
        return Change.UNCHANGED if known.sha256 == sha256 else Change.CHANGED
    # S3 listings give no metadata, but the ETag of an object put in one request is its MD5 on
    # AWS (unencrypted or SSE-S3), MinIO, SeaweedFS, R2, Scaleway, OVH...; where it is not (SSE-KMS),
    # the lock file's record of what the last publish sent stands in.
    if known.etag == hashlib.md5(data, usedforsecurity=False).hexdigest() or recorded == sha256:
        return Change.UNCHANGED
    return Change.CHANGED
