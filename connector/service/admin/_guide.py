"""A connector's setup guide: Markdown to HTML, then sanitised, so connector text is inert."""

from __future__ import annotations

import functools

import nh3
from markdown_it import MarkdownIt

_TAGS = {
    "a", "blockquote", "br", "code", "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "li",
    "ol", "p", "pre", "strong", "table", "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip
_ATTRIBUTES = {"a": {"href", "title"}, "td": {"align"}, "th": {"align"}}


@functools.cache
def _markdown() -> MarkdownIt:
    # Raw HTML in the Markdown is shown as text, never passed through.
    return MarkdownIt("commonmark", {"html": False}).enable("table")


def render_guide(markdown: str) -> str:
    """Safe HTML for a connector's README: no script, no event handler, no style, no image
    from elsewhere; links only to http(s) and mail, opened without a referrer."""
    md = _markdown()
    tokens = md.parse(markdown)
    for token in tokens:
        # The guide sits under the page's own h2: its "# Title" becomes an h3.
        if token.type in ("heading_open", "heading_close"):
            token.tag = f"h{min(int(token.tag[1]) + 2, 6)}"
    html = md.renderer.render(tokens, md.options, {})
    return nh3.clean(
        html,
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
