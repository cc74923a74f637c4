"""The file steps of one save: a new season, the files received, those removed, a move to another season.

Every step goes through one :class:`~podcaster.studio.form.changes.FileChanges`,
so the save that runs them can take all of them back when ``check`` objects.
"""

from __future__ import annotations

import os
from pathlib import Path

from podcaster.folder.layout import PodcastFolder
from podcaster.studio.form.attachments import Kind, owned_by, target_of
from podcaster.studio.form.changes import FileChanges
from podcaster.studio.form.extras import Attached, Extras, show_with_season


def place_files(
    folder: PodcastFolder,
    files: FileChanges,
    episode_file: Path,
    target: Path,
    extras: Extras,
    attached: Attached,
) -> tuple[dict[Kind, str], dict[Path, Kind]]:
    """Take the steps *extras* asks for an episode moving from *episode_file* to *target* (often the same).

    Returns how the episode file names each placed file, and which form field each placed path belongs to.
    """
    if extras.new_season is not None:
        text = folder.show_file.read_text(encoding="utf-8")
        files.write(folder.show_file, show_with_season(text, extras.new_season).encode("utf-8"))
    slug = episode_file.stem
    placed: dict[Kind, str] = {}
    fields: dict[Path, Kind] = {}
    for staged in extras.attach:
        destination = target_of(folder, staged, extras.season, slug)
        files.move_in(staged.path, destination)
        placed[staged.kind] = Path(os.path.relpath(destination, target.parent)).as_posix()
        fields[destination.resolve()] = staged.kind
    dropped = [name for name in attached.transcripts if name in extras.remove_transcripts]
    if attached.chapters and (extras.remove_chapters or Kind.CHAPTERS in placed):
        dropped.append(attached.chapters)
    if attached.image and (extras.remove_artwork or Kind.ARTWORK in placed):
        dropped.append(attached.image)
    for name in dropped:
        own = owned_by(folder, episode_file, name)
        if own is not None and own not in fields:  # a replaced file of the same name is the new one now
            files.remove(own)
    if target.parent != episode_file.parent:
        kept = [name for name in (*attached.transcripts, attached.chapters) if name and name not in dropped]
        for name in kept:
            old = episode_file.parent / name
            if "/" not in name and old.is_file() and old.resolve() not in fields:
                files.write(target.parent / name, old.read_bytes())
                files.remove(old)
    return placed, fields
