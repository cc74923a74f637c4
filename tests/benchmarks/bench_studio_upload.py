"""Benchmark: a 100 MB audio upload through the studio's tus endpoint, against a plain ``curl`` PUT.

Run from the repository root::

    python -m tests.benchmarks.bench_studio_upload [--megabytes 100] [--rounds 5] [--chunk-megabytes 8]

One waitress process (8 threads, as ``podcaster serve`` runs it) on
127.0.0.1 serves both: ``/put`` is a bare WSGI handler that streams the
request body to a file in 1 MiB reads (the baseline, sent by ``curl -T``),
every other path is the site with its studio. The studio upload signs in
once, then for each round sends the file as the page's script does: ``POST``
to create the upload, then ``PATCH`` chunks of the configured size over one
keep-alive connection. The file is a real MP3 (a short encoded one repeated
to the size asked).

The rounds are paired and interleaved (a curl PUT, then a studio upload), so
a busy moment on a shared machine slows both sides of a pair alike.
Printed: the median seconds and MB/s of each, the median, lowest and highest
of the pairs' ratios, and the server's peak resident memory (``VmHWM``)
during the uploads, the peak being reset just before each one (signing in
costs Argon2's 64 MiB for a moment; that is not the upload's).
Targets: median ratio ≥ 0.8; peak memory under 150 MB (the file is streamed
to disk, never held whole).
"""

from __future__ import annotations

import argparse
import base64
import http.client
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

TARGET_RATIO = 0.8
MEMORY_LIMIT = 150 << 20
PASSWORD = "banc d'essai du studio"


def make_show(root: Path) -> None:
    from podcaster.studio import Role, add_user

    root.mkdir(parents=True)
    (root / "podcast.toml").write_text(
        '[show]\ntitle = "Banc d\'essai"\ndescription = "Un envoi."\nlanguage = "fr"\nauthor = "PB"\n'
        'categories = ["Society & Culture"]\n[show.owner]\nname = "PB"\nemail = "p@example.org"\n'
        '[urls]\nfeed = "https://podcast.example.org/feed.xml"\n[[seasons]]\nnumber = 1\nname = "Saison 1"\n',
        encoding="utf-8",
    )
    add_user(root, "edith", Role.EDITOR, PASSWORD)


def make_mp3(path: Path, size: int) -> None:
    """A constant-bitrate MP3 of about *size* bytes: one short encoded file's frames, repeated."""
    from tests.fixtures.audio import make_audio

    piece = make_audio(path.with_suffix(".piece.mp3"), "mp3", 30.0, bitrate=128000).read_bytes()
    with path.open("wb") as stream:
        while stream.tell() < size:
            stream.write(piece)


def serve(root: str, port_fd: int) -> None:
    """The server process: the site, and /put beside it, under waitress."""
    import waitress

    from web import create_app

    site = create_app(Path(root), {"STUDIO_UPLOAD_LIMIT": 1 << 31, "SECRET_KEY": "b" * 64})
    target = Path(root) / "put.bin"

    def app(environ: dict[str, Any], start_response: Any) -> Any:
        if environ["PATH_INFO"] == "/put":
            stream = environ["wsgi.input"]
            with target.open("wb") as out:
                while chunk := stream.read(1 << 20):
                    out.write(chunk)
            start_response("201 Created", [("Content-Length", "0")])
            return [b""]
        return site(environ, start_response)

    listener = socket.socket(fileno=port_fd)
    waitress.serve(app, sockets=[listener], threads=8, _quiet=True)


def peak_memory(pid: int) -> int:
    text = Path(f"/proc/{pid}/status").read_text()
    found = re.search(r"VmHWM:\s+(\d+) kB", text)
    return int(found.group(1)) * 1024 if found else 0


def reset_peak_memory(pid: int) -> None:
    """Start the peak over from the resident size now (Linux's ``clear_refs``), so it measures what follows."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")


def curl_put(port: int, path: Path) -> float:
    os.sync()
    started = time.perf_counter()
    subprocess.run(
        ["curl", "-s", "-f", "-o", "/dev/null", "-T", str(path), f"http://127.0.0.1:{port}/put"], check=True
    )
    return time.perf_counter() - started


class Browser:
    """One keep-alive connection to the site, with the session cookie it was given."""

    def __init__(self, port: int) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port)
        self.connection.connect()
        # As browsers and curl do: without it, each body waits out a delayed ACK (40 ms a request).
        self.connection.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.cookie = self.text = ""

    def request(
        self, method: str, url: str, body: bytes | None = None, **headers: str
    ) -> http.client.HTTPResponse:
        self.connection.request(method, url, body=body, headers={"Cookie": self.cookie, **headers})
        response = self.connection.getresponse()
        self.text = response.read().decode("utf-8", "replace")
        if response.headers.get("Set-Cookie"):
            self.cookie = response.headers["Set-Cookie"].split(";", 1)[0]
        return response

    def token(self) -> str:
        found = re.search(r'name="csrf_token" value="([^"]+)"', self.text)
        assert found, self.text[:500]
        return found.group(1)


def sign_in(port: int) -> Browser:
    """Sign in once for every round: sign-in attempts are rate-limited, as they should be."""
    browser = Browser(port)
    browser.request("GET", "/studio/connexion")
    form = f"csrf_token={browser.token()}&name=edith&password={PASSWORD.replace(' ', '+')}"
    browser.request(
        "POST", "/studio/connexion", form.encode(), **{"Content-Type": "application/x-www-form-urlencoded"}
    )
    return browser


def studio_upload(
    browser: Browser, port: int, path: Path, chunk: int, before_upload: Callable[[], None]
) -> float:
    browser.request("GET", "/studio/nouvel-episode/")  # the page the script runs on, and its token
    tus = {"Tus-Resumable": "1.0.0", "X-CSRFToken": browser.token()}
    size = path.stat().st_size
    name = base64.b64encode(path.name.encode()).decode()
    # The chunks as files, cut before the clock starts: curl sends each as the page's script would.
    pieces = []
    with path.open("rb") as stream:
        while body := stream.read(chunk):
            piece = path.with_name(f"{path.name}.{len(pieces)}")
            piece.write_bytes(body)
            pieces.append(piece)
    os.sync()  # the pieces' writeback must not compete with the upload being timed
    before_upload()
    started = time.perf_counter()
    created = browser.request(
        "POST",
        "/studio/televersements/",
        **tus,
        **{"Upload-Length": str(size), "Upload-Metadata": f"filename {name}"},
    )
    assert created.status == 201, created.status
    url = f"http://127.0.0.1:{port}{created.headers['Location']}"
    command = ["curl"]
    offset = 0
    for index, piece in enumerate(pieces):
        headers = {**tus, "Cookie": browser.cookie, "Content-Type": "application/offset+octet-stream"}
        headers["Upload-Offset"] = str(offset)
        command += ["--next"] if index else []  # the same connection, kept alive
        command += ["-s", "-o", "/dev/null", "-w", "%{http_code}\\n", "-X", "PATCH", "-T", str(piece), url]
        command += [item for key, value in headers.items() for item in ("-H", f"{key}: {value}")]
        offset += piece.stat().st_size
    answer = subprocess.run(command, capture_output=True, text=True, check=True).stdout.split()
    elapsed = time.perf_counter() - started
    assert answer == ["204"] * len(pieces), answer
    for piece in pieces:
        piece.unlink()
    return elapsed


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks.bench_studio_upload")
    parser.add_argument("--megabytes", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--chunk-megabytes", type=int, default=8)
    parser.add_argument("--serve", nargs=2, metavar=("ROOT", "FD"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        serve(args.serve[0], int(args.serve[1]))
        return 0
    with tempfile.TemporaryDirectory(prefix="bench-upload-") as folder:
        root = Path(folder) / "podcast"
        make_show(root)
        audio = Path(folder) / "episode.mp3"
        make_mp3(audio, args.megabytes << 20)
        listener = socket.create_server(("127.0.0.1", 0))
        port = listener.getsockname()[1]
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.benchmarks.bench_studio_upload",
                "--serve",
                str(root),
                str(listener.fileno()),
            ],
            pass_fds=[listener.fileno()],
        )
        try:
            time.sleep(2.0)
            started = peak_memory(server.pid)
            uploads = root / ".podcaster" / "uploads"
            curls, studios, peaks = [], [], []
            browser = sign_in(port)
            for _ in range(args.rounds):  # paired and interleaved: a busy moment slows both sides alike
                curls.append(curl_put(port, audio))
                # The peak from here on: signing in costs Argon2's 64 MiB for a moment, not the upload.
                studios.append(
                    studio_upload(
                        browser,
                        port,
                        audio,
                        args.chunk_megabytes << 20,
                        lambda: reset_peak_memory(server.pid),
                    )
                )
                peaks.append(peak_memory(server.pid))
                shutil.rmtree(uploads)  # as a draft would move it away; dirty pages must not pile up
        finally:
            server.terminate()
            server.wait(timeout=10)
            listener.close()
    size = args.megabytes << 20
    ratios = sorted(c / s for c, s in zip(curls, studios, strict=True))
    ratio = statistics.median(ratios)
    curl, studio, after = statistics.median(curls), statistics.median(studios), max(peaks)
    print(
        f"{os.cpu_count()} CPUs; file {size:,} bytes; chunks of {args.chunk_megabytes} MiB; {args.rounds} paired rounds"
    )
    print(f"curl PUT        {curl:6.2f} s  {size / curl / 1e6:7.1f} MB/s   (median)")
    print(f"studio (tus)    {studio:6.2f} s  {size / studio / 1e6:7.1f} MB/s   (median)")
    print(
        f"ratio curl/studio: median {ratio:.2f}, min {ratios[0]:.2f}, max {ratios[-1]:.2f} (target ≥ {TARGET_RATIO})"
    )
    print(
        f"server resident memory: {started / 2**20:.0f} MB after start; "
        f"peak during the uploads {after / 2**20:.0f} MB (limit 150)"
    )
    missed = ratio < TARGET_RATIO or after > MEMORY_LIMIT
    print("targets met" if not missed else "target missed")
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
