"""Benchmark: ``podcaster import`` of a large feed against feedparser reading the same feed.

Run from the repository root::

    python -m tests.benchmarks.bench_import [--count 10000]

It makes a feed of *count* items shaped like a host's (HTML notes in CDATA,
itunes tags, enclosures with length and type), then measures in the same run:

- the baseline: ``feedparser.parse`` of the bytes, the parser most Python
  podcast tools use, which only reads the feed into dictionaries;
- a first import: safe parsing, every item planned, its notes converted to
  Markdown and checked, every episode file, the lock and the record written,
  and the catalogue loaded back (target: under 3× the baseline);
- a re-import with nothing changed: every file compared, nothing written
  (target: under 2× the baseline).
"""

from __future__ import annotations

import argparse
import email.utils
import gc
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import feedparser

from podcaster.importing.importer import import_feed

FIRST_TARGET = 3.0
AGAIN_TARGET = 2.0

_NOTES = (
    "<p>Dans cet épisode n°{n}, nous revenons sur la <strong>politique de la ville</strong> en "
    "Seine-Saint-Denis : quartiers prioritaires, rénovation urbaine, <em>éducation populaire</em>.</p>"
    "<p><br></p><ul><li>Les origines</li><li>Ce que la rénovation a changé</li></ul>"
    '<p>Hébergé par Ausha. Visitez <a href="https://ausha.co/politique-de-confidentialite">'
    "ausha.co/politique-de-confidentialite</a> pour plus d'informations.</p>"
)


def make_feed(count: int) -> bytes:
    start = datetime(2010, 1, 4, 9, tzinfo=UTC)
    items = "".join(
        f'<item><title>Épisode {n} : la ville</title><guid isPermaLink="false">ausha-{n:08d}</guid>'
        f"<pubDate>{email.utils.format_datetime(start + timedelta(days=n))}</pubDate>"
        f'<enclosure url="https://audio.ausha.co/{n:08d}.mp3?t=1" length="{30_000_000 + n}" type="audio/mpeg"/>'
        f"<itunes:duration>{35 * 60 + n % 60}</itunes:duration><itunes:season>{1 + n // 500}</itunes:season>"
        f"<itunes:episode>{1 + n % 500}</itunes:episode><itunes:episodeType>full</itunes:episodeType>"
        f"<description><![CDATA[{_NOTES.format(n=n)}]]></description></item>"
        for n in range(count)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<rss version="2.0" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd">'
        "<channel><title>Penser le 9-3</title><description>Le podcast.</description><language>fr</language>"
        "<itunes:owner><itunes:name>PB</itunes:name><itunes:email>pb@example.org</itunes:email></itunes:owner>"
        f"{items}</channel></rss>"
    ).encode()


def timed(action: Callable[[], object]) -> float:
    gc.collect()
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    args = parser.parse_args(argv)
    data = make_feed(args.count)
    work = Path(tempfile.mkdtemp(prefix="bench-import-"))
    try:
        source = work / "feed.xml"
        source.write_bytes(data)
        baseline = timed(lambda: feedparser.parse(data))
        root = work / "show"
        first = timed(lambda: import_feed(root, str(source), feed_url="https://podcast.example.org/feed.xml"))
        again = timed(lambda: import_feed(root))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"{args.count:,} items, {len(data) / 1e6:.1f} MB of feed")
    print(f"  feedparser.parse (baseline)  {baseline:6.2f} s")
    print(
        f"  first import                 {first:6.2f} s  {first / baseline:4.1f}× (target < {FIRST_TARGET}×)"
    )
    print(
        f"  re-import, nothing changed   {again:6.2f} s  {again / baseline:4.1f}× (target < {AGAIN_TARGET}×)"
    )
    return 0 if first / baseline < FIRST_TARGET and again / baseline < AGAIN_TARGET else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
