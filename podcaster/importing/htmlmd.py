"""Show notes from a feed: HTML turned into Markdown when that is faithful, else kept as sanitised HTML.

The converter knows the subset hosts really write (paragraphs, links, bold,
italics, lists, line breaks, h2–h4, quotes, code, rules). It works on the
notes once sanitised by :func:`podcaster.folder.notes.sanitize_html`, and its result
is checked: the Markdown, rendered back by :func:`podcaster.folder.notes.render_notes`,
must give the same structure, links and text as the sanitised HTML. When it
does not (a table, a tag it does not know, an emphasis CommonMark would read
differently), the notes are kept as that sanitised HTML, which the Markdown
renderer passes through as a raw HTML block.

Spacing-only markup (empty paragraphs, a ``<br>`` opening or closing a block)
is dropped first: hosts' editors add it, and it carries no content.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import unquote

from podcaster.folder.notes import render_notes, sanitize_html

_BLOCKS = {"p", "ul", "ol", "li", "h2", "h3", "h4", "blockquote", "hr", "pre", "table"}
_INLINE = {"a", "strong", "b", "em", "i", "code", "br"}
_SUPPORTED = (_BLOCKS - {"pre", "table"}) | _INLINE
_SAME = {"b": "strong", "i": "em"}
_VOID = {"br", "hr"}
_ESCAPE = re.compile(r"([\\`*_\[\]<>|~])")
_ENTITY_LIKE = re.compile(r"&(?=#?\w+;)")
_LINE_START = re.compile(r"^(\s*)([#+=-]|\d+[.)])")
_WHITESPACE = re.compile(r"\s+")
_BLANK_LINES = re.compile(r"\n\s*\n")
_MAX_DEPTH = 100  # elements inside elements; real notes nest a handful


@dataclass
class _Element:
    tag: str
    attrs: dict[str, str] = field(default_factory=dict)
    children: list[_Element | str] = field(default_factory=list)


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = _Element("root")
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = _Element(tag, {key: value or "" for key, value in attrs})
        self.stack[-1].children.append(element)
        if tag not in _VOID:
            if len(self.stack) > _MAX_DEPTH:
                raise _TooDeep  # the walks below recurse: stop before Python's own limit does
            self.stack.append(element)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack[-1].children.append(_Element(tag, {key: value or "" for key, value in attrs}))

    def handle_endtag(self, tag: str) -> None:
        for depth in range(len(self.stack) - 1, 0, -1):
            if self.stack[depth].tag == tag:
                del self.stack[depth:]
                return

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


class _TooDeep(Exception):
    """HTML nested deeper than any editor writes."""


def _tree(fragment: str) -> _Element:
    builder = _TreeBuilder()
    builder.feed(fragment)
    builder.close()
    return builder.root


@dataclass(frozen=True)
class Notes:
    text: str  # what goes below the front matter
    is_markdown: bool


def html_to_notes(fragment: str) -> Notes:
    """Markdown for *fragment* when it converts faithfully, else its sanitised HTML as a raw block."""
    fragment = fragment.strip()
    if not fragment:
        return Notes("", True)
    if "<" not in fragment:
        return Notes(_plain_text_markdown(fragment), True)
    sanitized = sanitize_html(fragment)
    try:
        return _converted(sanitized)
    except _TooDeep:
        return Notes(_raw_html_block(sanitized), False)  # kept whole, as the sanitiser left it


def _converted(sanitized: str) -> Notes:
    root = _tidy(_tree(sanitized))
    cleaned = _serialize(root)
    if not cleaned.strip():
        return Notes("", True)
    if _all_supported(root):
        markdown = _Writer().blocks(root.children).strip()
        if markdown and _same(_tree(render_notes(markdown)), root):
            return Notes(markdown, True)
    return Notes(_raw_html_block(cleaned), False)


def _plain_text_markdown(text: str) -> str:
    """Plain-text notes: blank lines part paragraphs, single newlines stay line breaks."""
    paragraphs = []
    for paragraph in re.split(r"\n\s*\n", text.replace("\r\n", "\n")):
        lines = [_escape_line(" ".join(line.split())) for line in paragraph.splitlines() if line.strip()]
        if lines:
            paragraphs.append("\\\n".join(lines))
    return "\n\n".join(paragraphs)


def _raw_html_block(html: str) -> str:
    """Sanitised HTML that Markdown passes through untouched: one HTML block, no blank line inside."""
    body = _BLANK_LINES.sub("\n", html.strip())
    first = re.match(r"<([a-z0-9]+)", body)
    if first and first.group(1) in _BLOCKS:
        return body
    # A block-level opening line makes the whole fragment one raw HTML block; the sanitiser drops the div.
    return f"<div>\n{body}\n</div>"


# -- cleaning ------------------------------------------------------------------


def _tidy(element: _Element) -> _Element:
    """Drop spacing-only markup: empty paragraphs and a ``<br>`` opening or closing a block."""
    children: list[_Element | str] = []
    for child in element.children:
        if isinstance(child, _Element):
            child = _tidy(child)
            if child.tag in ("p", "h2", "h3", "h4", "strong", "em", "b", "i") and _is_empty(child):
                continue
        children.append(child)
    if element.tag in ("root", "p", "li", "h2", "h3", "h4", "blockquote"):
        while children and _is_spacing(children[0]):
            children.pop(0)
        while children and _is_spacing(children[-1]):
            children.pop()
    element.children = children
    return element


def _is_spacing(node: _Element | str) -> bool:
    if isinstance(node, str):
        return not node.strip()
    return node.tag == "br"


def _is_empty(element: _Element) -> bool:
    return all(_is_spacing(child) for child in element.children)


def _serialize(element: _Element) -> str:
    from html import escape

    parts = []
    for child in element.children:
        if isinstance(child, str):
            parts.append(escape(child, quote=False))
            continue
        attrs = "".join(f' {key}="{escape(value)}"' for key, value in child.attrs.items())
        if child.tag in _VOID:
            parts.append(f"<{child.tag}{attrs}>")
        else:
            parts.append(f"<{child.tag}{attrs}>{_serialize(child)}</{child.tag}>")
    return "".join(parts)


def _all_supported(element: _Element) -> bool:
    for child in element.children:
        if isinstance(child, _Element):
            if child.tag not in _SUPPORTED or not _all_supported(child):
                return False
            if child.tag == "a" and not child.attrs.get("href"):
                return False
    return True


# -- writing Markdown ----------------------------------------------------------


class _Writer:
    def blocks(self, nodes: list[_Element | str], separator: str = "\n\n") -> str:
        """Block content: paragraphs, headings, lists; loose inline runs become paragraphs."""
        out: list[str] = []
        run: list[_Element | str] = []

        def flush() -> None:
            text = self.inline(run).strip()
            if text:
                out.append(_escape_block_start(text))
            run.clear()

        for node in nodes:
            if isinstance(node, _Element) and node.tag in _BLOCKS:
                flush()
                block = self.block(node)
                if block:
                    out.append(block)
            else:
                run.append(node)
        flush()
        return separator.join(out)

    def block(self, element: _Element) -> str:
        tag = element.tag
        if tag == "p":
            return _escape_block_start(self.inline(element.children).strip())
        if tag in ("h2", "h3", "h4"):
            text = self.inline(element.children).strip()
            return f"{'#' * int(tag[1])} {text}" if text else ""
        if tag == "hr":
            return "* * *"
        if tag == "blockquote":
            inner = self.blocks(element.children)
            return "\n".join(f"> {line}" if line else ">" for line in inner.splitlines())
        if tag in ("ul", "ol"):
            return self.items(element)
        return self.blocks(element.children)  # a stray <li>

    def items(self, element: _Element) -> str:
        items = [child for child in element.children if isinstance(child, _Element)]
        if any(isinstance(child, str) and child.strip() for child in element.children):
            return ""  # text between items: nothing faithful to write, the check will refuse it
        # A list whose items hold paragraphs is "loose": blank lines between items, <p> once rendered.
        loose = any(
            isinstance(node, _Element) and node.tag in _BLOCKS - {"ul", "ol", "li"}
            for item in items
            for node in item.children
        )
        separator = "\n\n" if loose else "\n"
        rendered = []
        for number, item in enumerate(items, start=1):
            marker = f"{number}. " if element.tag == "ol" else "- "
            content = self.blocks(item.children, separator) if item.tag == "li" else self.block(item)
            lines = content.splitlines() or [""]
            indent = " " * len(marker)
            rendered.append(
                "\n".join([marker + lines[0], *(indent + line if line else "" for line in lines[1:])])
            )
        return separator.join(rendered)

    def inline(self, nodes: list[_Element | str]) -> str:
        parts = []
        for node in nodes:
            if isinstance(node, str):
                parts.append(_escape_text(_WHITESPACE.sub(" ", node)))
                continue
            tag = _SAME.get(node.tag, node.tag)
            if tag == "br":
                parts.append("\\\n")
            elif tag in ("strong", "em"):
                parts.append(_wrap(self.inline(node.children), "**" if tag == "strong" else "*"))
            elif tag == "code":
                parts.append(_code(_text_of(node)))
            elif tag == "a":
                parts.append(self.link(node))
            else:
                parts.append(self.inline(node.children))
        text = re.sub(r"(?<=\S) {2,}(?=\S)", " ", "".join(parts))
        # A hard break must not start a line with spaces: Markdown would read them as indentation.
        return re.sub(r"\\\n +", "\\\n", text)

    def link(self, element: _Element) -> str:
        label = self.inline(element.children).strip()
        href = element.attrs.get("href", "")
        destination = href
        if re.search(r"[\s()<>]", href):
            # The pointy-bracket form allows spaces and parentheses, not brackets or line breaks.
            destination = "<" + re.sub(r"[<>\n]", lambda m: f"%{ord(m.group(0)):02X}", href) + ">"
        if label == _escape_text(href) and not re.search(r"[\s<>]", href) and not element.attrs.get("title"):
            return f"<{href}>"  # an autolink: the URL shown as itself
        title = element.attrs.get("title")
        title_part = f' "{title.replace(chr(34), chr(92) + chr(34))}"' if title else ""
        return f"[{label}]({destination}{title_part})"


def _wrap(content: str, marker: str) -> str:
    """Emphasis with the spaces moved outside the markers, where CommonMark needs them."""
    if not content.strip():
        return content
    leading = content[: len(content) - len(content.lstrip())]
    trailing = content[len(content.rstrip()) :]
    return f"{leading}{marker}{content.strip()}{marker}{trailing}"


def _code(text: str) -> str:
    fence = "`"
    while fence in text:
        fence += "`"
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _text_of(element: _Element) -> str:
    return "".join(child if isinstance(child, str) else _text_of(child) for child in element.children)


def _escape_text(text: str) -> str:
    return _ENTITY_LIKE.sub(r"\\&", _ESCAPE.sub(r"\\\1", text))


def _escape_line(text: str) -> str:
    return _escape_block_start(_escape_text(text))


def _escape_block_start(text: str) -> str:
    """Keep a paragraph (or a line after a hard break) from reading as a heading or a list item."""
    lines = text.split("\\\n")
    return "\\\n".join(_LINE_START.sub(_escape_marker, line) for line in lines)


def _escape_marker(match: re.Match[str]) -> str:
    marker = match.group(2)
    if marker[0].isdigit():
        return f"{match.group(1)}{marker[:-1]}\\{marker[-1]}"
    return f"{match.group(1)}\\{marker}"


# -- checking ------------------------------------------------------------------


def _same(rendered: _Element, reference: _Element) -> bool:
    """Whether two HTML fragments have the same structure, links and text (whitespace aside)."""
    return _canonical(rendered) == _canonical(reference) and _spaced_text(rendered) == _spaced_text(reference)


def _canonical(tree: _Element) -> list[str]:
    """Blocks as tokens; each run of inline content as one token (a bare run at the top as a paragraph)."""
    tokens: list[str] = []

    def walk(element: _Element, top: bool) -> None:
        run: list[str] = []

        def flush() -> None:
            text = "".join(run)
            if text:
                tokens.extend(["<p>", text, "</p>"] if top else [text])
            run.clear()

        for child in element.children:
            if isinstance(child, str):
                run.append("".join(child.split()))
            elif child.tag not in _BLOCKS:
                run.append(_canonical_inline(child))
            else:
                flush()
                tokens.append(f"<{child.tag}>")
                walk(child, top=child.tag == "blockquote")
                if child.tag not in _VOID:
                    tokens.append(f"</{child.tag}>")
        flush()

    walk(tree, top=True)
    return tokens


def _canonical_inline(element: _Element) -> str:
    tag = _SAME.get(element.tag, element.tag)
    href = f" {unquote(element.attrs.get('href', ''))}" if tag == "a" else ""
    inner = "".join(
        "".join(child.split()) if isinstance(child, str) else _canonical_inline(child)
        for child in element.children
    )
    if tag == "a" and href.strip() in (inner, f"http://{inner}", f"mailto:{inner}"):
        return inner  # GitHub Markdown links bare URLs; a link showing its own URL is the same thing
    return f"<{tag}{href}>{inner}" if tag in _VOID else f"<{tag}{href}>{inner}</{tag}>"


def _spaced_text(tree: _Element) -> str:
    """The text with block boundaries as spaces and whitespace collapsed."""
    pieces: list[str] = []

    def walk(element: _Element) -> None:
        for child in element.children:
            if isinstance(child, str):
                pieces.append(child)
            else:
                if child.tag in _BLOCKS or child.tag == "br":
                    pieces.append(" ")
                walk(child)
                if child.tag in _BLOCKS:
                    pieces.append(" ")

    walk(tree)
    return " ".join("".join(pieces).split())
