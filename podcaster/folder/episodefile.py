"""Write an episode file: YAML front matter between ``---`` lines, then the notes in Markdown.

``add`` and ``import`` both write through here; the catalogue reads the files
back with :func:`podcaster.folder.catalogue.parse_front_matter`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping


def render_episode_file(front: Mapping[str, object], notes: str = "") -> str:
    """The text of an episode file: a ``key: value`` line for each value that is not ``None``, then *notes*."""
    lines = [
        "---",
        *(f"{key}: {_yaml(key, value)}" for key, value in front.items() if value is not None),
        "---",
    ]
    return "\n".join(lines) + "\n" + (notes + "\n" if notes else "")


def _yaml(key: str, value: object) -> str:
    if key == "guid":
        # Always quoted: YAML reads an unquoted 0123 as the number 83, and apps know the episode by its text.
        return json.dumps(str(value), ensure_ascii=False)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    # JSON is valid YAML: strings, lists and mappings stay safe whatever they hold.
    return json.dumps(value, ensure_ascii=False)
