"""The files the library writes read back as written: episode files and podcast.toml."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from podcaster.folder.catalogue import load_catalogue, parse_front_matter
from podcaster.folder.frontmatter import render_episode_file
from podcaster.folder.tomlfile import (
    render_table,
    retarget,
    season_name_for,
    season_table,
    toml_value,
    with_season,
)
from podcaster.models import location_from_mapping, person_from_mapping
from tests.fixtures.catalogue import write_podcast


@pytest.mark.parametrize("guid", ["0123", "83", "1e3", "true", "null", "0x1F", "2023-01-25", "~", "guid: x"])
def test_a_guid_that_looks_like_another_type_is_written_quoted_and_read_back_as_text(
    guid: str, tmp_path: Path
) -> None:
    text = render_episode_file({"title": "T", "guid": guid})
    assert f'guid: "{guid}"' in text.splitlines()
    path = tmp_path / "episode.md"
    path.write_text(text, encoding="utf-8")
    data, _, _, _ = parse_front_matter(path)
    assert data["guid"] == guid


def test_a_guid_given_as_a_number_is_still_written_as_text() -> None:
    assert 'guid: "83"' in render_episode_file({"guid": 83}).splitlines()


def test_an_episode_file_loads_with_every_kind_of_value(tmp_path: Path) -> None:
    root = write_podcast(tmp_path / "show")
    front = {
        "title": 'Deux points: « guillemets » "et" #dièse',
        "season": 1,
        "episode": 1,
        "type": "full",
        "date": "2023-01-25T09:00:00+01:00",
        "guid": "0123",
        "audio": "https://cdn.example.org/1.mp3",
        "explicit": False,
        "image": None,  # left out
        "persons": [{"name": "Jeanne", "role": "host"}],
        "location": {"name": "Bobigny", "geo": "geo:48.9,2.4"},
        "keywords": ["a", "b: c"],
    }
    path = root / "episodes" / "saison-1" / "premier.md"
    path.write_text(render_episode_file(front, "Les **notes**."), encoding="utf-8")
    episode = load_catalogue(root).episodes[0]
    assert (episode.title, episode.guid, episode.explicit) == (front["title"], "0123", False)
    assert episode.keywords == ("a", "b: c") and episode.location and episode.location.geo == "geo:48.9,2.4"
    assert [(p.name, p.role) for p in episode.persons] == [("Jeanne", "host")]
    assert "image:" not in path.read_text(encoding="utf-8") and episode.notes_markdown == "Les **notes**.\n"


def test_toml_values_and_tables_read_back_as_written() -> None:
    values = {"title": 'Mon « podcast » "x"\n\\', "explicit": False, "number": 3, "categories": ["A > B"]}
    text = render_table("show", {**values, "artwork": None}) + "\n" + season_table(2, "Saison 2")
    assert tomllib.loads(text) == {"show": values, "seasons": [{"number": 2, "name": "Saison 2"}]}
    assert toml_value([]) == "[]" and toml_value(True) == "true"
    commented = render_table("websub", {"hubs": ["https://hub/"]}, commented=True)
    assert commented == '# [websub]\n# hubs = ["https://hub/"]\n'


def test_retarget_keeps_every_other_line() -> None:
    text = '# mine\n[show]\ntitle = "T"  # kept\n\n[urls]\nfeed = "https://a/f.xml"\nsite = "https://a/"\n'
    assert retarget(text, "http://127.0.0.1:1/feed.xml", "file://public") == (
        '# mine\n[show]\ntitle = "T"  # kept\n\n[urls]\nfeed = "http://127.0.0.1:1/feed.xml"\n'
        '\n[storage]\nurl = "file://public"\n'
    )


def test_a_person_and_a_location_are_read_alike_wherever_they_come_from() -> None:
    problems: list[tuple[str, str | None]] = []

    def report(message: str, key: str | None) -> None:
        problems.append((message, key))

    person = person_from_mapping(
        {"name": " Jeanne ", "href": ""}, report, where="a person", default_role="guest"
    )
    assert person is not None and (person.name, person.role, person.group, person.href) == (
        "Jeanne", "guest", "cast", None,
    )  # fmt: skip
    assert person_from_mapping({"nme": "x", "role": 3}, report, where="[show.persons]") is None
    assert location_from_mapping({"name": "Bobigny", "geo": "geo:1,2"}, report, where="'location'") == (
        location_from_mapping({"name": "Bobigny ", "geo": " geo:1,2"}, report, where="'location'")
    )
    assert problems == [
        ("unknown key 'nme' in [show.persons] (did you mean 'name'?)", "nme"),
        ("[show.persons] needs 'name'", None),
        ("'role' in [show.persons] must be text", "role"),
    ]


def test_a_new_season_goes_after_the_last_one_declared() -> None:
    text = '[show]\ntitle = "x"\n\n[[seasons]]\nnumber = 1\nname = "Un"\n# la suite\n\n[website]\ncontact = "x"\n'
    assert with_season(text, 2, season_name_for(2, "fr")) == (
        '[show]\ntitle = "x"\n\n[[seasons]]\nnumber = 1\nname = "Un"\n# la suite\n\n'
        '[[seasons]]\nnumber = 2\nname = "Saison 2"\n\n[website]\ncontact = "x"\n'
    )
    assert with_season('[show]\ntitle = "x"', 3, season_name_for(3, "en-GB")) == (
        '[show]\ntitle = "x"\n\n[[seasons]]\nnumber = 3\nname = "Season 3"\n'
    )
