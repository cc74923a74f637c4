"""Read a TOML file keeping enough of its text to say on which line a key stands.

tomllib gives values without positions; producers need ``podcast.toml:12:``
in front of a message, so keys are located again in the source text.
"""

from __future__ import annotations

import re
import tomllib
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
