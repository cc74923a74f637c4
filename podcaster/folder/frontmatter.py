"""An episode file's YAML front matter: the values, the line each key is on, and the notes after it.

A catalogue holds thousands of these small documents, so the commonest ones,
``key: value`` lines and a list or a table of them below a key, each value on
its line (:func:`_quick`), are read line by line with the very resolvers
PyYAML uses. Anything else goes to libyaml: the other plain ones (keys of text,
values of text, numbers, booleans, lists and tables of them) are built straight
from the nodes libyaml composes; anchors, merge keys, explicit tags and the
like go through PyYAML's own constructor. All three give the same values.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from podcaster.errors import CatalogueError

__all__ = ["parse_front_matter"]

_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml is ~10x faster on large catalogues

_STR = "tag:yaml.org,2002:str"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"
_NULL = "tag:yaml.org,2002:null"
# Scalars other than text that PyYAML's safe constructor builds from the node's text alone.
_SIMPLE_SCALARS = frozenset({"tag:yaml.org,2002:bool", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float"})


class _FrontMatterLoader(_BaseLoader):  # type: ignore[misc, valid-type]
    """YAML that keeps dates as text, so a missing time zone can be refused rather than guessed."""

    def resolve(self, kind: type[Node], value: Any, implicit: tuple[bool, bool]) -> Any:
        # libyaml asks this of every key and value. PyYAML's own answer, minus its list building
        # per call; path resolvers, which would also have a say, are never added to this loader.
        if kind is ScalarNode:
            if implicit[0]:
                for tag, pattern in _IMPLICIT.get(value[:1], _ANY_FIRST):
                    if pattern.match(value):
                        return tag
            return self.DEFAULT_SCALAR_TAG
        return super().resolve(kind, value, implicit)


_FrontMatterLoader.yaml_implicit_resolvers = {
    first: [(tag, pattern) for tag, pattern in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
# The resolvers for a scalar by its first character, those for any first character included.
_ANY_FIRST = tuple(_FrontMatterLoader.yaml_implicit_resolvers.get(None, []))
_IMPLICIT = {
    first: tuple(resolvers) + _ANY_FIRST
    for first, resolvers in _FrontMatterLoader.yaml_implicit_resolvers.items()
    if first is not None
}


# The quick path's lines. A scalar on one line: double-quoted without escapes, single-quoted
# without quotes inside, or plain words starting with a letter, a digit or a dot, with a colon
# or a space only before a word's character; never a tab, a control or a line-breaking
# character, nor a comment. A line that is anything else sends the document to libyaml.
_TEXT = r"\x00-\x1f\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff"  # characters quoted text never holds here
_QUOTED = rf"\"(?P<double>[^\"\\{_TEXT}]*)\"|'(?P<single>[^'{_TEXT}]*)'"
_WORD = rf"[^\s#:{_TEXT}]"  # within plain words: ':', ' ' and '#' could end them
_PLAIN_WORDS = rf"(?P<plain>[\w.](?:{_WORD}|[: ](?={_WORD}))*)"
_SCALAR = rf"(?:{_QUOTED}|{_PLAIN_WORDS})"
# "key: scalar", "key:" (a list or a table follows, or nothing), "- key: scalar" (a table in a list).
_ENTRY = re.compile(rf"(?P<indent> *)(?P<dash>- +)?(?P<key>[A-Za-z_][A-Za-z0-9_]*):(?: +{_SCALAR})? *\n")
_ITEM = re.compile(rf"(?P<indent> *)- +{_SCALAR} *\n")  # "- scalar" in a list
_SKIPPED = re.compile(rf" *(?:#[^{_TEXT}]*)?\n")  # blank lines and comments
_CONSTRUCTORS = {
    "tag:yaml.org,2002:bool": SafeConstructor.construct_yaml_bool,
    "tag:yaml.org,2002:int": SafeConstructor.construct_yaml_int,
    "tag:yaml.org,2002:float": SafeConstructor.construct_yaml_float,
}
_CONSTRUCTOR = SafeConstructor()


class _NotPlain(Exception):
    """The document holds something the quick path does not build: PyYAML builds it."""


def parse_front_matter(path: Path) -> tuple[dict[str, Any], dict[str, int], str, int]:
    """Split an episode file into its front matter, the line of each key, the notes and their first line."""
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as error:
        raise CatalogueError(f"not valid UTF-8 ({error.reason}); save the file as UTF-8", path=path) from None
    if "\r" in text:  # line ends as text mode reads them
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != "---":
        raise CatalogueError(
            "the file must start with '---' and a YAML front matter block", path=path, line=1
        )
    for end in range(1, len(lines)):
        if lines[end].strip() == "---":
            break
    else:
        raise CatalogueError("the front matter is not closed by a '---' line", path=path, line=1)
    quick = _quick(lines, end)
    if quick is not None:
        return quick[0], quick[1], "".join(lines[end + 1 :]), end + 2
    loader = _FrontMatterLoader("".join(lines[1:end]))
    try:
        node = loader.get_single_node()
        data = _construct(loader, node) if node is not None else {}
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 2 if mark is not None else None
        reason = getattr(error, "problem", None) or str(error)
        raise CatalogueError(f"invalid front matter: {reason}", path=path, line=line) from None
    finally:
        loader.dispose()
    if not isinstance(data, dict):
        raise CatalogueError("the front matter must be a set of 'key: value' lines", path=path, line=2)
    key_lines = {key.value: key.start_mark.line + 2 for key, _ in node.value} if node is not None else {}
    return data, key_lines, "".join(lines[end + 1 :]), end + 2


def _quick(lines: list[str], end: int) -> tuple[dict[str, Any], dict[str, int]] | None:
    """The values and key lines of the front matter ``lines[1:end]`` if it has the quick path's shape.

    That is: ``key: scalar`` lines, or a bare ``key:`` above a table of ``key: scalar`` lines or a
    list of scalars and of such tables; no key twice in a table. Else None, for libyaml to read.
    """
    data: dict[str, Any] = {}
    key_lines: dict[str, int] = {}
    index = 1
    while index < end:
        line = lines[index]
        index += 1
        entry = _ENTRY.fullmatch(line)
        if entry is None:
            if _SKIPPED.fullmatch(line) is None:
                return None
            continue
        key = entry["key"]
        if entry["indent"] or entry["dash"] or key in data or not _is_text(key):
            return None
        key_lines[key] = index  # lines[0] is the file's first line
        if _has_scalar(entry):
            value = _scalar(entry)
        else:
            start = index
            while index < end and lines[index][0] in " -#\n":  # up to the next top-level key
                index += 1
            value = _block(lines[start:index])
        if value is _NOT_QUICK:
            return None
        data[key] = value
    return data, key_lines


def _block(lines: list[str]) -> Any:
    """The value of the *lines* below a bare ``key:``: None, a table or a list, else _NOT_QUICK."""
    rows = []
    for line in lines:
        row = _ENTRY.fullmatch(line) or _ITEM.fullmatch(line)
        if row is not None:
            rows.append(row)
        elif _SKIPPED.fullmatch(line) is None:
            return _NOT_QUICK
    if not rows:
        return None  # YAML's null
    first = rows[0]
    if first.re is _ENTRY and not first["dash"]:
        return _table(rows, len(first["indent"]))
    # A list: "- scalar" items and "- key: scalar" tables (continued by "key: scalar" rows).
    column = len(first["indent"])
    groups: list[list[re.Match[str]]] = []
    for row in rows:
        if row.re is _ITEM or row["dash"]:
            if len(row["indent"]) != column:
                return _NOT_QUICK
            groups.append([row])
        elif groups and groups[-1][0].re is _ENTRY:
            groups[-1].append(row)
        else:
            return _NOT_QUICK
    items = [
        _scalar(head) if head.re is _ITEM else _table(group, column + len(head["dash"]))
        for group in groups
        for head in group[:1]
    ]
    return _NOT_QUICK if any(item is _NOT_QUICK for item in items) else items


def _table(rows: list[re.Match[str]], column: int) -> Any:
    """The table of *rows*, ``key: scalar`` with every key at *column*, else _NOT_QUICK."""
    table: dict[str, Any] = {}
    for number, row in enumerate(rows):
        dash = row["dash"] if row.re is _ENTRY else "-"
        at = len(row["indent"]) + (len(dash) if number == 0 and dash else 0)
        if row.re is not _ENTRY or at != column or (dash and number > 0) or not _has_scalar(row):
            return _NOT_QUICK
        key = row["key"]
        if key in table or not _is_text(key):
            return _NOT_QUICK
        value = _scalar(row)
        if value is _NOT_QUICK:
            return _NOT_QUICK
        table[key] = value
    return table


_NOT_QUICK: Any = object()


def _has_scalar(row: re.Match[str]) -> bool:
    return row["plain"] is not None or row["double"] is not None or row["single"] is not None


def _scalar(row: re.Match[str]) -> Any:
    """What PyYAML's safe constructor builds from the scalar of *row*; _NOT_QUICK for other types."""
    plain = row["plain"]
    if plain is None:  # quoted: text, whatever it holds
        double = row["double"]
        return double if double is not None else row["single"]
    return _plain_value(plain)


@lru_cache(maxsize=1024)  # the values are never changed: numbers, booleans, text and None
def _plain_value(plain: str) -> Any:
    tag = _tag(plain)
    if tag == _STR:
        return plain
    if tag == _NULL:
        return None
    construct = _CONSTRUCTORS.get(tag)
    return _NOT_QUICK if construct is None else construct(_CONSTRUCTOR, ScalarNode(tag, plain))


@lru_cache(maxsize=256)
def _is_text(key: str) -> bool:
    return _tag(key) == _STR


def _tag(plain: str) -> str:
    """The tag libyaml, asking :meth:`_FrontMatterLoader.resolve`, gives a plain scalar."""
    for tag, pattern in _IMPLICIT.get(plain[:1], _ANY_FIRST):
        if pattern.match(plain):
            return tag
    return _STR


def _construct(loader: Any, node: Node) -> Any:
    try:
        return _plain(loader, node, set())
    except _NotPlain:
        return loader.construct_document(node)


def _plain(loader: Any, node: Node, open_nodes: set[int]) -> Any:
    """What PyYAML's safe constructor builds from *node*, for plain nodes only."""
    if isinstance(node, ScalarNode):
        return _plain_scalar(loader, node)
    # An alias shares its node: one reached again inside itself is a recursive document.
    if id(node) in open_nodes:
        raise _NotPlain
    open_nodes.add(id(node))
    built: Any
    if isinstance(node, SequenceNode) and node.tag == _SEQ:
        built = [_plain(loader, item, open_nodes) for item in node.value]
    elif isinstance(node, MappingNode) and node.tag == _MAP:
        built = {}
        for key, value in node.value:
            # Text keys only: merge keys (<<), numbers and the like take PyYAML's path.
            if key.tag != _STR or not isinstance(key, ScalarNode):
                raise _NotPlain
            if value.tag == _STR and isinstance(value, ScalarNode):  # most values: no call
                built[key.value] = value.value
            else:
                built[key.value] = _plain(loader, value, open_nodes)
    else:
        raise _NotPlain
    open_nodes.discard(id(node))
    return built


def _plain_scalar(loader: Any, node: ScalarNode) -> Any:
    tag = node.tag
    if tag == _STR:
        return node.value
    if tag == _NULL:
        return None
    if tag in _SIMPLE_SCALARS:
        return loader.construct_object(node)
    raise _NotPlain


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
