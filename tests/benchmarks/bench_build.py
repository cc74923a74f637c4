"""Benchmark: a whole ``podcaster build`` of a large catalogue against writing its feed with lxml.

Run from the repository root::

    python -m tests.benchmarks.bench_build [--count 10000]

It writes a catalogue of *count* episode files (front matter and Markdown
notes) with a lock file holding their media facts (no audio: the case of a
machine that builds without it), then measures in the same run:

- the baseline: the same items written directly with lxml, in memory;
- a cold build: reading and validating every file, rendering the notes, the
  whole-show feed, one feed per season and episodes.json, writing them
  (target: under 3× the baseline);
- a rebuild with nothing changed (target: under 1.5× the baseline).
"""

from __future__ import annotations

import argparse
import gc
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

from podcaster.actions.build import build
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
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)

    public_show, episodes = synthetic_catalogue(args.count)
    newest_first = sorted(episodes, key=lambda public: public.episode.date, reverse=True)
    now = newest_first[0].episode.date + timedelta(days=1)
    baseline = min(
        timed(lambda: lxml_feed(public_show, newest_first, self_url=public_show.show.urls.feed))
        for _ in range(args.repeat)
    )

    with tempfile.TemporaryDirectory(prefix="podcaster-bench-") as folder:
        root = Path(folder)
        write_catalogue(root, args.count)
        cold_times, rebuild_times = [], []
        for _ in range(args.repeat):
            shutil.rmtree(root / "feeds", ignore_errors=True)
            shutil.rmtree(root / ".podcaster", ignore_errors=True)
            cold_times.append(timed(lambda: build(root, now)))
            rebuild_times.append(timed(lambda: build(root, now)))
        result = build(root, now)
        assert result.up_to_date, "the rebuild did not find the feeds up to date"
        feed_size = (root / "feeds" / "feed.xml").stat().st_size

    cold, rebuild = min(cold_times), min(rebuild_times)
    print(f"build of {args.count:,} episodes ({feed_size / 1e6:.1f} MB feed), best of {args.repeat}")
    print(f"  lxml baseline (the feed alone, in memory) {baseline * 1000:8.1f} ms")
    print(
        f"  cold build                                {cold * 1000:8.1f} ms  ratio {cold / baseline:5.2f}"
        f"  (target < {COLD_TARGET})  {'ok' if cold / baseline < COLD_TARGET else 'OVER TARGET'}"
    )
    print(
        f"  rebuild, nothing changed                  {rebuild * 1000:8.1f} ms  ratio {rebuild / baseline:5.2f}"
        f"  (target < {REBUILD_TARGET})  {'ok' if rebuild / baseline < REBUILD_TARGET else 'OVER TARGET'}"
    )
    return 0 if cold / baseline < COLD_TARGET and rebuild / baseline < REBUILD_TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
