"""Show notes: Markdown rendered to HTML, then sanitised for feeds and pages."""

from __future__ import annotations

import html
import re

import cmarkgfm
import nh3
from cmarkgfm.cmark import Options

# What podcast apps and our pages render well; everything else is stripped.
_ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "del", "em", "h2", "h3", "h4", "hr", "i", "li", "ol",
    "p", "pre", "s", "strong", "sub", "sup", "table", "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip
_ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}, "td": {"align"}, "th": {"align"}}
_URL_SCHEMES = {"http", "https", "mailto"}
_BLOCK_TAG = re.compile(
    r"</?(?:p|br|li|h\d|div|tr|td|th|blockquote|ul|ol|pre|hr|table)\b[^>]*>", re.IGNORECASE
)
_TAG = re.compile(r"<[^>]+>")


# Raw HTML is let through cmark on purpose: nh3 decides what survives, in one place.
_CMARK_OPTIONS = Options.CMARK_OPT_UNSAFE
# Built once: nh3.clean() would build the same sanitizer again for every episode (half its time).
_CLEANER = nh3.Cleaner(
    tags=_ALLOWED_TAGS,
    attributes=_ALLOWED_ATTRIBUTES,
    url_schemes=_URL_SCHEMES,
    link_rel="noopener noreferrer",
)


def render_notes(markdown: str) -> str:
    """Render Markdown show notes (GitHub-flavoured) to sanitised HTML: scripts, handlers and styles removed."""
    return sanitize_html(cmarkgfm.github_flavored_markdown_to_html(markdown, options=_CMARK_OPTIONS))


def sanitize_html(fragment: str) -> str:
    """Keep only harmless markup from *fragment*; links open safely."""
    return _CLEANER.clean(fragment).strip()


def plain_text(fragment: str) -> str:
    """The text of an HTML fragment, on one line, with entities decoded."""
    # Runs of whitespace made one space, and none at the ends: split() finds the same runs as
    # a \s+ pattern, without a substitution for every space between two words.
    return " ".join(html.unescape(_TAG.sub("", _BLOCK_TAG.sub(" ", fragment))).split())


def summarize(notes_html: str, limit: int = 600) -> str:
    """A plain-text summary: the first paragraph, cut at a word boundary under *limit* characters."""
    first = notes_html.split("</p>", 1)[0] if "</p>" in notes_html else notes_html
    text = plain_text(first)
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0]
    return cut.rstrip(",;:") + "…"
