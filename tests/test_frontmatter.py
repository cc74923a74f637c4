"""Front matter: the quick path builds exactly what PyYAML's own safe constructor builds."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
import yaml

from podcaster.errors import CatalogueError
from podcaster.folder.frontmatter import _construct, _FrontMatterLoader, _quick, parse_front_matter

DOCUMENTS = {
    "plain": 'title: "Un épisode"\nseason: 1\nepisode: 2\ndate: 2023-01-25T09:00:00+01:00\nguid: abc\n',
    "scalars": "a: ~\nb: null\nc: yes\nd: Off\ne: 0o17\nf: 0x1F\ng: 1_000\nh: 1:30\ni: .inf\nj: -.5e3\n"
    "k: '12'\nl: \"true\"\nm: 2023-01-25\nn: \nо: =\n",
    "nested": "persons:\n  - Alice\n  - name: Bob\n    role: host\nlocation: {name: Pantin, geo: 'geo:1,2'}\n"
    "keywords: [a, 1, true, null]\n",
    "blocks": "summary: |\n  Deux\n  lignes\nnotes: >\n  plié\n  ici\n",
    "anchors": "base: &b {role: host}\npersons: [*b, *b]\n",
    "merge": "base: &b {role: host}\nperson:\n  <<: *b\n  name: Alice\n",
    "tags": "a: !!str 12\nb: !!float 1\nc: !!binary aGVsbG8=\nd: !!timestamp 2023-01-25\ne: !!set {x, y}\n",
    "keys": "1: one\ntrue: yes\n? [a, b]\n: list key\n",
    "duplicate": "title: first\ntitle: second\n",
}


def _pyyaml(source: str) -> object:
    loader = _FrontMatterLoader(source)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


def _write(tmp_path: Path, source: str, notes: str = "Les notes.\n") -> Path:
    path = tmp_path / "episode.md"
    path.write_text(f"---\n{source}---\n{notes}", encoding="utf-8")
    return path


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_same_values_as_pyyaml(tmp_path: Path, name: str) -> None:
    source = DOCUMENTS[name]
    try:
        expected = _pyyaml(source)
    except yaml.YAMLError:
        with pytest.raises(CatalogueError, match="invalid front matter"):
            parse_front_matter(_write(tmp_path, source))
        return
    if not isinstance(expected, dict):
        with pytest.raises(CatalogueError, match="key: value"):
            parse_front_matter(_write(tmp_path, source))
        return
    data, _, notes, first_line = parse_front_matter(_write(tmp_path, source))
    assert data == expected
    assert [type(value) for value in data.values()] == [type(value) for value in expected.values()]
    assert notes == "Les notes.\n"
    assert first_line == source.count("\n") + 3


def test_recursive_documents_are_built_by_pyyaml(tmp_path: Path) -> None:
    data, _, _, _ = parse_front_matter(_write(tmp_path, "a: &a [*a]\n"))
    assert data["a"][0] is data["a"]


def test_dates_stay_text_and_key_lines_are_file_lines(tmp_path: Path) -> None:
    data, key_lines, _, _ = parse_front_matter(_write(tmp_path, DOCUMENTS["plain"]))
    assert data["date"] == "2023-01-25T09:00:00+01:00"
    assert key_lines == {"title": 2, "season": 3, "episode": 4, "date": 5, "guid": 6}


def test_line_ends_are_read_as_text_mode_reads_them(tmp_path: Path) -> None:
    path = tmp_path / "episode.md"
    path.write_bytes(b"---\r\ntitle: Un\r\nseason: 1\r---\r\nLes notes.\r\nFin.\r\n")
    data, key_lines, notes, first_line = parse_front_matter(path)
    assert data == {"title": "Un", "season": 1}
    assert key_lines == {"title": 2, "season": 3}
    assert (notes, first_line) == ("Les notes.\nFin.\n", 5)


def test_a_file_that_is_not_utf8_says_so(tmp_path: Path) -> None:
    path = tmp_path / "episode.md"
    path.write_bytes("---\ntitle: é\n---\n".encode("latin-1"))
    with pytest.raises(CatalogueError, match=r"not valid UTF-8 \(invalid continuation byte\)"):
        parse_front_matter(path)


EPISODE = (
    'title: "Épisode 1 : la ville"\nseason: 1\nepisode: 1\ntype: full\ndate: 2023-01-25T10:00:00+01:00\n'
    "guid: 3f2c8e1a-5b7d\naudio: audio/s1-e1.mp3\n# a comment\n\npersons:\n  - name: Antoine Tricot\n"
    "    role: host\n  - Invitée\nlocation:\n  name: 'Bobigny'\n  geo: geo:48.9,2.4\nkeywords:\n- ville\n- 93\n"
)
_KEYS = ["title", "season", "a", "on", "null", "yes", "y", "_x", "True", "Key"]
_SCALARS = [
    '"x"', '"É à ç"', '"a # b"', '"a: b"', "'q'", "''", '" sp "', "1", "0", "0123", "1_000", "1:30", "-1",
    "1.5", ".5", ".inf", ".nan", "1e3", "true", "False", "yes", "Off", "null", "~", "2023-01-25", "abc",
    "2023-01-25T10:00:00+01:00", "a b", "a  b", "a:b", "a: b", "a #b", "a#b", "http://x/y", "x@y.z", "@x",
    "-x", "- x", "...", "0x1F", "0o17", "=", "<<", "&a x", "*a", "!x", "[a]", "{a: 1}", "|", '"a\\"b"',
    "'a''b'", '"tab\there"', "Élodie Dupont", "12:30", '"x" # c', "x # c", "x ", '"\u2028"', '"\x85"',
    "a\u00a0b", "日本語", '"🎙️ x"', "1__0", "_", "d'habitants", "a,b", "a, b", "(x)", "a!b", "a&b",
    "a*b", "a?b", "a|b", "a%b", "a`b", 'a"b', "a[b]", "a{b}", "a - b", "a -b", "x:", "a:#b", "a: #b", "a\\tb",
]  # fmt: skip


def _typed(value: object) -> object:
    """*value* with the type of everything in it, so that 1 and True, or 1 and 1.0, differ."""
    if isinstance(value, dict):
        return [(_typed(key), _typed(item)) for key, item in value.items()]
    if isinstance(value, list):
        return ["list", *(_typed(item) for item in value)]
    return (type(value).__name__, repr(value))


def _random_front_matter(rng: random.Random) -> str:
    lines = []
    for _ in range(rng.randint(0, 6)):
        key, scalar, shape = rng.choice(_KEYS), rng.choice(_SCALARS), rng.random()
        if shape < 0.5:
            lines.append(f"{key}:{rng.choice([' ', '  '])}{scalar}{rng.choice(['', ' '])}")
            continue
        lines.append(f"{key}:")
        indent = rng.choice(["", " ", "  ", "  ", "    "])
        for _ in range(rng.randint(0, 3)):
            if shape < 0.75:  # a table
                lines.append(f"{rng.choice([indent] * 9 + [' '])}{rng.choice(_KEYS)}: {rng.choice(_SCALARS)}")
                continue
            dash = rng.choice(["- ", "- ", "-  "])
            if rng.random() < 0.4:
                lines.append(f"{indent}{dash}{rng.choice(_SCALARS)}")
                continue
            lines.append(f"{indent}{dash}{rng.choice(_KEYS)}: {rng.choice(_SCALARS)}")
            for _ in range(rng.randint(0, 2)):
                extra = rng.choice(["", "", "", "", " ", "- "])
                lines.append(f"{indent}{' ' * len(dash)}{extra}{rng.choice(_KEYS)}: {rng.choice(_SCALARS)}")
            lines.extend(rng.choice([[], [], [], [""], ["  # c"]]))
    return "".join(line + "\n" for line in lines)


def _libyaml(source: str) -> tuple[object, dict[str, int]]:
    """What libyaml and PyYAML read from *source*: its values, with their types, and each key's line."""
    loader = _FrontMatterLoader(source)
    try:
        node = loader.get_single_node()  # raises for a document that is not YAML
        data = _construct(loader, node) if node is not None else {}
        return _typed(data), {key.value: key.start_mark.line + 2 for key, _ in node.value} if node else {}
    finally:
        loader.dispose()


def test_the_quick_path_reads_an_episode_file_as_pyyaml_does() -> None:
    lines = ["---\n", *EPISODE.splitlines(keepends=True), "---\n"]
    quick = _quick(lines, len(lines) - 1)
    assert quick is not None
    assert (_typed(quick[0]), quick[1]) == _libyaml(EPISODE)
    assert quick[1]["persons"] == 11


def test_the_quick_path_gives_pyyaml_s_values_or_leaves_the_document_to_it() -> None:
    rng = random.Random(9)
    taken = 0
    for _ in range(3000):
        source = _random_front_matter(rng)
        lines = ["---\n", *source.splitlines(keepends=True), "---\n"]
        quick = _quick(lines, len(lines) - 1)
        if quick is not None:
            taken += 1
            assert (_typed(quick[0]), quick[1]) == _libyaml(source), source
    assert taken > 500  # the documents exercise the quick path, not only libyaml
