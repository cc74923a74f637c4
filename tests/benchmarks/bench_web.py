"""Benchmark: the site under a WSGI server, against a minimal Flask "hello" app served the same way.

Run from the repository root::

    python -m tests.benchmarks.bench_web [--servers gunicorn waitress] [--episodes 100] [--seconds 2]

A 100-episode show is written and built with the library (probe, lock,
feeds), then served by ``create_app`` in a subprocess on 127.0.0.1, under
gunicorn (2 workers, gthread, 4 threads each) and under waitress (4
threads); a minimal Flask app answering "hello" runs under the same server
with the same settings. A client in another process keeps 8 HTTP/1.1
connections alive and sends requests back to back for a fixed time (it
reconnects when the server closes a connection). Printed, per server:
requests per second for hello, the episode pages (every episode in turn),
/feed.xml answered 200 and /feed.xml answered 304, and the ratios to hello.

Targets (checked under gunicorn): episode page ≥ 0.5 × hello; /feed.xml 304
≥ 1 × hello, within 5 % of measurement noise. Waitress closes the
connection after every 304 (it does so for any response without a body), so
under waitress a 304 pays for a new TCP connection: its figure is printed,
not held to the target.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

TARGETS = {"episode page": 0.5, "/feed.xml 304": 0.95}
NOW = datetime(2024, 6, 1, tzinfo=UTC)


# -- the show --------------------------------------------------------------------------------------


def make_show(root: Path, episodes: int) -> list[str]:
    """A show of *episodes* episodes over three seasons, built with the library; return their slugs."""
    from podcaster.actions.build import build
    from podcaster.actions.sample_audio import write_sample_audio

    root.mkdir(parents=True)
    (root / "podcast.toml").write_text(
        '[show]\ntitle = "Penser le banc d\'essai"\ndescription = "Cent épisodes pour mesurer le site."\n'
        'language = "fr"\nauthor = "Profession Banlieue"\ncategories = ["Society & Culture > Documentary"]\n'
        'type = "serial"\n[show.owner]\nname = "Profession Banlieue"\nemail = "podcast@example.org"\n'
        '[urls]\nfeed = "https://podcast.example.org/feed.xml"\n'
        + "".join(f'[[seasons]]\nnumber = {n}\nname = "Saison {n}"\n' for n in (1, 2, 3)),
        encoding="utf-8",
    )
    sample = root / "sample.mp3"
    chapters = [(0.0, "Ouverture"), (1.0, "Le terrain"), (2.0, "Conclusion")]
    write_sample_audio(sample, seconds=3, title="Échantillon", seed=1, chapters=chapters)
    (root / "audio").mkdir()
    slugs = []
    for index in range(episodes):
        season, number = index % 3 + 1, index // 3 + 1
        slug = f"saison-{season}-episode-{number}"
        slugs.append(slug)
        shutil.copyfile(sample, root / "audio" / f"{slug}.mp3")
        folder = root / "episodes" / f"saison-{season}"
        folder.mkdir(parents=True, exist_ok=True)
        notes = "\n\n".join(
            f"Paragraphe {k} de l'épisode {number} : *les quartiers*, [un lien](https://example.org/{k})."
            for k in range(6)
        )
        (folder / f"{slug}.md").write_text(
            f'---\ntitle: "Épisode {number} de la saison {season}"\nseason: {season}\nepisode: {number}\n'
            f"date: 2023-{season + 1:02d}-{number % 28 + 1:02d}T09:00:00+01:00\n"
            f"guid: bench-{slug}\naudio: audio/{slug}.mp3\n"
            "persons:\n  - name: Une invitée\n    role: guest\n---\n" + notes + "\n",
            encoding="utf-8",
        )
    build(root, NOW)
    return slugs


# -- the servers (run in subprocesses) -------------------------------------------------------------


def make_hello() -> Any:
    """The baseline: the smallest Flask app there is."""
    from flask import Flask

    app = Flask("hello")

    @app.get("/")
    def hello() -> str:
        return "hello"

    return app


def make_site() -> Any:
    from web import create_app

    return create_app(Path(os.environ["PODCASTER_ROOT"]))


def serve_waitress(kind: str, fd: int) -> None:
    """Run waitress on the listening socket inherited as *fd* (no port race: the parent bound it)."""
    import logging

    from waitress import create_server

    logging.getLogger("waitress").setLevel(logging.ERROR)
    app = make_hello() if kind == "hello" else make_site()
    listener = socket.socket(fileno=fd)
    create_server(app, sockets=[listener], threads=4).run()


class Running:
    """A server in a subprocess, listening on a socket bound here."""

    def __init__(self, server: str, kind: str, root: Path) -> None:
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(128)
        self.port = self.listener.getsockname()[1]
        fd = self.listener.fileno()
        env = {**os.environ, "PODCASTER_ROOT": str(root)}
        if server == "gunicorn":
            factory = "make_hello()" if kind == "hello" else "make_site()"
            command = [
                sys.executable, "-m", "gunicorn", f"tests.benchmarks.bench_web:{factory}",
                "--bind", f"fd://{fd}", "--workers", "2", "--worker-class", "gthread", "--threads", "4",
                "--keep-alive", "5", "--log-level", "warning",
            ]  # fmt: skip
        else:
            command = [sys.executable, "-m", "tests.benchmarks.bench_web", "--serve", kind, str(fd)]
        self.process = subprocess.Popen(command, pass_fds=[fd], env=env)
        self._wait_ready()

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as probe:
                    probe.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                    if probe.recv(12).startswith(b"HTTP/1.1"):
                        return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("the server did not answer within 30 s")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=20)
        self.listener.close()


# -- the client (runs in another subprocess) -------------------------------------------------------


async def _connection(port: int, requests: list[bytes], until: float, expect: int) -> int:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    done = 0
    try:
        while time.perf_counter() < until:
            writer.write(requests[done % len(requests)])
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            if status != expect:
                raise RuntimeError(f"HTTP {status}, expected {expect}: {head[:200]!r}")
            length, close = 0, False
            for line in head.split(b"\r\n"):
                name, _, value = line.partition(b":")
                name = name.lower()
                if name == b"content-length":
                    length = int(value)
                elif name == b"connection" and value.strip().lower() == b"close":
                    close = True
            if length:
                await reader.readexactly(length)
            done += 1
            if close:  # the server chose to close: a client would reconnect, and so do we
                writer.close()
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
    finally:
        writer.close()
    return done


async def _load(
    port: int, paths: list[str], headers: str, seconds: float, connections: int, expect: int
) -> float:
    requests = [f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{headers}\r\n".encode() for path in paths]
    # Spread the connections over the paths so every episode page is asked for.
    tasks = []
    warm_until = time.perf_counter() + 0.3
    await asyncio.gather(*(_connection(port, requests, warm_until, expect) for _ in range(connections)))
    start = time.perf_counter()
    until = start + seconds
    for index in range(connections):
        rotated = (
            requests[index * len(requests) // connections :]
            + requests[: index * len(requests) // connections]
        )
        tasks.append(_connection(port, rotated, until, expect))
    counts = await asyncio.gather(*tasks)
    return sum(counts) / (time.perf_counter() - start)


def client(spec: str) -> None:
    options = json.loads(spec)
    rate = asyncio.run(
        _load(
            options["port"],
            options["paths"],
            options["headers"],
            options["seconds"],
            options["connections"],
            options["expect"],
        )
    )
    print(rate)


def measure(
    port: int, paths: list[str], *, headers: str = "", seconds: float, connections: int, expect: int = 200
) -> float:
    spec = json.dumps(
        {
            "port": port,
            "paths": paths,
            "headers": headers,
            "seconds": seconds,
            "connections": connections,
            "expect": expect,
        }
    )
    result = subprocess.run(
        [sys.executable, "-m", "tests.benchmarks.bench_web", "--client", spec],
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise RuntimeError(f"the client failed:\n{result.stderr}")
    return float(result.stdout.strip())


# -- the run ---------------------------------------------------------------------------------------


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks.bench_web")
    parser.add_argument(
        "--servers", nargs="+", default=["gunicorn", "waitress"], choices=["gunicorn", "waitress"]
    )
    parser.add_argument("--episodes", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3, help="best of this many runs per scenario")
    parser.add_argument("--serve", nargs=2, metavar=("KIND", "FD"), help=argparse.SUPPRESS)
    parser.add_argument("--client", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        serve_waitress(args.serve[0], int(args.serve[1]))
        return 0
    if args.client:
        client(args.client)
        return 0

    missed: list[str] = []
    with tempfile.TemporaryDirectory(prefix="bench-web-") as folder:
        root = Path(folder) / "podcast"
        started = time.perf_counter()
        slugs = make_show(root, args.episodes)
        feed_size = (root / "feeds" / "feed.xml").stat().st_size
        print(
            f"{args.episodes}-episode show written and built in {time.perf_counter() - started:.1f} s; "
            f"feed.xml {feed_size:,} bytes; {os.cpu_count()} CPUs; {args.connections} keep-alive connections"
        )
        for server in args.servers:
            rates = run_server(server, root, slugs, args)
            missed += report(server, rates, check=server == "gunicorn")
    return 1 if missed else 0


def run_server(server: str, root: Path, slugs: list[str], args: argparse.Namespace) -> dict[str, float]:
    site, hello = Running(server, "site", root), Running(server, "hello", root)
    try:
        etag = _etag(site.port, "/feed.xml")
        scenarios = {
            "hello": (hello.port, ["/"], "", 200),
            "episode page": (site.port, [f"/episodes/{slug}/" for slug in slugs], "", 200),
            "/feed.xml 200": (site.port, ["/feed.xml"], "", 200),
            "/feed.xml 304": (site.port, ["/feed.xml"], f"If-None-Match: {etag}\r\n", 304),
        }
        rates: dict[str, float] = {}
        for _ in range(args.rounds):
            # Interleaved rounds, so a slow moment of the machine hurts every scenario alike.
            for name, (port, paths, headers, expect) in scenarios.items():
                rate = measure(
                    port,
                    paths,
                    headers=headers,
                    seconds=args.seconds,
                    connections=args.connections,
                    expect=expect,
                )
                rates[name] = max(rates.get(name, 0.0), rate)
        return rates
    finally:
        site.stop()
        hello.stop()


def _etag(port: int, path: str) -> str:
    import http.client

    connection = http.client.HTTPConnection("127.0.0.1", port)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        response.read()
        etag = response.getheader("ETag")
    finally:
        connection.close()
    assert etag, "the feed has no ETag"
    return etag


def report(server: str, rates: dict[str, float], *, check: bool) -> list[str]:
    baseline = rates["hello"]
    missed = []
    print(f"\n{server}\n{'scenario':<16} {'req/s':>9} {'× hello':>9}  target")
    for name, rate in rates.items():
        ratio = rate / baseline
        target = TARGETS.get(name)
        verdict = ""
        if target is not None:
            met = ratio >= target
            verdict = f"≥ {target:g}  " + (
                "ok" if met else "MISSED" if check else "(not held to it, see above)"
            )
            if check and not met:
                missed.append(f"{server}: {name}")
        print(f"{name:<16} {rate:>9,.0f} {ratio:>9.2f}  {verdict}")
    return missed


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
