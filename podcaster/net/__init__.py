"""One bounded HTTP client and one hardened XML parser: how podcaster reads what others serve.

Import, verify and the WebSub pings all fetch through :class:`Client` and parse
through :func:`parse_xml`; nothing else in podcaster opens a connection or
parses a document it did not write.
"""

from podcaster.net.client import MAX_REDIRECTS, Answer, Client, FetchError, Redirect, Response, media_type
from podcaster.net.xml import over_parser_limit, parse_xml

__all__ = [
    "MAX_REDIRECTS",
    "Answer",
    "Client",
    "FetchError",
    "Redirect",
    "Response",
    "media_type",
    "over_parser_limit",
    "parse_xml",
]
