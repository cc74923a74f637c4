"""Benchmark: the counting hop (``/e/<key>``) under gunicorn, against a bare Flask route that only redirects.

Run from the repository root::

    python -m tests.benchmarks.bench_hop [--episodes 20] [--seconds 2] [--rounds 3]

A show built with the library, ``[stats] prefix = true``, is served by
``create_app`` under gunicorn (2 workers, gthread, 4 threads each); the
baseline is a minimal Flask app whose one route answers 302 to a fixed
address, served the same way. The client of :mod:`bench_web` keeps 8 HTTP/1.1
connections alive in another process and asks for every episode's hop URL in
turn (as a podcast app, with a user agent, so every request is counted).
Printed: requests per second of both, best of the rounds (interleaved), and
the ratio. Target: hop ≥ 0.8 × bare redirect. Then the downloads the hop
wrote to the audience database once the servers stopped.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from tests.benchmarks.bench_web import Running, make_show, measure

TARGET = 0.8
AGENT = "User-Agent: AntennaPod/3.2.0\r\n"


def make_redirect() -> Any:
    """The baseline: a Flask route that only redirects."""
    from flask import Flask, redirect

    app = Flask("redirect")

    @app.get("/e/<path:key>")
    def hop(key: str) -> Any:
        return redirect("https://media.example.org/" + key, 302)

    return app


def make_site() -> Any:
    from web import create_app

    return create_app(Path(os.environ["PODCASTER_ROOT"]))


class Gunicorn(Running):
    """bench_web's server in a subprocess, with this module's apps."""

    def __init__(self, factory: str, root: Path) -> None:
        import socket

        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(128)
        self.port = self.listener.getsockname()[1]
        fd = self.listener.fileno()
        command = [
            sys.executable, "-m", "gunicorn", f"tests.benchmarks.bench_hop:{factory}()",
            "--bind", f"fd://{fd}", "--workers", "2", "--worker-class", "gthread", "--threads", "4",
            "--keep-alive", "5", "--log-level", "warning",
        ]  # fmt: skip
        env = {**os.environ, "PODCASTER_ROOT": str(root)}
        self.process = subprocess.Popen(command, pass_fds=[fd], env=env)
        self._wait_ready()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks.bench_hop")
    parser.add_argument("--episodes", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    from podcaster.actions.stats import audience_figures
    from podcaster.folder.catalogue import load_catalogue
    from podcaster.stats import targets_of

    with tempfile.TemporaryDirectory(prefix="bench-hop-") as folder:
        root = Path(folder) / "podcast"
        make_show(root, args.episodes)
        with (root / "podcast.toml").open("a", encoding="utf-8") as show:
            show.write("\n[stats]\nprefix = true\n")
        keys = [min(target.keys, key=len) for target in targets_of(load_catalogue(root))]
        paths = [f"/e/{key}" for key in keys]
        site, bare = Gunicorn("make_site", root), Gunicorn("make_redirect", root)
        rates = {"bare redirect": 0.0, "hop": 0.0}
        try:
            for _ in range(args.rounds):
                for name, port in (("bare redirect", bare.port), ("hop", site.port)):
                    rate = measure(
                        port,
                        paths,
                        headers=AGENT,
                        seconds=args.seconds,
                        connections=args.connections,
                        expect=302,
                    )
                    rates[name] = max(rates[name], rate)
        finally:
            site.stop()
            bare.stop()
        ratio = rates["hop"] / rates["bare redirect"]
        print(f"bare redirect: {rates['bare redirect']:,.0f} req/s")
        print(f"hop:           {rates['hop']:,.0f} req/s  ({ratio:.2f} × bare; target ≥ {TARGET})")
        figures = audience_figures(root)
        print(
            f"downloads written by the hop: {figures.total} "
            f"({len(keys)} episodes, one listener, two worker processes: at most {2 * len(keys)})"
        )
        return 0 if ratio >= TARGET else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
