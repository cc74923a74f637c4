"""Access logs read line by line: nginx/Apache "combined", S3 server access logs, CloudFront standard logs.

Each format's parser turns a line into a :data:`Hit` (client IP, UTC day,
method, status, path, bytes sent, user agent) or ``None`` when the line is not
a request. Parsers split on quotes and tabs rather than run one large regular
expression: a log has millions of lines and splitting is several times faster.
Files may be gzip-compressed; they are read in large chunks, and the offset
after the last complete line is reported so a later run resumes there.
"""

from __future__ import annotations

import gzip
import hashlib
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO
from urllib.parse import unquote

from podcaster.errors import StatsError

FORMATS = ("combined", "s3", "cloudfront")
Hit = tuple[
    str, str, str, str, str, int, str
]  # ip, day (YYYY-MM-DD, UTC), method, status, path, bytes, agent
Parser = Callable[[str], Hit | None]

CHUNK = 1 << 20
_GZIP_MAGIC = b"\x1f\x8b"
_MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MONTHS = {name: number for number, name in enumerate(_MONTH_NAMES, 1)}
_COMBINED = re.compile(
    r'(\S+) \S+ \S+ \[([^\]]+)\] "(\S+) (\S+)[^"]*" (\d{3}) (\d+|-) "(?:[^"\\]|\\.)*" "((?:[^"\\]|\\.)*)"'
)
_S3_START = re.compile(r"\S+ \S+ \[\d")
_COMBINED_START = re.compile(r"\S+ \S+ \S+ \[\d")
# CloudFront's standard log fields, as its #Fields line names them, when a file comes without that line.
_CLOUDFRONT_FIELD_LINE = (
    "date time x-edge-location sc-bytes c-ip cs-method cs(Host) cs-uri-stem sc-status cs(Referer) "
    "cs(User-Agent) cs-uri-query cs(Cookie) x-edge-result-type x-edge-request-id x-host-header cs-protocol "
    "cs-bytes time-taken x-forwarded-for ssl-protocol ssl-cipher x-edge-response-result-type "
    "cs-protocol-version fle-status fle-encrypted-fields c-port time-to-first-byte "
    "x-edge-detailed-result-type sc-content-type sc-content-len sc-range-start sc-range-end"
)
CLOUDFRONT_FIELDS = tuple(_CLOUDFRONT_FIELD_LINE.split(" "))


class _Days(dict[str, str]):
    """``10/Oct/2023:23:55:36 +0200`` → ``2023-10-10`` in UTC, remembered by the minute: lines share them.

    Parsers look a stamp's :func:`day_key` up themselves (a call per line costs more than the lookup)
    and ask :meth:`learn` only on a miss.
    """

    def learn(self, key: str, stamp: str) -> str:
        if len(self) > 100_000:
            self.clear()
        day = self[key] = _utc_day(stamp)
        return day


def day_key(stamp: str) -> str:
    """What decides a stamp's UTC day: the date alone in UTC, else the date, hour, minute and offset."""
    return stamp[:11] if stamp.endswith("+0000") else stamp[:17] + stamp[20:]


def _utc_day(stamp: str) -> str:
    try:
        moment = datetime(
            int(stamp[7:11]), _MONTHS[stamp[3:6]], int(stamp[0:2]), int(stamp[12:14]), int(stamp[15:17])
        )
        offset = stamp[21:26] if len(stamp) >= 26 else "+0000"
        aware = datetime.strptime(f"{moment.isoformat()} {offset}", "%Y-%m-%dT%H:%M:%S %z")
    except (KeyError, ValueError):
        return ""
    return aware.astimezone(UTC).date().isoformat()


def combined_parser() -> Parser:
    """nginx's and Apache's "combined" format: ``ip - user [time] "request" status bytes "referer" "agent"``."""
    days = _Days()
    known = days.get

    def parse(line: str) -> Hit | None:
        parts = line.split('"')
        if len(parts) == 7:
            head, request, status_bytes = parts[0], parts[1].split(" "), parts[2].split()
            opened = head.find("[")
            if len(request) < 2 or len(status_bytes) != 2 or opened < 0:
                return None
            stamp = head[opened + 1 : head.rfind("]")]
            key = stamp[:11] if stamp.endswith("+0000") else stamp[:17] + stamp[20:]
            size = status_bytes[1]
            return (
                head[: head.find(" ")],
                known(key) or days.learn(key, stamp),
                request[0],
                status_bytes[0],
                request[1],
                int(size) if size.isdigit() else 0,
                parts[5],
            )
        match = _COMBINED.match(line)  # escaped quotes in the request or the agent: the slow, exact way
        if match is None:
            return None
        ip, stamp, method, path, status, size, agent = match.groups()
        agent = agent.replace('\\"', '"')
        day = days.learn(day_key(stamp), stamp)
        return ip, day, method, status, path, int(size) if size.isdigit() else 0, agent

    return parse


def s3_parser() -> Parser:
    """S3 server access logs: ``owner bucket [time] ip requester id operation key "request" status …``."""
    days = _Days()

    def parse(line: str) -> Hit | None:
        parts = line.split('"')
        if len(parts) < 7:
            return None
        head = parts[0]
        close = head.find("]")
        fields = head[close + 2 :].split(" ")
        after = parts[2].split()
        if close < 0 or len(fields) < 5 or len(after) < 3:
            return None
        size = after[2]
        return (
            fields[0],
            days.get(day_key(stamp := head[head.find("[") + 1 : close])) or days.learn(day_key(stamp), stamp),
            parts[1].split(" ", 1)[0],
            after[0],
            "/" + unquote(fields[4]),
            int(size) if size.isdigit() else 0,
            parts[5],
        )

    return parse


def cloudfront_parser(fields: list[str] | None = None) -> Parser:
    """CloudFront standard logs: tab-separated, fields named by the file's ``#Fields`` line."""
    names = fields or list(CLOUDFRONT_FIELDS)
    try:
        at = [names.index(name) for name in ("date", "c-ip", "cs-method", "sc-status", "cs-uri-stem")]
        size_at = names.index("sc-bytes")
        agent_at = names.index("cs(User-Agent)")
    except ValueError as error:
        raise StatsError(f"CloudFront log without a field it needs: {error}") from None
    date_at, ip_at, method_at, status_at, path_at = at
    width = max(*at, size_at, agent_at) + 1

    def parse(line: str) -> Hit | None:
        values = line.split("\t")
        if len(values) < width or line.startswith("#"):
            return None
        size = values[size_at]
        agent = values[agent_at]
        return (
            values[ip_at],
            values[date_at],
            values[method_at],
            values[status_at],
            unquote(values[path_at]),
            int(size) if size.isdigit() else 0,
            # CloudFront encodes the agent twice over (a space is %2520): decode until it settles.
            unquote(unquote(agent)) if "%" in agent else agent,
        )

    return parse


def detect_format(line: str) -> str | None:
    """The format a log's first line is written in, or ``None`` when none fits."""
    if line.startswith(("#Version", "#Fields")) or line.count("\t") >= 10:
        return "cloudfront"
    if _COMBINED_START.match(line):
        return "combined"
    if _S3_START.match(line):
        return "s3"
    return None


def make_parser(log_format: str, header: list[str]) -> Parser:
    """The parser for *log_format*; *header* is a CloudFront file's ``#Fields`` names, if it had one."""
    if log_format == "combined":
        return combined_parser()
    if log_format == "s3":
        return s3_parser()
    if log_format == "cloudfront":
        return cloudfront_parser(header or None)
    raise StatsError(f"unknown log format {log_format!r}; use one of {', '.join(FORMATS)}")


def open_log(path: Path) -> BinaryIO:
    """Open *path* for reading, through gzip when its first bytes say it is compressed."""
    stream = path.open("rb")
    if stream.read(2) == _GZIP_MAGIC:
        stream.close()
        return gzip.open(path, "rb")  # type: ignore[return-value]
    stream.seek(0)
    return stream


def first_line(path: Path) -> bytes | None:
    """The first complete line of *path* (decompressed), or ``None`` while it has none."""
    try:
        with open_log(path) as stream:
            line = stream.readline(1 << 16)
    except (OSError, EOFError) as error:
        raise StatsError(f"cannot read the log: {error}", path=path) from None
    return line if line.endswith(b"\n") else None


def fingerprint(line: bytes) -> str:
    """What a log file is known by from one run to the next: a digest of its first line."""
    return hashlib.sha256(b"podcaster-log\n" + line).hexdigest()


def fields_header(path: Path) -> list[str]:
    """A CloudFront file's ``#Fields`` names (empty when it has none in its first lines)."""
    with open_log(path) as stream:
        for _ in range(5):
            line = stream.readline(1 << 16).decode("utf-8", "replace")
            if line.startswith("#Fields:"):
                return line.split(":", 1)[1].split()
    return []


def read_chunks(path: Path, start: int) -> Iterator[tuple[list[str], int]]:
    """Yield the complete lines of *path* after byte *start*, a chunk at a time, with the offset after them."""
    try:
        with open_log(path) as stream:
            stream.seek(start)
            offset = start
            rest = b""
            while chunk := stream.read(CHUNK):
                data = rest + chunk
                end = data.rfind(b"\n") + 1
                rest = data[end:]
                if end:
                    offset += end
                    yield data[:end].decode("utf-8", "replace").split("\n")[:-1], offset
    except (OSError, EOFError, gzip.BadGzipFile) as error:
        raise StatsError(f"cannot read the log: {error}", path=path) from None
