"""Markdown rendered once and sanitised with an allowlist."""

import pytest

from publicaccounts.rendering import render_markdown


@pytest.mark.parametrize(("source", "absent"), [
    ("<script>alert(1)</script>", "<script"),
    ('<a href="javascript:alert(1)">x</a>', "javascript:"),
    ("[x](javascript:alert(1))", "javascript:"),
    ('<p onclick="alert(1)">x</p>', "onclick"),
    ('<span style="color:red">x</span>', "style="),
    ("![x](https://other.example/a.png)", "<img"),
    ('<img src="/media/a.png">', "<img"),
    ('<iframe src="https://e.example"></iframe>', "<iframe"),
    ('<form action="/x"><input name="a"></form>', "<input"),
    ("<svg><script>alert(1)</script></svg>", "alert"),
    ('<a href="data:text/html,<script>x</script>">x</a>', "data:"),
    ("<!-- hidden -->", "hidden"),
    ('<div class="admin" id="main">x</div>', "class="),
])
def test_dangerous_markup_is_removed(source, absent):
    assert absent not in render_markdown(source)


def test_structure_survives():
    html = render_markdown("# Title\n\n## Sub\n\n- a\n- b\n\n> quote\n\n`code`\n\n| a | b |\n|---|---|\n| 1 | 2 |\n")
    for tag in ("<h2>Title</h2>", "<h2>Sub</h2>", "<ul>", "<li>a</li>", "<blockquote>", "<code>code</code>",
                "<table>", "<td>1</td>"):
        assert tag in html, tag


def test_links_get_nofollow_noopener():
    html = render_markdown("[site](https://example.com) <a href=\"http://e.com\" rel=\"opener\">e</a>")
    assert '<a href="https://example.com" rel="nofollow noopener">site</a>' in html
    assert 'rel="opener"' not in html
    assert html.count('rel="nofollow noopener"') == 2
