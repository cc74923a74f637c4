"""The hardened XML parser for documents others wrote (feeds to import or verify).

It loads no DTD, touches no network, expands no entity and keeps libxml2's
limits on text size and depth (``huge_tree`` off, unless the caller, having
bounded the input, asks for it); the caller bounds the input (the client's
size limit). A document whose DTD declares entities at all (how
XML bombs and external-entity attacks work, and something no podcast feed
needs) is refused outright.
"""

from __future__ import annotations

import re

from lxml import etree

from podcaster.errors import SourceError

_INTERNAL_SUBSET = re.compile(rb"<!DOCTYPE[^>\[]*\[", re.IGNORECASE)
_ENTITY_DECLARATION = re.compile(rb"<!ENTITY", re.IGNORECASE)


def parse_xml(data: bytes, where: str, *, recover: bool = False, huge: bool = False) -> etree._Element:
    """Parse untrusted XML with every dangerous feature off.

    Raise :class:`SourceError` when the document declares entities, and
    :class:`lxml.etree.XMLSyntaxError` when it is not well-formed (with *recover*,
    only when nothing at all could be read). *huge* lifts libxml2's 10 MB limit on
    a single text: for a document whose size the caller has already bounded.
    """
    subset = _INTERNAL_SUBSET.search(data, 0, 1 << 20)
    if subset and _ENTITY_DECLARATION.search(data, subset.end(), subset.end() + (1 << 20)):
        raise _entity_error(where)  # before the parser sees it
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=huge,
        recover=recover,
        remove_comments=True,
        remove_pis=True,
    )
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as error:
        message = str(error).lower()
        if "amplification" in message or ("entity" in message and "loop" in message):
            raise _entity_error(where) from None
        raise
    if root is None:
        raise etree.XMLSyntaxError("no element found", 0, 1, 1, where)
    dtd = root.getroottree().docinfo.internalDTD
    if dtd is not None and any(True for _ in dtd.iterentities()):
        raise _entity_error(where)
    return root


def _entity_error(where: str) -> SourceError:
    return SourceError(
        "the feed declares XML entities (<!ENTITY …>): refused. No podcast feed needs them; they are how "
        "'billion laughs' bombs and external-entity attacks work",
        path=where,
    )


def over_parser_limit(error: etree.XMLSyntaxError) -> bool:
    """Whether libxml2 stopped at one of its size limits (a text over 10 MB), not at a syntax error."""
    message = str(error).lower()
    return any(words in message for words in ("huge", "too long", "too big", "resource limit"))
