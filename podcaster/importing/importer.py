"""``podcaster import``: bring a show home from another host without losing one subscriber.

Apps know an episode by its GUID and play what its enclosure URL serves, so
the import keeps both exactly: the GUID verbatim, the enclosure URL as it is
(the audio stays where it is, an external URL in the episode file) unless
``--rehost`` downloads it into ``audio/`` to be published with the rest.

External audio has no file to probe: its media facts in podcast.lock come from
the feed, ``size`` from the enclosure ``length`` and ``duration`` from
``itunes:duration``. Their ``sha256`` is ``""`` (and ``codec`` ``""``,
``bitrate``, ``sample_rate`` and ``channels`` 0), which means "never seen
these bytes": the feed still writes the length, type and duration apps need.

Re-importing is safe: episodes are matched by GUID, new items are added,
changed ones refreshed, and a file edited since the import wrote it is left
alone (and reported) unless ``force`` is given; see :mod:`podcaster.importing.record`.
What is written where is planned in :mod:`podcaster.importing.plan`; podcast.toml
and the cover are :mod:`podcaster.importing.show`'s.
Everything is fetched, downloaded and checked before the first file is
written, and the whole catalogue is loaded again after writing: if it does
not load, every file written is put back as it was.
"""

from __future__ import annotations

import functools
import json
import os
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

from podcaster.atomic import write_atomically
from podcaster.errors import (
    CatalogueError,
    ConfigError,
    MediaError,
    PodcasterError,
    Problem,
    Severity,
    SourceError,
)
from podcaster.folder.catalogue import load_catalogue
from podcaster.folder.layout import SHOW_FILE, PodcastFolder
from podcaster.folder.lockfile import Lock, load_lock
from podcaster.importing.feedxml import parse_xml
from podcaster.importing.items import read_feed
from podcaster.importing.plan import (
    Existing,
    Planned,
    SeasonFrom,
    assign_numbers,
    episode_text,
    external_media,
    place,
    select,
)
from podcaster.importing.record import EpisodeRecord, ImportState, load_state, sha256_text
from podcaster.importing.report import ImportReporter, ImportResult
from podcaster.importing.show import write_show
from podcaster.importing.source import FEED_LIMIT, download, read_source
from podcaster.media import probe
from podcaster.models import MIME_EXTENSIONS

__all__ = ["ImportReporter", "ImportResult", "SeasonFrom", "import_feed"]


def import_feed(
    root: Path,
    source: str | None = None,
    *,
    season_from: SeasonFrom = "tags",
    rehost: bool = False,
    force: bool = False,
    feed_url: str | None = None,
    reporter: ImportReporter | None = None,
    limit: int = FEED_LIMIT,
    allow_private: bool = False,
) -> ImportResult:
    """Create or update the catalogue in *root* from the feed at *source* (a URL or a file).

    Feeds, covers and enclosures on loopback or private addresses are refused unless *allow_private*.
    """
    root = root.resolve()
    reporter = reporter or ImportReporter()
    show_path = PodcastFolder(root).show_file
    state = load_state(root)
    existing: dict[str, Existing] = {}
    if show_path.exists():
        catalogue = load_catalogue(root)  # a broken catalogue is reported before anything is written
        source = source or state.source or catalogue.show.urls.old_feed
        feed_url = feed_url or state.feed_url or catalogue.show.urls.feed
        for episode in catalogue.episodes:
            existing[episode.guid] = Existing(episode.path, episode, episode.path.read_text(encoding="utf-8"))
    elif feed_url is None:
        raise ConfigError(
            f"no {SHOW_FILE} in {root}: pass --feed-url with the address the feed will have once hosted "
            "here (e.g. https://podcast.example.org/feed.xml)"
        )
    if not source:
        raise ConfigError("give the feed to import: its URL or a file", path=show_path)
    _check_feed_url(feed_url)

    reporter.message(f"reading {source}")
    fetched = read_source(source, limit=limit, allow_private=allow_private)
    hops = fetched.redirects
    parsed = parse_xml(fetched.data, fetched.url, fetched.charset)
    feed = read_feed(parsed.root, fetched.url, parsed.warnings)
    del fetched, parsed  # the raw document can be large; the records are all that is needed now
    # A URL is kept as given (what subscribers hold); a file, as an absolute path found from anywhere.
    source = source if source.startswith(("http://", "https://")) else feed.url
    result = ImportResult(source=source, fetched_from=feed.url, show_file=show_path)
    result.warnings.extend(feed.warnings)
    for hop in hops:
        kind = "permanently" if hop.permanent else "temporarily"
        result.warnings.append(
            Problem(source, f"redirected {kind} ({hop.status}) to {hop.target}", None, Severity.WARNING)
        )

    plans = select(feed, state, existing, result.warnings, result.failed)
    in_source = {plan.guid for plan in plans}
    result.not_in_source = len(set(existing) - in_source)
    assign_numbers(plans, existing, season_from, feed.url, result.warnings)
    place(plans, {known.episode.slug for known in existing.values()}, root)

    lock = load_lock(root)
    kept = _writable(plans, state, lock, root, force, result)
    if rehost:
        kept = _rehost(kept, state, root, reporter, result, allow_private)
    result.derived_guids = [
        (plan.path, plan.guid)
        for plan in kept
        if plan.derived and plan.existing is None and plan.path is not None
    ]
    writes: dict[Path, bytes | None] = {}
    for plan in kept:
        assert plan.path is not None and plan.media is not None and plan.item.enclosure is not None
        plan.text = episode_text(plan)
        current = plan.existing.text if plan.existing else None
        if current == plan.text and plan.existing and plan.existing.path == plan.path:
            result.unchanged.append(plan.path)
        else:
            (result.updated if plan.existing else result.added).append(plan.path)
            writes[plan.path] = plan.text.encode("utf-8")
            if plan.existing and plan.existing.path != plan.path:
                writes[plan.existing.path] = None  # its season changed: the file moves folder
        state.episodes[plan.guid] = EpisodeRecord(
            file=plan.path.relative_to(root).as_posix(),
            sha256=sha256_text(plan.text),
            enclosure=plan.item.enclosure.url,
            audio=plan.local_audio,
        )
        lock.record_media(plan.guid, plan.audio, plan.media)

    seasons: dict[int, str | None] = {}
    for plan in plans:  # a season's name from any of its items that gives one (podcast:season name=…)
        seasons[plan.season] = seasons.get(plan.season) or plan.item.season_name
    write_show(feed, state, root, source, feed_url, seasons, writes, result, reporter, allow_private)
    lock_text = lock.to_json().encode("utf-8")
    if not lock.path.exists() or lock.path.read_bytes() != lock_text:
        writes[lock.path] = lock_text
    state.source = source
    _commit(root, writes, state)
    return result


def _check_feed_url(feed_url: str) -> None:
    try:
        parts = urlsplit(feed_url)
        host, _port = parts.hostname, parts.port
    except ValueError as error:
        raise ConfigError(f"--feed-url {feed_url!r} is not a valid URL ({error})") from None
    if parts.scheme not in ("http", "https") or not host:
        raise ConfigError(f"--feed-url must be an absolute http(s) URL, not {feed_url!r}")


def _writable(
    plans: list[Planned], state: ImportState, lock: Lock, root: Path, force: bool, result: ImportResult
) -> list[Planned]:
    """The plans whose files may be written: new, untouched since the last import, or forced."""
    keep = []
    for plan in plans:
        assert plan.path is not None and plan.item.enclosure is not None
        record = state.episodes.get(plan.guid)
        local = record.audio if record and record.audio and (root / record.audio).is_file() else None
        plan.local_audio = local
        plan.audio = local or plan.item.enclosure.url
        probed = lock.media(plan.guid) if local else None
        plan.media = probed or external_media(plan, result.fetched_from, result.warnings)
        known = plan.existing
        if plan.conflict is not None:
            result.skipped.append(
                Problem(
                    plan.conflict.path,
                    f"this is episode {plan.number} of season {plan.season}, like the feed's "
                    f"{plan.title!r}, but its GUID is {plan.conflict.episode.guid!r} and the feed's is "
                    f"{plan.guid!r}: not imported. If they are the same episode, write "
                    f"guid: {json.dumps(plan.guid)} in this file (apps know it by that one) and import again",
                    None,
                    Severity.WARNING,
                )
            )
            continue
        if known is None:
            if record is not None and not force:
                result.skipped.append(
                    Problem(
                        root / record.file,
                        "deleted since the last import: not brought back (pass --force to restore it)",
                        None,
                        Severity.WARNING,
                    )
                )
                continue
        elif (
            not force
            and (record is None or sha256_text(known.text) != record.sha256)
            and episode_text(plan) != known.text  # identical is simply unchanged
        ):
            reason = (
                "edited since the last import" if record else "not written by an import (no record of it)"
            )
            result.skipped.append(
                Problem(
                    known.path,
                    f"{reason}: left as it is (pass --force to take the feed's version)",
                    None,
                    Severity.WARNING,
                )
            )
            continue
        keep.append(plan)
    return keep


def _rehost(
    plans: list[Planned],
    state: ImportState,
    root: Path,
    reporter: ImportReporter,
    result: ImportResult,
    allow_private: bool,
) -> list[Planned]:
    """Download each enclosure not yet here, probe it, and point the episode at the local copy.

    The plans whose audio could not be brought home are left out (their failure in
    ``result.failed``): the others are imported, and the next run tries those again.
    """
    done: list[Planned] = []
    for plan in plans:
        enclosure = plan.item.enclosure
        assert enclosure is not None and plan.path is not None
        record = state.episodes.get(plan.guid)
        if plan.local_audio and record and record.enclosure == enclosure.url:
            done.append(plan)
            continue  # already here, and the source still serves the same URL
        stem = plan.path.stem
        folder = PodcastFolder(root).rehosted_audio_dir(plan.season)
        suffix = (
            MIME_EXTENSIONS.get(enclosure.mime_type or "")
            or PurePosixPath(urlsplit(enclosure.url).path).suffix
        )
        target = folder / f"{stem}{suffix.lower() or '.bin'}"
        name = target.relative_to(root).as_posix()
        reporter.message(f"downloading {enclosure.url}")
        try:
            got = download(
                enclosure.url,
                target,
                progress=functools.partial(reporter.bytes_received, name),
                started=functools.partial(reporter.download_started, name),
                allow_private=allow_private,
            )
            media = probe(got.path)
        except (SourceError, MediaError) as error:
            label = f"{plan.item.label}, GUID {plan.guid!r}"
            result.failed.extend(
                Problem(
                    result.fetched_from,
                    f"{label}: audio {enclosure.url}: {problem.message}: not imported; "
                    "run the import again to pick it up",
                    plan.item.line,
                )
                for problem in error.problems
            )
            continue
        finally:
            reporter.download_done(name)
        if media.extension != target.suffix and media.extension != ".bin":
            # The content decides the extension, not the URL.
            renamed = target.with_suffix(media.extension)
            got.path.replace(renamed)
            target = renamed
        result.downloaded.append(target)
        plan.local_audio = target.relative_to(root).as_posix()
        plan.audio = plan.local_audio
        plan.media = media
        done.append(plan)
    return done


def _commit(root: Path, writes: dict[Path, bytes | None], state: ImportState) -> None:
    """Write every file (``None``: delete it), then load the catalogue; if it does not load, put every file back."""
    check = bool(writes)  # the record alone changing cannot break the catalogue
    state_text = state.to_json().encode("utf-8")
    if not state.path.exists() or state.path.read_bytes() != state_text:
        writes[state.path] = state_text
    backups: dict[Path, bytes | None] = {}
    try:
        for path, data in writes.items():
            backups[path] = path.read_bytes() if path.exists() else None
            if data is None:
                path.unlink(missing_ok=True)
            elif path.suffix == ".md":
                _write_quickly(path, data)
            else:
                write_atomically(path, data)
        if check:
            load_catalogue(root)
    except (PodcasterError, OSError) as error:
        for path, previous in backups.items():
            if previous is None:
                path.unlink(missing_ok=True)
            else:
                write_atomically(path, previous)
        if isinstance(error, PodcasterError):
            undone = Problem(
                None, "the imported catalogue would not load: the import was undone, nothing was changed"
            )
            raise CatalogueError(undone.message, problems=[*error.problems, undone]) from None
        raise


def _write_quickly(path: Path, data: bytes) -> None:
    """Replace an episode file through a rename, without the fsync: thousands of them would take seconds."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.import")
    temporary.write_bytes(data)
    os.replace(temporary, path)
