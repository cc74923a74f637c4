"""Fetch a feed (or an enclosure) over HTTP safely, and parse feed XML without trusting it.

Everything read from the network is bounded: a response is streamed and
refused past a size limit (before reading a byte when ``Content-Length``
already says too much), redirects are followed only between http(s) URLs and
only a few times, and every request has a timeout.

The XML parser never loads a DTD, never touches the network, never expands
entities and keeps libxml2's limits on text size and depth; a document whose
DTD declares entities at all (how XML bombs and external-entity attacks
work, and something no podcast feed needs) is refused outright.

Downloads (``--rehost``) stream to a ``.download`` file beside the target and
resume with a ``Range`` request after a dropped connection, in the same run or
the next one.
"""

from __future__ import annotations

import codecs
import http.client
import json
import os
import re
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO
from urllib.parse import urlsplit

from lxml import etree

from podcaster.errors import SourceError

FEED_LIMIT = 50 * 1024 * 1024  # the largest real feeds (10,000+ items) are a few tens of MB
IMAGE_LIMIT = 20 * 1024 * 1024
DOWNLOAD_LIMIT = 8 * 1024 * 1024 * 1024  # a long video episode; only disk is used, never memory
TIMEOUT = 30.0
MAX_REDIRECTS = 5
USER_AGENT = "podcaster-import/0.1 (+https://github.com/)"
_CHUNK = 64 * 1024

_XML_DECLARATION = re.compile(rb"^(\s*<\?xml[^>]*?encoding\s*=\s*)([\"'])([A-Za-z0-9._-]+)\2", re.IGNORECASE)
_INTERNAL_SUBSET = re.compile(rb"<!DOCTYPE[^>\[]*\[", re.IGNORECASE)
_ENTITY_DECLARATION = re.compile(rb"<!ENTITY", re.IGNORECASE)
_HTML_ENTITY = re.compile(rb"&([A-Za-z][A-Za-z0-9]{1,31});")
_XML_ENTITIES = {b"amp", b"lt", b"gt", b"quot", b"apos"}

Progress = Callable[[int], None]


@dataclass(frozen=True)
class Fetched:
    """The bytes of a feed and where they finally came from."""

    data: bytes
    url: str  # after redirects; a local path for a file
    charset: str | None = None
    redirects: tuple[tuple[int, str], ...] = ()  # (status, URL) of each hop
    is_remote: bool = True


@dataclass(frozen=True)
class ParsedXml:
    root: etree._Element
    warnings: tuple[str, ...] = ()


@dataclass
class Downloaded:
    path: Path
    size: int
    resumed: bool = False
    attempts: int = 1
    url: str = ""


class _RedirectHandler(urllib.request.HTTPRedirectHandler):
    """Follow a few redirects, only to http(s) URLs, and remember each hop."""

    max_redirections = MAX_REDIRECTS

    def __init__(self) -> None:
        self.hops: list[tuple[int, str]] = []

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: IO[bytes],
        code: int,
        msg: str,
        headers: http.client.HTTPMessage,
        newurl: str,
    ) -> urllib.request.Request | None:
        if urlsplit(newurl).scheme not in ("http", "https"):
            raise SourceError(
                f"it redirects to {newurl!r}, which is not an http(s) URL: refused", path=req.full_url
            )
        self.hops.append((code, newurl))
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _open(url: str, headers: dict[str, str], timeout: float) -> tuple[http.client.HTTPResponse, list]:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise SourceError(f"not an http(s) URL: {url!r}")
    redirects = _RedirectHandler()
    opener = urllib.request.build_opener(redirects)
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT, **headers})
    try:
        response = opener.open(request, timeout=timeout)
    except urllib.error.HTTPError as error:
        error.close()
        if 300 <= error.code < 400:
            reason = (
                "it redirects to an address that is not http(s): refused"
                if "not allowed" in str(error.reason)
                else f"too many redirects (more than {MAX_REDIRECTS}), or a redirect loop"
            )
            raise HttpStatusError(reason, path=url, status=error.code) from None
        raise HttpStatusError(
            f"the server answered {error.code} {error.reason}", path=url, status=error.code
        ) from None
    except urllib.error.URLError as error:
        if isinstance(error.reason, SourceError):
            raise error.reason from None
        raise SourceError(f"cannot connect ({error.reason})", path=url) from None
    except TimeoutError:
        raise SourceError(f"no answer within {timeout:.0f} s", path=url) from None
    except (http.client.HTTPException, OSError) as error:
        raise SourceError(f"the connection failed ({error})", path=url) from None
    return response, redirects.hops


class HttpStatusError(SourceError):
    """The server answered with an error status."""

    def __init__(self, message: str, *, path: str, status: int) -> None:
        super().__init__(message, path=path)
        self.status = status


def fetch(url: str, *, limit: int = FEED_LIMIT, timeout: float = TIMEOUT) -> Fetched:
    """GET *url* into memory, refusing anything over *limit* bytes."""
    response, hops = _open(url, {"Accept": "application/rss+xml, application/xml, text/xml, */*"}, timeout)
    with response:
        declared = response.headers.get("Content-Length")
        if declared and declared.isdigit() and int(declared) > limit:
            raise SourceError(
                f"the response is {int(declared):,} bytes, over the {limit:,}-byte limit for a feed: "
                "refused (is this really a feed?)",
                path=url,
            )
        body = bytearray()
        try:
            while chunk := response.read(_CHUNK):
                body += chunk
                if len(body) > limit:
                    raise SourceError(
                        f"the response goes past the {limit:,}-byte limit for a feed: refused, "
                        "stopped reading (is this really a feed?)",
                        path=url,
                    )
        except (http.client.HTTPException, OSError) as error:
            raise SourceError(f"the connection broke while reading the feed ({error})", path=url) from None
        charset = response.headers.get_content_charset()
        final = response.geturl()
    return Fetched(data=bytes(body), url=final, charset=charset, redirects=tuple(hops))


def read_source(source: str, *, limit: int = FEED_LIMIT, timeout: float = TIMEOUT) -> Fetched:
    """Read the feed at *source*: an http(s) URL, or a file on disk."""
    if source.startswith(("http://", "https://")):
        return fetch(source, limit=limit, timeout=timeout)
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


def parse_xml(data: bytes, where: str, charset: str | None = None) -> ParsedXml:
    """Parse feed bytes with every dangerous XML feature off; repair the usual mistakes, saying so."""
    data, warnings = _to_utf8(data, where, charset)
    _refuse_entities(data, where)
    # HTML entity names (&eacute;, &nbsp;) are undefined in XML; as numeric references they
    # mean the same in text and in the HTML of notes, and the parser never has to resolve a name.
    data = _numeric_entities(data)
    try:
        return _checked(_parse(data, recover=False), where, warnings)
    except etree.XMLSyntaxError as error:
        message = str(error)
        line = getattr(error, "lineno", None)
    if "amplification" in message or ("entity" in message.lower() and "loop" in message.lower()):
        raise _entity_error(where)
    try:
        root = _parse(data, recover=True)
    except etree.XMLSyntaxError:
        root = None
    if root is None:
        raise SourceError(f"not well-formed XML: {message}", path=where, line=line)
    warnings.append(f"the feed is not well-formed XML ({message}); it was read leniently: check the result")
    return _checked(root, where, warnings)


def _parse(data: bytes, *, recover: bool) -> etree._Element:
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        recover=recover,
        remove_comments=True,
        remove_pis=True,
    )
    return etree.fromstring(data, parser)


def _checked(root: etree._Element, where: str, warnings: list[str]) -> ParsedXml:
    dtd = root.getroottree().docinfo.internalDTD
    if dtd is not None and any(True for _ in dtd.iterentities()):
        raise _entity_error(where)
    return ParsedXml(root=root, warnings=tuple(warnings))


def _entity_error(where: str) -> SourceError:
    return SourceError(
        "the feed declares XML entities (<!ENTITY …>): refused. No podcast feed needs them; they are how "
        "'billion laughs' bombs and external-entity attacks work",
        path=where,
    )


def _refuse_entities(data: bytes, where: str) -> None:
    """Refuse a DTD internal subset declaring entities, before the parser sees it."""
    subset = _INTERNAL_SUBSET.search(data, 0, 1 << 20)
    if subset and _ENTITY_DECLARATION.search(data, subset.end(), subset.end() + (1 << 20)):
        raise _entity_error(where)


def _numeric_entities(data: bytes) -> bytes:
    """Turn HTML named entities (``&eacute;``) into numeric references XML understands."""
    from html.entities import name2codepoint

    def replace(match: re.Match[bytes]) -> bytes:
        name = match.group(1)
        if name in _XML_ENTITIES:
            return match.group(0)
        codepoint = name2codepoint.get(name.decode("ascii"))
        return b"&#%d;" % codepoint if codepoint else b"&amp;" + name + b";"

    return _HTML_ENTITY.sub(replace, data)


def _to_utf8(data: bytes, where: str, charset: str | None) -> tuple[bytes, list[str]]:
    """Re-encode the document as UTF-8, declaring it so: BOM, then XML declaration, then HTTP charset."""
    warnings: list[str] = []
    encoding, start = _bom(data)
    declared = _XML_DECLARATION.match(data[start:]) if encoding is None or encoding == "utf-8" else None
    if encoding is None:
        encoding = (declared.group(3).decode("ascii") if declared else None) or charset or "utf-8"
    try:
        codec = codecs.lookup(encoding).name
    except LookupError:
        raise SourceError(f"unknown character encoding {encoding!r}", path=where) from None
    if codec == "utf-8" and not start:
        bad = _first_invalid_utf8(data)
        if bad is None:
            return data, warnings  # the common case: nothing to re-encode
        # Declared (or assumed) UTF-8 but written in Windows-1252: the usual WordPress accident.
        warnings.append(f"the feed is not valid UTF-8 (byte {bad:,}); it was read as Windows-1252")
        codec = "cp1252"
    try:
        text = data[start:].decode(codec, errors="strict")
    except UnicodeDecodeError:
        text = data[start:].decode(codec, errors="replace")
        warnings.append(f"some bytes are not valid {codec}; they were replaced with �")
    encoded = text.encode("utf-8")
    match = _XML_DECLARATION.match(encoded)
    if match:
        encoded = encoded[: match.start(3)] + b"UTF-8" + encoded[match.end(3) :]
    return encoded, warnings


def _first_invalid_utf8(data: bytes) -> int | None:
    """Where *data* stops being UTF-8, checked in pieces so no copy of the whole text is made."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    for start in range(0, len(data), 1 << 20):
        try:
            decoder.decode(data[start : start + (1 << 20)], final=start + (1 << 20) >= len(data))
        except UnicodeDecodeError as error:
            return start + error.start
    return None


def _bom(data: bytes) -> tuple[str | None, int]:
    for bom, name in (
        (codecs.BOM_UTF32_LE, "utf-32-le"),
        (codecs.BOM_UTF32_BE, "utf-32-be"),
        (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
    ):
        if data.startswith(bom):
            return name, len(bom)
    if data[:4] == b"<\x00?\x00":
        return "utf-16-le", 0
    if data[:4] == b"\x00<\x00?":
        return "utf-16-be", 0
    return None, 0


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
) -> Downloaded:
    """Stream *url* to *target*, resuming after dropped connections; *target* appears only when whole."""
    part = target.with_name(target.name + ".download")
    meta_path = target.with_name(target.name + ".download.json")
    info = _read_part_info(meta_path)
    if info is None or info.url != url:
        part.unlink(missing_ok=True)
        info = _PartInfo(url=url)
    target.parent.mkdir(parents=True, exist_ok=True)
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
            response, _ = _open(url, headers, timeout)
        except HttpStatusError as error:
            if error.status == 416 and offset:
                part.unlink(missing_ok=True)  # the partial file is not a prefix of this one any more
                continue
            if 400 <= error.status < 500:
                raise
            last_error = str(error)
            time.sleep(pause * attempt)
            continue
        except SourceError as error:
            last_error = str(error)
            time.sleep(pause * attempt)
            continue
        with response:
            status = response.status
            total = _expected_total(response, offset if status == 206 else 0)
            if status == 206 and not _range_starts_at(response, offset):
                offset = -1  # a range we did not ask for: start over
            mode = "ab" if status == 206 and offset > 0 else "wb"
            if mode == "ab":
                resumed = True
            else:
                offset = 0
            info.validator = response.headers.get("ETag") or response.headers.get("Last-Modified")
            info.total = total
            _write_part_info(meta_path, info)
            if started:
                started(total, offset)
            try:
                with part.open(mode) as stream:
                    written = offset
                    while chunk := response.read(_CHUNK):
                        written += len(chunk)
                        if written > limit:
                            raise SourceError(
                                f"{url} goes past {limit:,} bytes: refused, stopped downloading", path=target
                            )
                        stream.write(chunk)
                        if progress:
                            progress(len(chunk))
            except (http.client.HTTPException, OSError) as error:
                last_error = f"the connection broke ({type(error).__name__})"
                time.sleep(pause * attempt)
                continue
        size = part.stat().st_size
        if total is not None and size != total:
            last_error = f"got {size:,} of {total:,} bytes"
            time.sleep(pause * attempt)
            continue
        os.replace(part, target)
        meta_path.unlink(missing_ok=True)
        return Downloaded(path=target, size=size, resumed=resumed, attempts=attempt, url=url)
    raise SourceError(
        f"could not download {url} after {attempts} attempts ({last_error}); run the import again to resume",
        path=target,
    )


def _expected_total(response: http.client.HTTPResponse, offset: int) -> int | None:
    content_range = response.headers.get("Content-Range", "")
    match = re.match(r"bytes\s+\d+-\d+/(\d+)", content_range)
    if match:
        return int(match.group(1))
    length = response.headers.get("Content-Length")
    return offset + int(length) if length and length.isdigit() else None


def _range_starts_at(response: http.client.HTTPResponse, offset: int) -> bool:
    match = re.match(r"bytes\s+(\d+)-", response.headers.get("Content-Range", ""))
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
