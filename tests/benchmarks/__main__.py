"""Run every benchmark, one after the other: ``python -m tests.benchmarks [NAME ...]``.

Each prints its figures beside a baseline measured in the same run; the exit
code is non-zero when any target was missed.
"""

from __future__ import annotations

import importlib
import sys

BENCHMARKS = (
    "bench_feed",
    "bench_build",
    "bench_probe",
    "bench_storage",
    "bench_web",
    "bench_loudness",
    "bench_publish",
    "bench_import",
    "bench_stats",
    "bench_hop",
    "bench_studio_upload",
)


def main(argv: list[str]) -> int:
    names = argv or list(BENCHMARKS)
    failures = []
    for name in names:
        module = importlib.import_module(f"tests.benchmarks.{name}")
        print(f"\n== {name} ==", flush=True)
        if module.main([]) != 0:
            failures.append(name)
    if failures:
        print(f"\ntargets missed in: {', '.join(failures)}")
        return 1
    print("\nevery target met")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
