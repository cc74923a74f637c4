"""Parse the bytes of a feed to import: repair its usual mistakes, saying so, and never lose an item.

Through the hardened parser of :mod:`podcaster.net`. Encodings are sniffed and
repaired, HTML entities are made numeric, the usual prefixes (``itunes:``,
``podcast:``) a feed uses without declaring them are declared, as apps read
them. A text over libxml2's 10 MB limit is read whole (the feed is already
bounded), for :mod:`podcaster.importing.items` to refuse by name. A feed that
is not well-formed is read leniently, with a warning, unless that reading
loses an item or a GUID: then it is refused.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

from lxml import etree

from podcaster import net
from podcaster.errors import SourceError
from podcaster.importing.feedvalues import USUAL_NAMESPACES

_XML_DECLARATION = re.compile(rb"^(\s*<\?xml[^>]*?encoding\s*=\s*)([\"'])([A-Za-z0-9._-]+)\2", re.IGNORECASE)
_HTML_ENTITY = re.compile(rb"&([A-Za-z][A-Za-z0-9]{1,31});")
_XML_ENTITIES = {b"amp", b"lt", b"gt", b"quot", b"apos"}
# <item> and <guid> start tags, and the openings of what to skip over (notes may quote HTML in CDATA).
_COUNTED_OR_SKIPPED = re.compile(rb"<(item|guid)[\s>/]|<!\[CDATA\[|<!--")
_RSS_START = re.compile(rb"<rss(?=[\s>/])")
_SKIPPED_UNTIL = {b"<![CDATA[": b"]]>", b"<!--": b"-->"}


@dataclass(frozen=True)
class ParsedXml:
    root: etree._Element
    warnings: tuple[str, ...] = ()


def parse_xml(data: bytes, where: str, charset: str | None = None) -> ParsedXml:
    """Parse feed bytes with the hardened parser; repair the usual mistakes, saying so."""
    data, warnings = _to_utf8(data, where, charset)
    # HTML entity names (&eacute;, &nbsp;) are undefined in XML; as numeric references they
    # mean the same in text and in the HTML of notes, and the parser never has to resolve a name.
    data = _numeric_entities(data)
    data = _declare_usual_prefixes(data, warnings)
    huge = False
    try:
        return ParsedXml(root=net.parse_xml(data, where), warnings=tuple(warnings))
    except etree.XMLSyntaxError as error:
        failure = error
    if net.over_parser_limit(failure):
        huge = True
        try:
            return ParsedXml(root=net.parse_xml(data, where, huge=True), warnings=tuple(warnings))
        except etree.XMLSyntaxError as error:
            failure = error
    message = str(failure)
    line = getattr(failure, "lineno", None)
    try:
        root = net.parse_xml(data, where, recover=True, huge=huge)
    except etree.XMLSyntaxError:
        raise SourceError(f"not well-formed XML: {message}", path=where, line=line) from None
    lost = _lost_in_recovery(data, root)
    if lost:
        raise SourceError(
            f"not well-formed XML: {message}; read leniently, it would lose {lost}: refused, nothing imported",
            path=where,
            line=line,
        )
    warnings.append(f"the feed is not well-formed XML ({message}); it was read leniently: check the result")
    return ParsedXml(root=root, warnings=tuple(warnings))


def _declare_usual_prefixes(data: bytes, warnings: list[str]) -> bytes:
    """Declare on <rss> the usual prefixes (itunes:, podcast:…) a feed uses without declaring, as apps read them."""
    root = _RSS_START.search(data)
    if root is None:
        return data
    missing = sorted(
        prefix
        for prefix in USUAL_NAMESPACES
        if f"<{prefix}:".encode() in data and f"xmlns:{prefix}".encode() not in data
    )
    if not missing:
        return data
    declarations = b"".join(f' xmlns:{prefix}="{USUAL_NAMESPACES[prefix]}"'.encode() for prefix in missing)
    names = ", ".join(f"{prefix}:" for prefix in missing)
    warnings.append(f"the feed uses {names} without declaring it: read with the usual namespace, as apps do")
    return data[: root.end()] + declarations + data[root.end() :]


def _lost_in_recovery(data: bytes, root: etree._Element) -> str | None:
    """What a lenient reading dropped: items or GUIDs written in the feed but missing from the tree."""
    written = {b"item": 0, b"guid": 0}
    position = 0
    while match := _COUNTED_OR_SKIPPED.search(data, position):
        if match.group(1):
            written[match.group(1)] += 1
            position = match.end()
            continue
        end = data.find(_SKIPPED_UNTIL[match.group(0)], match.end())
        if end < 0:
            break
        position = end + 3
    items = [element for element in root.iter("item")]
    read = {b"item": len(items), b"guid": sum(1 for item in items for _ in item.iter("guid"))}
    if read[b"item"] < written[b"item"]:
        return f"{written[b'item'] - read[b'item']} of its {written[b'item']} items"
    if read[b"guid"] < written[b"guid"]:
        return f"{written[b'guid'] - read[b'guid']} of its {written[b'guid']} GUIDs"
    return None


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
