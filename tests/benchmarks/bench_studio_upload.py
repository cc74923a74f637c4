"""Benchmark: a 100 MB audio upload through the studio's tus endpoint, against a plain ``curl`` PUT.

Run from the repository root::

    python -m tests.benchmarks.bench_studio_upload [--megabytes 100] [--rounds 3]

One waitress process (8 threads) on 127.0.0.1 serves both: ``/put`` is a
bare WSGI handler that streams the request body to a file in 1 MiB reads
(the baseline, sent by ``curl -T``), every other path is the site with its
studio. The studio upload signs in, then sends the file as the page's script
does: ``POST`` to create the upload, ``PATCH`` chunks of the configured size
over one keep-alive connection; the last one makes the server probe the file.
The file is a real MP3 (a short encoded one repeated to the size asked).

Printed: seconds and MB/s for each (best of the rounds), their ratio, and the
server process's peak resident memory (``VmHWM``) before and after.
Targets: studio ≥ 0.8 × curl; peak memory under 150 MB (the file is streamed
to disk, never held whole).
"""

from __future__ import annotations

import argparse
import base64
import http.client
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
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


def curl_put(port: int, path: Path) -> float:
    os.sync()
    started = time.perf_counter()
    subprocess.run(
        ["curl", "-s", "-f", "-o", "/dev/null", "-T", str(path), f"http://127.0.0.1:{port}/put"], check=True
    )
    return time.perf_counter() - started


def studio_upload(port: int, path: Path, chunk: int) -> float:
    connection = http.client.HTTPConnection("127.0.0.1", port)
    connection.connect()
    # As browsers and curl do: without it, each body waits out a delayed ACK (40 ms a request).
    connection.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def request(method: str, url: str, body: bytes | None = None, **headers: str) -> http.client.HTTPResponse:
        nonlocal cookie, text
        connection.request(method, url, body=body, headers={"Cookie": cookie, **headers})
        response = connection.getresponse()
        text = response.read().decode("utf-8", "replace")
        if response.headers.get("Set-Cookie"):
            cookie = response.headers["Set-Cookie"].split(";", 1)[0]
        return response

    cookie = text = ""
    request("GET", "/studio/connexion")
    token = re.search(r'name="csrf_token" value="([^"]+)"', text)
    assert token
    form = f"csrf_token={token.group(1)}&name=edith&password={PASSWORD.replace(' ', '+')}"
    request(
        "POST", "/studio/connexion", form.encode(), **{"Content-Type": "application/x-www-form-urlencoded"}
    )
    request("GET", "/studio/nouvel-episode/")  # signing in starts a new session: a new token
    token = re.search(r'name="csrf_token" value="([^"]+)"', text)
    assert token
    tus = {"Tus-Resumable": "1.0.0", "X-CSRFToken": token.group(1)}
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
    started = time.perf_counter()
    created = request(
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
        headers = {**tus, "Cookie": cookie, "Content-Type": "application/offset+octet-stream"}
        headers["Upload-Offset"] = str(offset)
        command += ["--next"] if index else []  # the same connection, kept alive
        command += ["-s", "-o", "/dev/null", "-w", "%{http_code}\\n", "-X", "PATCH", "-T", str(piece), url]
        command += [item for key, value in headers.items() for item in ("-H", f"{key}: {value}")]
        offset += piece.stat().st_size
    answer = subprocess.run(command, capture_output=True, text=True, check=True).stdout.split()
    elapsed = time.perf_counter() - started
    assert answer == ["204"] * len(pieces), answer
    connection.close()
    for piece in pieces:
        piece.unlink()
    return elapsed


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks.bench_studio_upload")
    parser.add_argument("--megabytes", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
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
            before = peak_memory(server.pid)
            curl = min(curl_put(port, audio) for _ in range(args.rounds))
            studio = min(studio_upload(port, audio, args.chunk_megabytes << 20) for _ in range(args.rounds))
            after = peak_memory(server.pid)
        finally:
            server.terminate()
            server.wait(timeout=10)
            listener.close()
    size = audio_size = args.megabytes << 20
    ratio = curl / studio
    print(
        f"{os.cpu_count()} CPUs; file {audio_size:,} bytes; chunks of {args.chunk_megabytes} MiB; best of {args.rounds}"
    )
    print(f"curl PUT        {curl:6.2f} s  {size / curl / 1e6:7.1f} MB/s")
    print(
        f"studio (tus)    {studio:6.2f} s  {size / studio / 1e6:7.1f} MB/s   ratio {ratio:.2f} (target ≥ {TARGET_RATIO})"
    )
    print(
        f"server peak RSS {before / 2**20:.0f} MB after start, {after / 2**20:.0f} MB after the uploads (limit 150)"
    )
    missed = ratio < TARGET_RATIO or after > MEMORY_LIMIT
    print("targets met" if not missed else "target missed")
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
