"""Benchmark: a whole ``podcaster build`` of a large catalogue against writing its feed with lxml.

Run from the repository root::

    python -m tests.benchmarks.bench_build [--count 10000] [--repeat 5]

It writes a catalogue of *count* episode files (front matter and Markdown
notes) with a lock file holding their media facts (no audio: the case of a
machine that builds without it), then measures in the same run, in turns
(each ratio is the median of the pairs' ratios):

- the baseline: the same items written directly with lxml, in memory;
- a cold build: reading and validating every file, rendering the notes, the
  whole-show feed, one feed per season and episodes.json, writing them
  (target: under 3× the baseline);
- a rebuild with nothing changed (target: under 1.5× the baseline);
- not a target: writing the same files into an empty folder, right after the
  cold build, to show how much of it the disk took at that moment.
"""

from __future__ import annotations

import argparse
import gc
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import timedelta
from functools import partial
from pathlib import Path

from podcaster.actions.build import build
from podcaster.feed.output import BuildResult, write_feeds
from podcaster.folder.layout import PodcastFolder
from podcaster.folder.lockfile import Lock
from tests.benchmarks.bench_feed import lxml_feed, synthetic_catalogue

COLD_TARGET = 3.0
REBUILD_TARGET = 1.5

_NOTES_MARKDOWN = """\
Dans cet épisode, nous revenons sur la politique de la ville en Seine-Saint-Denis : quartiers
prioritaires, rénovation urbaine, éducation populaire et vie associative. Avec les témoignages
d'habitantes et d'habitants, d'élus et de professionnels.

## Au programme

- Les origines de la politique de la ville
- Ce que la rénovation urbaine a changé
- Les associations, au cœur du lien social

Pour aller plus loin : [les ressources du centre de ressources](https://example.org/ressources).
"""


def write_catalogue(root: Path, count: int) -> None:
    public_show, episodes = synthetic_catalogue(count)
    seasons = "".join(
        f'\n[[seasons]]\nnumber = {season.number}\nname = "{season.name}"\n'
        for season in public_show.show.seasons
    )
    (root / "podcast.toml").write_text(
        '[show]\ntitle = "Penser le 9-3"\ndescription = "Le podcast de Profession Banlieue."\n'
        'language = "fr"\nauthor = "Profession Banlieue"\ntype = "serial"\n'
        'categories = ["Society & Culture > Documentary", "Government"]\n'
        '[show.owner]\nname = "Profession Banlieue"\nemail = "podcast@example.org"\n'
        '[urls]\nfeed = "https://podcast.example.org/feed.xml"\n' + seasons,
        encoding="utf-8",
    )
    lock = Lock(path=root / "podcast.lock")
    for public in episodes:
        episode = public.episode
        folder = root / "episodes" / f"saison-{episode.season}"
        folder.mkdir(parents=True, exist_ok=True)
        audio = f"audio/{episode.slug}.mp3"
        (folder / f"{episode.slug}.md").write_text(
            f'---\ntitle: "{episode.title}"\nseason: {episode.season}\nepisode: {episode.number}\n'
            f"type: full\ndate: {episode.date.isoformat()}\nguid: {episode.guid}\naudio: {audio}\n"
            f"persons:\n  - name: Antoine Tricot\n    role: host\n---\n{_NOTES_MARKDOWN}",
            encoding="utf-8",
        )
        lock.record_media(episode.guid, audio, public.media)
    lock.save()


def timed(run: object) -> float:
    gc.collect()
    started = time.perf_counter()
    run()  # type: ignore[operator]
    return time.perf_counter() - started


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)

    public_show, episodes = synthetic_catalogue(args.count)
    newest_first = sorted(episodes, key=lambda public: public.episode.date, reverse=True)
    now = newest_first[0].episode.date + timedelta(days=1)

    def baseline() -> None:
        lxml_feed(public_show, newest_first, self_url=public_show.show.urls.feed)

    with tempfile.TemporaryDirectory(prefix="podcaster-bench-") as folder:
        root = Path(folder)
        write_catalogue(root, args.count)
        baseline()  # warm-up: imports, lxml's first document
        # In turns, so that a machine whose speed drifts during the run weighs on both sides
        # of each ratio alike: the baseline, a cold build, a rebuild; the median of the ratios.
        times: dict[str, list[float]] = {"baseline": [], "cold": [], "rebuild": [], "writing": []}
        for turn in range(args.repeat):
            times["baseline"].append(timed(baseline))
            shutil.rmtree(root / "feeds", ignore_errors=True)
            shutil.rmtree(root / ".podcaster", ignore_errors=True)
            times["cold"].append(timed(lambda: build(root, now)))
            times["rebuild"].append(timed(lambda: build(root, now)))
            # What the disk alone takes, now, of a cold build: writing the same files into an empty folder.
            documents = {path.name: path.read_bytes() for path in (root / "feeds").iterdir()}
            scratch = PodcastFolder(Path(folder) / f"scratch-{turn}")
            times["writing"].append(timed(partial(write_feeds, scratch, documents, BuildResult())))
        result = build(root, now)
        assert result.up_to_date, "the rebuild did not find the feeds up to date"
        feed_size = (root / "feeds" / "feed.xml").stat().st_size

    def ratio(name: str) -> float:
        return statistics.median(
            side / base for side, base in zip(times[name], times["baseline"], strict=True)
        )

    def row(label: str, name: str) -> str:
        each = " ".join(f"{value * 1000:.0f}" for value in times[name])
        return f"  {label:30s} median {statistics.median(times[name]) * 1000:7.1f} ms  (each run: {each})"

    cold, rebuild = ratio("cold"), ratio("rebuild")
    print(
        f"build of {args.count:,} episodes ({feed_size / 1e6:.1f} MB feed), {args.repeat} runs of each, in turns"
    )
    print(row("lxml baseline (feed, memory)", "baseline"))
    print(row("cold build", "cold"))
    print(row("rebuild, nothing changed", "rebuild"))
    print(row("  (writing its files alone)", "writing"))
    print(
        f"  cold build / baseline, median of the pairs: {cold:5.2f}  (target < {COLD_TARGET})  "
        + ("ok" if cold < COLD_TARGET else "OVER TARGET")
    )
    print(
        f"  rebuild / baseline, median of the pairs:    {rebuild:5.2f}  (target < {REBUILD_TARGET})  "
        + ("ok" if rebuild < REBUILD_TARGET else "OVER TARGET")
    )
    # Not a target: how much of the cold build is this disk's, which moves from minute to minute.
    print(
        f"  (the files alone / baseline:                 {ratio('writing'):5.2f}: "
        "making 800-odd files is the part that moves most here)"
    )
    return 0 if cold < COLD_TARGET and rebuild < REBUILD_TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
