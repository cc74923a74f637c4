"""Front matter: the quick path builds exactly what PyYAML's own safe constructor builds."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from podcaster.errors import CatalogueError
from podcaster.folder.frontmatter import _FrontMatterLoader, parse_front_matter

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
