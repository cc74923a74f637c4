"""Read a feed to import (from an http(s) URL or a file), and download its audio.

Fetching goes through :mod:`podcaster.net` (bounded, redirects checked, private
addresses refused unless allowed); what is particular to import lives here: a
response over the limit is refused outright (before reading a byte when
``Content-Length`` already says too much), and an error status is an error.
Parsing what was read is :mod:`podcaster.importing.feedxml`'s.

Downloads (``--rehost``) stream to a ``.download`` file beside the target and
resume with a ``Range`` request after a dropped connection, in the same run or
the next one.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from podcaster.errors import SourceError
from podcaster.net import Client, FetchError, Redirect, Response

FEED_LIMIT = 50 * 1024 * 1024  # the largest real feeds (10,000+ items) are a few tens of MB
IMAGE_LIMIT = 20 * 1024 * 1024
DOWNLOAD_LIMIT = 8 * 1024 * 1024 * 1024  # a long video episode; only disk is used, never memory
TIMEOUT = 30.0
# A feed (or cover) read into memory must arrive within this; slow links still get 50 MB through.
BODY_DEADLINE = 600.0
USER_AGENT = "podcaster-import/0.1 (+https://github.com/)"
_ACCEPT = "application/rss+xml, application/xml, text/xml, */*"
_CHUNK = 64 * 1024

Progress = Callable[[int], None]


@dataclass(frozen=True)
class Fetched:
    """The bytes of a feed and where they finally came from."""

    data: bytes
    url: str  # after redirects; a local path for a file
    charset: str | None = None
    redirects: tuple[Redirect, ...] = ()
    is_remote: bool = True


@dataclass
class Downloaded:
    path: Path
    size: int
    resumed: bool = False
    attempts: int = 1
    url: str = ""


class HttpStatusError(SourceError):
    """The server answered with an error status."""

    def __init__(self, message: str, *, path: str, status: int) -> None:
        super().__init__(message, path=path)
        self.status = status


def fetch(
    url: str, *, limit: int = FEED_LIMIT, timeout: float = TIMEOUT, allow_private: bool = False
) -> Fetched:
    """GET *url* into memory, refusing anything over *limit* bytes."""
    with _client(timeout, allow_private).open(url, headers={"Accept": _ACCEPT}) as response:
        _refuse_error_status(response)
        if response.length is not None and response.length > limit:
            raise SourceError(
                f"the response is {response.length:,} bytes, over the {limit:,}-byte limit for a feed: "
                "refused (is this really a feed?)",
                path=url,
            )
        data, complete = response.body(limit)
        if not complete:
            raise SourceError(
                f"the response goes past the {limit:,}-byte limit for a feed: refused, "
                "stopped reading (is this really a feed?)",
                path=url,
            )
    return Fetched(data=data, url=response.final_url, charset=response.charset, redirects=response.redirects)


def _client(timeout: float, allow_private: bool) -> Client:
    return Client(user_agent=USER_AGENT, timeout=timeout, deadline=BODY_DEADLINE, allow_private=allow_private)


def _refuse_error_status(response: Response) -> None:
    if not 200 <= response.status < 300:
        raise HttpStatusError(
            f"the server answered {response.status} {response.reason}",
            path=response.url,
            status=response.status,
        )


def read_source(
    source: str, *, limit: int = FEED_LIMIT, timeout: float = TIMEOUT, allow_private: bool = False
) -> Fetched:
    """Read the feed at *source*: an http(s) URL, or a file on disk."""
    if source.startswith(("http://", "https://")):
        return fetch(source, limit=limit, timeout=timeout, allow_private=allow_private)
    if "://" in source:
        raise SourceError(f"give an http(s) URL or a file path, not {source!r}")
    path = Path(source).expanduser()
    try:
        size = path.stat().st_size
        if size > limit:
            raise SourceError(
                f"the file is {size:,} bytes, over the {limit:,}-byte limit for a feed", path=path
            )
        with path.open("rb") as stream:
            data = stream.read(size + 1)  # not limit + 1: that would allocate the whole limit at once
        if len(data) > limit:
            raise SourceError(f"the file grew past the {limit:,}-byte limit for a feed", path=path)
    except FileNotFoundError:
        raise SourceError("file not found", path=path) from None
    except IsADirectoryError:
        raise SourceError("this is a folder; give the feed file", path=path) from None
    except OSError as error:
        raise SourceError(f"cannot read it ({error.strerror})", path=path) from None
    return Fetched(data=data, url=str(path.resolve()), is_remote=False)


# -- downloads -----------------------------------------------------------------


@dataclass
class _PartInfo:
    """What is known of a partial download, kept beside it so a later run can resume it."""

    url: str
    validator: str | None = None  # ETag or Last-Modified, for If-Range
    total: int | None = None
    extra: dict[str, str] = field(default_factory=dict)


def download(
    url: str,
    target: Path,
    *,
    progress: Progress | None = None,
    started: Callable[[int | None, int], None] | None = None,
    attempts: int = 5,
    timeout: float = TIMEOUT,
    pause: float = 0.2,
    limit: int = DOWNLOAD_LIMIT,
    allow_private: bool = False,
) -> Downloaded:
    """Stream *url* to *target*, resuming after dropped connections; *target* appears only when whole."""
    part = target.with_name(target.name + ".download")
    meta_path = target.with_name(target.name + ".download.json")
    info = _read_part_info(meta_path)
    if info is None or info.url != url:
        part.unlink(missing_ok=True)
        info = _PartInfo(url=url)
    target.parent.mkdir(parents=True, exist_ok=True)
    client = _client(timeout, allow_private)
    resumed = False
    last_error = ""
    for attempt in range(1, attempts + 1):
        offset = part.stat().st_size if part.exists() else 0
        headers: dict[str, str] = {"Accept-Encoding": "identity"}
        if offset:
            headers["Range"] = f"bytes={offset}-"
            if info.validator:
                headers["If-Range"] = info.validator
        try:
            with client.open(url, headers=headers) as response:
                if response.status == 416 and offset:
                    part.unlink(missing_ok=True)  # the partial file is not a prefix of this one any more
                    continue
                _refuse_error_status(response)
                total = _expected_total(response, offset if response.status == 206 else 0)
                if response.status != 206 or not _range_starts_at(response, offset):
                    offset = 0  # the whole file (or a range we did not ask for): start over
                resumed = resumed or offset > 0
                info.validator = response.header("ETag") or response.header("Last-Modified")
                info.total = total
                _write_part_info(meta_path, info)
                if started:
                    started(total, offset)
                _receive(response, part, offset, limit, progress, target)
        except HttpStatusError as error:
            if 400 <= error.status < 500:
                raise
            last_error = str(error)
        except FetchError as error:
            if error.is_refusal:
                raise
            last_error = str(error)
        except OSError as error:
            raise SourceError(f"cannot write the download ({error.strerror or error})", path=part) from None
        else:
            size = part.stat().st_size
            if total is None or size == total:
                os.replace(part, target)
                meta_path.unlink(missing_ok=True)
                return Downloaded(path=target, size=size, resumed=resumed, attempts=attempt, url=url)
            last_error = f"got {size:,} of {total:,} bytes"
        time.sleep(pause * attempt)
    raise SourceError(
        f"could not download {url} after {attempts} attempts ({last_error}); run the import again to resume",
        path=target,
    )


def _receive(
    response: Response, part: Path, offset: int, limit: int, progress: Progress | None, target: Path
) -> None:
    """Write the body to *part*: appended after *offset* bytes, or from the start when *offset* is 0."""
    with part.open("ab" if offset else "wb") as stream:
        written = offset
        while chunk := response.read(_CHUNK):
            written += len(chunk)
            if written > limit:
                raise SourceError(
                    f"{response.url} goes past {limit:,} bytes: refused, stopped downloading", path=target
                )
            stream.write(chunk)
            if progress:
                progress(len(chunk))


def _expected_total(response: Response, offset: int) -> int | None:
    match = re.match(r"bytes\s+\d+-\d+/(\d+)", response.header("Content-Range") or "")
    if match:
        return int(match.group(1))
    return offset + response.length if response.length is not None else None


def _range_starts_at(response: Response, offset: int) -> bool:
    match = re.match(r"bytes\s+(\d+)-", response.header("Content-Range") or "")
    return match is not None and int(match.group(1)) == offset


def _read_part_info(path: Path) -> _PartInfo | None:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return _PartInfo(url=str(raw["url"]), validator=raw.get("validator"), total=raw.get("total"))
    except (FileNotFoundError, ValueError, KeyError, TypeError):
        return None


def _write_part_info(path: Path, info: _PartInfo) -> None:
    path.write_text(
        json.dumps({"url": info.url, "validator": info.validator, "total": info.total}), encoding="utf-8"
    )
