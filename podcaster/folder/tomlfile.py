"""``podcast.toml`` as text: read keeping the line of each key, written value by value.

tomllib gives values without positions; producers need ``podcast.toml:12:``
in front of a message, so keys are located again in the source text.
``init`` scaffolds a show, ``import`` renders one from a feed, ``add`` declares
a new season and the demo points a copy at a local server; all of them write
through here, so a value is quoted one way wherever it comes from. What the
values mean is :mod:`podcaster.folder.showfile`'s job.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from podcaster.errors import ConfigError

_TABLE_HEADER = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(r"""^\s*("(?:[^"\\]|\\.)*"|'[^']*'|[A-Za-z0-9_.-]+)\s*=""")
_LINE_IN_ERROR = re.compile(r"\(at line (\d+), column \d+\)")


@dataclass(frozen=True)
class TomlDocument:
    path: Path
    data: dict[str, Any]
    lines: tuple[str, ...]

    def line_of(self, table: str, key: str | None = None, occurrence: int = 0) -> int | None:
        """The 1-based line of *key* in *table* (dotted, "" for the top), or of the table header."""
        in_target = table == "" and occurrence == 0
        seen = -1
        header_line: int | None = None
        for number, text in enumerate(self.lines, start=1):
            header = _TABLE_HEADER.match(text)
            if header:
                in_target = False
                if header.group(1).replace(" ", "") == table:
                    seen += 1
                    in_target = seen == occurrence
                    if in_target:
                        header_line = number
                        if key is None:
                            return number
                continue
            if key is not None and in_target:
                match = _KEY.match(text)
                if match and match.group(1).strip("\"'") == key:
                    return number
        return header_line


def read_toml(path: Path) -> TomlDocument:
    """Parse *path*, turning syntax errors into a ConfigError at the right line."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError("file not found", path=path) from None
    except UnicodeDecodeError as error:
        raise ConfigError(f"not valid UTF-8 ({error.reason})", path=path) from None
    except OSError as error:
        raise ConfigError(f"cannot read: {error.strerror}", path=path) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        message = str(error)
        found = _LINE_IN_ERROR.search(message)
        line = int(found.group(1)) if found else None
        raise ConfigError(
            f"invalid TOML: {_LINE_IN_ERROR.sub('', message).strip()}", path=path, line=line
        ) from None
    return TomlDocument(path=path, data=data, lines=tuple(text.splitlines()))


# -- writing --------------------------------------------------------------------------------

TomlValue = str | bool | int | Sequence[str]

# What an absent cover looks like in a new podcast.toml: a hint, commented out.
ARTWORK_EXAMPLE = '# artwork = "artwork/cover.jpg"   # square JPEG or PNG, 1400 to 3000 px'

_TABLE = re.compile(r"^\s*\[\s*([A-Za-z0-9_.-]+)\s*\]\s*(?:#.*)?$")
_ARRAY_TABLE = re.compile(r"^\s*\[\[")
_WRITTEN_KEY = re.compile(r"^\s*([A-Za-z0-9_-]+)\s*=")


def toml_value(value: TomlValue) -> str:
    """*value* as TOML: a basic string, a boolean, an integer or a list of strings."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        # JSON strings are valid TOML basic strings, escapes included.
        return json.dumps(value, ensure_ascii=False)
    return "[" + ", ".join(toml_value(item) for item in value) + "]"


def toml_line(key: str, value: TomlValue, comment: str | None = None) -> str:
    """``key = value``, with a comment after it when given."""
    line = f"{key} = {toml_value(value)}"
    return f"{line}  # {comment}" if comment else line


def render_table(
    header: str,
    values: Mapping[str, TomlValue | None],
    *,
    array: bool = False,
    commented: bool = False,
    comments: Mapping[str, str] | None = None,
    examples: Mapping[str, str] | None = None,
) -> str:
    """A ``[header]`` table (``[[header]]`` when *array*) with a line for each value given.

    A key whose value is ``None`` is left out, or written as its line in *examples*;
    *comments* follow their key's line; *commented* comments out the whole table.
    """
    lines = [f"[[{header}]]" if array else f"[{header}]"]
    for key, value in values.items():
        if value is not None:
            lines.append(toml_line(key, value, (comments or {}).get(key)))
        elif key in (examples or {}):
            lines.append((examples or {})[key])
    return "".join(f"# {line}\n" if commented else f"{line}\n" for line in lines)


def season_table(number: int, name: str) -> str:
    return render_table("seasons", {"number": number, "name": name}, array=True)


def season_name_for(number: int, language: str) -> str:
    """The name a new season gets: « Saison 2 » for a French show, "Season 2" otherwise."""
    return f"{'Saison' if language.lower().startswith('fr') else 'Season'} {number}"


def with_season(text: str, number: int, name: str) -> str:
    """*text* of a podcast.toml with a ``[[seasons]]`` table for *number*, after the last season declared."""
    lines = text.splitlines(keepends=True)
    starts = [index for index, line in enumerate(lines) if re.match(r"^\s*\[\[\s*seasons\s*\]\]", line)]
    if not starts:
        return append_tables(text, [season_table(number, name)])
    end = next(
        (
            index
            for index in range(starts[-1] + 1, len(lines))
            if _TABLE.match(lines[index]) or _ARRAY_TABLE.match(lines[index])
        ),
        len(lines),
    )
    while end > starts[-1] + 1 and not lines[end - 1].strip():
        end -= 1  # the new table goes before the blank lines that part the last season from what follows
    head = "".join(lines[:end])
    head += "" if head.endswith("\n") else "\n"
    return head + "\n" + season_table(number, name) + "".join(lines[end:])


def append_tables(text: str, tables: Sequence[str]) -> str:
    """*text* of a podcast.toml with *tables* added at its end, a blank line before each."""
    return text.rstrip("\n") + "\n\n" + "\n".join(tables)


def retarget(text: str, feed_url: str, storage_url: str) -> str:
    """*text* of a podcast.toml published at *feed_url* into *storage_url*, every other line kept.

    ``[urls]`` keeps only its ``feed``: the media and site URLs follow from it.
    """
    lines: list[str] = []
    table = ""
    seen = {"urls": False, "storage": False}
    for line in text.splitlines():
        header = _TABLE.match(line)
        if header or _ARRAY_TABLE.match(line):
            table = header.group(1) if header else ""
            seen.update({table: True} if table in seen else {})
            lines.append(line)
            continue
        key = _WRITTEN_KEY.match(line)
        if table == "urls" and key:
            if key.group(1) == "feed":
                lines.append(toml_line("feed", feed_url))
            continue
        if table == "storage" and key and key.group(1) == "url":
            lines.append(toml_line("url", storage_url))
            continue
        lines.append(line)
    missing = [
        render_table(name, {key: value})
        for name, key, value in (("urls", "feed", feed_url), ("storage", "url", storage_url))
        if not seen[name]
    ]
    return "\n".join(lines) + "\n" + "".join("\n" + table for table in missing)
