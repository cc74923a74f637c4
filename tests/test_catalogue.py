"""Loading and validating the catalogue: every mistake reported at once, with file and line."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from podcaster.actions.check import check
from podcaster.errors import CatalogueError, Severity
from podcaster.folder.catalogue import load_catalogue
from podcaster.folder.episodefile import load_episode
from podcaster.folder.notes import plain_text, summarize
from tests.fixtures.catalogue import SHOW_TOML, write_episode, write_podcast

REPO = Path(__file__).resolve().parent.parent


def problems_of(root: Path) -> list[str]:
    with pytest.raises(CatalogueError) as caught:
        load_catalogue(root)
    return [str(problem) for problem in caught.value.problems]


def test_a_valid_catalogue_loads_with_rendered_notes(podcast: Path) -> None:
    write_episode(podcast, "premier", notes="Avec **Antoine** et [un lien](https://example.org).")
    write_episode(podcast, "second", number=2, date="2023-02-01T09:00:00+01:00")
    catalogue = load_catalogue(podcast)
    assert [e.slug for e in catalogue.episodes] == ["premier", "second"]
    first = catalogue.episodes[0]
    assert first.date == datetime(2023, 1, 25, 8, tzinfo=UTC)
    assert "<strong>Antoine</strong>" in first.notes_html
    assert 'href="https://example.org"' in first.notes_html
    assert first.summary == "Avec Antoine et un lien."


def test_every_problem_is_reported_at_once_with_its_line(podcast: Path) -> None:
    write_episode(podcast, "sans-titre", title="  ")
    write_episode(podcast, "faute", number=2, extra="sesaon: 1")
    write_episode(podcast, "naive", number=3, date="2023-01-25T09:00:00")
    write_episode(podcast, "mauvais-type", number=4, extra="type: special")
    write_episode(podcast, "date-illisible", number=5, date="le 25 janvier")
    problems = problems_of(podcast)
    folder = podcast / "episodes" / "saison-1"
    assert f"{folder / 'sans-titre.md'}:2: 'title' must not be empty" in problems
    assert any(
        p.startswith(f"{folder / 'faute.md'}:8: unknown key 'sesaon'") and "did you mean 'season'" in p
        for p in problems
    )
    assert any(p.startswith(f"{folder / 'naive.md'}:5: 'date'") and "no time zone" in p for p in problems)
    assert any(
        p.startswith(f"{folder / 'mauvais-type.md'}:8: 'type' must be full, trailer or bonus")
        for p in problems
    )
    assert any(p.startswith(f"{folder / 'date-illisible.md'}:5: 'date' is not a date") for p in problems)
    assert len(problems) == 5


def test_duplicates_are_refused(podcast: Path) -> None:
    write_episode(podcast, "un", guid="same-guid", number=1)
    write_episode(podcast, "deux", guid="same-guid", number=1)
    problems = problems_of(podcast)
    assert any("duplicate guid 'same-guid'" in p and p.split(":")[1] == "6" for p in problems)
    assert any("duplicate episode number 1 in season 1" in p and ":4:" in p for p in problems)


def test_unknown_season_and_wrong_folder(podcast: Path) -> None:
    path = write_episode(podcast, "ailleurs", season=1)
    path.write_text(path.read_text().replace("season: 1", "season: 3"))
    problems = problems_of(podcast)
    assert any("unknown season 3" in p for p in problems)
    assert any("the file is in saison-1/" in p for p in problems)


def test_missing_audio_is_an_error_unless_the_lock_knows_it(podcast: Path) -> None:
    write_episode(podcast, "sans-son", audio_bytes=None)
    problems = problems_of(podcast)
    assert len(problems) == 1 and "audio file not found" in problems[0] and ":7:" in problems[0]


def test_missing_required_keys_and_bad_front_matter(podcast: Path) -> None:
    folder = podcast / "episodes" / "saison-1"
    (folder / "vide.md").write_text("---\ntitle: Rien\n---\n", encoding="utf-8")
    (folder / "casse.md").write_text("---\ntitle: [unclosed\n---\n", encoding="utf-8")
    (folder / "sans-entete.md").write_text("Juste du texte\n", encoding="utf-8")
    problems = problems_of(podcast)
    for key in ("season", "date", "guid", "audio"):
        assert any(f"vide.md:1: missing '{key}'" in p for p in problems)
    assert any("casse.md" in p and "invalid front matter" in p for p in problems)
    assert any("sans-entete.md:1: the file must start with '---'" in p for p in problems)


def test_notes_are_sanitised(podcast: Path) -> None:
    write_episode(
        podcast,
        "hostile",
        title="<script>alert(1)</script>",
        notes='Bonjour <script>alert(1)</script> "><img src=x onerror=alert(1)> <a href="javascript:alert(1)">x</a>',
    )
    episode = load_catalogue(podcast).episodes[0]
    assert episode.title == "<script>alert(1)</script>"  # plain text: escaped where it is written
    assert "<script" not in episode.notes_html
    assert "onerror" not in episode.notes_html
    assert "javascript:" not in episode.notes_html


def test_drafts_and_scheduled_episodes_are_not_live(podcast: Path) -> None:
    write_episode(podcast, "publie", number=1)
    write_episode(podcast, "brouillon", number=2, extra="draft: true")
    write_episode(podcast, "futur", number=3, date="2030-01-01T09:00:00+01:00")
    catalogue = load_catalogue(podcast)
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert [e.slug for e in catalogue.live_episodes(now)] == ["publie"]
    assert {e.slug for e in catalogue.live_episodes(datetime(2031, 1, 1, tzinfo=UTC))} == {"publie", "futur"}


def test_show_file_errors_name_their_line(tmp_path: Path) -> None:
    toml = SHOW_TOML.replace('language = "fr"', 'language = "fr"\nexplicite = true').replace(
        'type = "serial"', 'type = "feuilleton"'
    )
    root = write_podcast(tmp_path / "p", toml)
    problems = problems_of(root)
    assert any(
        "podcast.toml:5: unknown key 'explicite'" in p and "did you mean 'explicit'" in p for p in problems
    )
    assert any("podcast.toml:8: 'type' must be one of episodic, serial" in p for p in problems)


def test_show_file_syntax_error_and_missing_feed(tmp_path: Path) -> None:
    root = write_podcast(tmp_path / "p", SHOW_TOML.replace('title = "Penser le test"', 'title = "Penser'))
    problems = problems_of(root)
    assert len(problems) == 1 and "podcast.toml:2: invalid TOML" in problems[0]
    root = write_podcast(
        tmp_path / "q", SHOW_TOML.replace('feed = "https://podcast.example.org/feed.xml"', "")
    )
    assert any("[urls] needs 'feed'" in p for p in problems_of(root))


def test_urls_default_from_the_feed_url(podcast: Path) -> None:
    urls = load_catalogue(podcast).show.urls
    assert urls.media == "https://podcast.example.org/media/"
    assert urls.site == "https://podcast.example.org/"


def test_the_bundled_penser_le_9_3_catalogue_is_coherent() -> None:
    """Everything but the audio (which the demo makes) validates in the repository's own catalogue."""
    with pytest.raises(CatalogueError) as caught:
        load_catalogue(REPO)
    assert all("audio file not found" in p.message for p in caught.value.problems)
    assert len(caught.value.problems) == len(list((REPO / "episodes").glob("saison-*/*.md")))


HOSTILE_LINKS = """
[[show.funding]]
url = "javascript:alert(1)"
text = "Soutenir"

[[show.persons]]
name = "Antoine Tricot"
href = "data:text/html,<script>alert(1)</script>"
img = "vbscript:msgbox(1)"
"""


def test_links_that_could_run_code_are_refused_with_file_and_line(tmp_path: Path) -> None:
    root = write_podcast(tmp_path / "p", SHOW_TOML.replace("\n[urls]", HOSTILE_LINKS + "\n[urls]"))
    episode = write_episode(
        root,
        "lien",
        extra="""
        persons:
          - name: Fatima Benali
            href: " JavaScript:alert(1)"
          - name: Yacine
            img: "https://[::1"
        """,
    )
    problems = problems_of(root)
    toml = root / "podcast.toml"
    assert f"{toml}:14: 'url' must be an absolute http(s) URL, not 'javascript:alert(1)'" in problems
    assert any(p.startswith(f"{toml}:19: 'href' in [show.persons] must be an http(s) URL") for p in problems)
    assert any(p.startswith(f"{toml}:20: 'img' in [show.persons] must be an http(s) URL") for p in problems)
    assert f"{episode}:8: 'href' in a person must be an http(s) URL, not 'JavaScript:alert(1)'" in problems
    assert any(p.startswith(f"{episode}:8: 'img' in a person must be an http(s) URL") for p in problems)
    assert len(problems) == 5


def test_plain_http_links_are_a_warning_in_check(podcast: Path) -> None:
    toml = podcast / "podcast.toml"
    toml.write_text(
        toml.read_text().replace(
            "\n[urls]",
            '\n[[show.funding]]\nurl = "http://example.org/don"\ntext = "Soutenir"\n\n[urls]',
        )
    )
    episode = write_episode(
        podcast, "lien", extra="persons:\n  - name: Fatima\n    href: http://example.org/f"
    )
    warnings = [str(p) for p in check(podcast, datetime(2026, 1, 1, tzinfo=UTC), audio=False).warnings]
    assert f"{toml}: warning: [show.funding] url is plain http, use https: http://example.org/don" in warnings
    assert (
        f"{episode}: warning: 'persons': href of Fatima is plain http, use https: http://example.org/f"
        in warnings
    )


@pytest.mark.parametrize(
    ("written", "read"), [("0123", "83"), ("12:30", "750"), ("0x1F", "31"), ("true", "True")]
)
def test_a_guid_yaml_would_rewrite_is_refused_with_file_and_line(
    tmp_path: Path, written: str, read: str
) -> None:
    root = write_podcast(tmp_path)
    path = write_episode(root, "premier", guid="placeholder")
    path.write_text(
        path.read_text(encoding="utf-8").replace("guid: placeholder", f"guid: {written}"), encoding="utf-8"
    )
    assert f"guid: {written}\n" in path.read_text(encoding="utf-8")
    with pytest.raises(CatalogueError) as caught:
        load_catalogue(root)
    problem = next(p for p in caught.value.problems if "guid" in p.message)
    assert problem.path == path and problem.line is not None
    assert path.read_text(encoding="utf-8").splitlines()[problem.line - 1].startswith("guid:")
    assert "quoted" in problem.message and read.split(".")[0] in problem.message


def test_loading_notes_what_it_saw_of_episode_files_and_their_audio(podcast: Path) -> None:
    # What the build's manifest records of them, without looking again.
    path = write_episode(podcast, "premier")
    catalogue = load_catalogue(podcast)
    for file in (path, podcast / "audio" / "premier.mp3"):
        status = file.stat()
        assert catalogue.files[str(file)] == (status.st_size, status.st_mtime_ns)
    missing = write_episode(podcast, "second", number=2, guid="g2", audio_bytes=None)
    seen: dict[str, tuple[int, int] | None] = {}
    episode, _, problems = load_episode(missing, catalogue.show, {"g2"}, None, seen)
    assert episode is not None and [problem.severity for problem in problems] == [Severity.WARNING]
    assert seen[str(podcast / "audio" / "second.mp3")] is None
    assert seen[str(missing)] is not None


def test_plain_text_makes_every_run_of_whitespace_one_space() -> None:
    fragment = "<p>\u2028Un\u00a0 épisode\t\n<br/>avec&nbsp;des <em>notes</em>\u3000</p>\x1c"
    assert plain_text(fragment) == "Un épisode avec des notes"
    assert summarize("<p>  </p><p>Suite</p>") == ""
