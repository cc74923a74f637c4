"""One exception hierarchy for the whole library.

Every error knows where it comes from (a file, and a line when there is one)
so the CLI can print ``path:line: message`` without knowing the cause.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


class Message(str):
    """A message, in English, that also names its kind (*code*) and the values it holds.

    It is the text wherever text goes; an interface in another language words the
    kinds it knows itself (see :class:`PodcasterError`, whose *code* is the same idea).
    """

    code: str
    values: Mapping[str, object]

    def __new__(cls, text: str, code: str, **values: object) -> Message:
        message = super().__new__(cls, text)
        message.code = code
        message.values = values
        return message

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickled whole (the workers that load episode files send their problems back).
        return _message, (str(self), self.code, dict(self.values))


def _message(text: str, code: str, values: dict[str, object]) -> Message:
    return Message(text, code, **values)


@dataclass(frozen=True)
class Problem:
    """One thing wrong (or worth a warning) in a file, at a line when known."""

    path: Path | str | None
    message: str
    line: int | None = None
    severity: Severity = Severity.ERROR

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def __str__(self) -> str:
        where = ""
        if self.path is not None:
            where = f"{self.path}:{self.line}: " if self.line else f"{self.path}: "
        prefix = "warning: " if self.severity is Severity.WARNING else ""
        return f"{where}{prefix}{self.message}"


class PodcasterError(Exception):
    """Root of every error podcaster raises on purpose.

    *code*, when given, names the kind of problem for good, and *values* hold what its
    message says of this one: an interface in another language (the French studio) words
    the kinds it knows itself, and shows the message of the others.
    """

    def __init__(
        self,
        message: str,
        *,
        path: Path | str | None = None,
        line: int | None = None,
        problems: Iterable[Problem] = (),
        code: str | None = None,
        values: Mapping[str, object] | None = None,
    ) -> None:
        self.problems: list[Problem] = list(problems)
        if not self.problems:
            self.problems = [Problem(path, message, line)]
        self.path = path
        self.line = line
        self.code = code
        self.values: Mapping[str, object] = values or {}
        super().__init__(message)

    def __str__(self) -> str:
        return "\n".join(str(problem) for problem in self.problems)


class ConfigError(PodcasterError):
    """podcast.toml or the environment is wrong."""


class CatalogueError(PodcasterError):
    """An episode file, or the catalogue as a whole, is wrong."""


class MediaError(PodcasterError):
    """An audio or image file cannot be used."""


class FeedError(PodcasterError):
    """The feed cannot be built from a catalogue that loaded."""


class StorageError(PodcasterError):
    """Storage refused, failed, or holds something unexpected."""


class SourceError(PodcasterError):
    """A feed or file to import cannot be fetched, or is refused (too big, hostile, not a feed)."""


class StatsError(PodcasterError):
    """An access log, the audience database or a geography database cannot be read."""


def raise_if_errors(problems: Iterable[Problem], error_class: type[PodcasterError]) -> None:
    """Raise *error_class* carrying every error in *problems*, if any."""
    errors = [problem for problem in problems if problem.is_error]
    if errors:
        raise error_class(errors[0].message, path=errors[0].path, line=errors[0].line, problems=errors)


def did_you_mean(word: str, candidates: Iterable[str], cutoff: float = 0.7) -> str:
    """`` (did you mean 'x'?)`` for the closest of *candidates* to a mistyped *word*, else ``""``."""
    matches = difflib.get_close_matches(word, sorted(candidates), n=1, cutoff=cutoff)
    return f" (did you mean '{matches[0]}'?)" if matches else ""
