"""Markdown to safe HTML, done once when an article is saved (pages show the stored body_html)."""

import re

import markdown
import nh3

# What an article may contain: text structure, links, code, tables. No images in the body
# (the cover is the article's picture; the site's CSP would block other hosts' images anyway),
# no style, no classes, no ids, no forms, no media, no scripts.
ALLOWED_TAGS = frozenset({
    "p", "br", "hr", "h2", "h3", "h4", "h5", "h6", "strong", "em", "b", "i", "u", "s", "del", "ins", "mark",
    "sub", "sup", "small", "blockquote", "q", "cite", "code", "pre", "kbd", "samp", "ul", "ol", "li",
    "dl", "dt", "dd", "a", "abbr", "table", "thead", "tbody", "tfoot", "tr", "th", "td", "caption",
})
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "ol": {"start"},
    "th": {"colspan", "rowspan", "scope"},
    "td": {"colspan", "rowspan"},
}
URL_SCHEMES = frozenset({"http", "https", "mailto"})
LINK_REL = "nofollow noopener"
MARKDOWN_EXTENSIONS = ["sane_lists", "fenced_code", "tables"]

# The article's title is the page's only h1: headings in the body start one level lower.
_H1 = re.compile(r"<(/?)h1(\s|>)", re.IGNORECASE)


def render_markdown(text: str) -> str:
    """Render Markdown and keep only the allowlisted HTML; links get rel="nofollow noopener"."""
    html = markdown.markdown(text or "", extensions=MARKDOWN_EXTENSIONS, output_format="html")
    html = _H1.sub(r"<\1h2\2", html)
    return nh3.clean(html, tags=set(ALLOWED_TAGS), attributes={k: set(v) for k, v in ALLOWED_ATTRIBUTES.items()},
                     url_schemes=set(URL_SCHEMES), link_rel=LINK_REL, strip_comments=True)
