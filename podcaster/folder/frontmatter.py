"""An episode file's YAML front matter: the values, the line each key is on, and the notes after it.

A catalogue holds thousands of these small documents, so the plain ones (keys
of text, values of text, numbers, booleans, lists and tables of them) are
built straight from the nodes libyaml composes; anything else (anchors, merge
keys, explicit tags) goes through PyYAML's own constructor. Both give the same
values.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
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
