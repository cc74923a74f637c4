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


def with_values(text: str, table: str, values: Mapping[str, TomlValue | None]) -> str:
    """*text* of a TOML file with each of *values* set in ``[table]``; ``None`` removes a key.

    Only a key whose value changes is rewritten, in place and over every line
    its old value took (a multi-line description too); a new key goes after
    the table's last one; a missing ``[a.b]`` goes after ``[a]``'s keys, or at
    the end. Comments and every other line stay as they were. The result is
    read back: when it does not hold exactly the values asked for, and
    everything else unchanged (the table written inline, say), ConfigError.
    """
    try:
        before = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"invalid TOML ({error}): fix the file first") from None
    wanted = _with_changes(before, table, values)
    for key, value in values.items():
        if _get(before, table).get(key) != _plain(value):
            text = _set_key(text, table, key, value)
    try:
        after = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        after = None
    if after != wanted:
        raise ConfigError(
            f"[{table}] is written in a way that cannot be changed safely here; edit the file by hand"
        )
    return text


def _plain(value: TomlValue | None) -> Any:
    return list(value) if isinstance(value, Sequence) and not isinstance(value, str) else value


def _get(data: dict[str, Any], table: str) -> dict[str, Any]:
    for part in table.split(".") if table else ():
        data = data.get(part, {}) if isinstance(data, dict) else {}
    return data if isinstance(data, dict) else {}


def _with_changes(data: dict[str, Any], table: str, values: Mapping[str, TomlValue | None]) -> dict[str, Any]:
    result = _deep_copy(data)
    target = result
    for part in table.split(".") if table else ():
        target = target.setdefault(part, {})
    for key, value in values.items():
        if value is None:
            target.pop(key, None)
        else:
            target[key] = _plain(value)
    return result


def _deep_copy(data: Any) -> Any:
    if isinstance(data, dict):
        return {key: _deep_copy(value) for key, value in data.items()}
    if isinstance(data, list):
        return [_deep_copy(item) for item in data]
    return data


def _sections(lines: list[str]) -> list[tuple[str, int, int]]:
    """Each table as (name, first body line, end): "" for the top, array tables named with "[]"."""
    found: list[tuple[str, int, int]] = []
    name, start = "", 0
    index = 0
    while index < len(lines):
        header = _TABLE_HEADER.match(lines[index])
        if header and not _WRITTEN_KEY.match(lines[index]):
            found.append((name, start, index))
            name = header.group(1).replace(" ", "") + ("[]" if _ARRAY_TABLE.match(lines[index]) else "")
            start = index + 1
        elif _WRITTEN_KEY.match(lines[index]):
            index = _value_end(lines, index, len(lines))
        index += 1
    found.append((name, start, len(lines)))
    return found


def _value_end(lines: list[str], first: int, end: int) -> int:
    """The last line of the value that starts on line *first*: the first span tomllib reads whole."""
    for last in range(first, end):
        try:
            tomllib.loads("".join(lines[first : last + 1]))
        except tomllib.TOMLDecodeError:
            continue
        return last
    return first


def _set_key(text: str, table: str, key: str, value: TomlValue | None) -> str:
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    sections = _sections(lines)
    section = next(((start, end) for name, start, end in sections if name == table), None)
    new = [] if value is None else [toml_line(key, value) + "\n"]
    if section is None:
        if value is None:
            return text
        parent = table.rpartition(".")[0]
        block = ["\n", render_table(table, {key: value})]
        around = next(((start, end) for name, start, end in sections if name == parent and parent), None)
        at = _after_last_key(lines, *around) if around else len(lines)
        if at == len(lines):
            block = ["\n", *block[1:]] if lines and lines[-1].strip() else block[1:]
        gap = ["\n"] if at < len(lines) and lines[at].strip() else []
        return "".join(lines[:at] + block + gap + lines[at:])
    start, end = section
    index = start
    while index < end:
        found = _WRITTEN_KEY.match(lines[index])
        if found:
            last = _value_end(lines, index, end)
            if found.group(1) == key:
                return "".join(lines[:index] + new + lines[last + 1 :])
            index = last
        index += 1
    at = _after_last_key(lines, start, end)
    return "".join(lines[:at] + new + lines[at:])


def _after_last_key(lines: list[str], start: int, end: int) -> int:
    """Where a new key of a table goes: after its last key's value, or after its header."""
    at = start
    index = start
    while index < end:
        if _WRITTEN_KEY.match(lines[index]):
            index = _value_end(lines, index, end)
            at = index + 1
        index += 1
    return at
