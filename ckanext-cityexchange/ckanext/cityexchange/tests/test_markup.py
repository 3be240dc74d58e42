"""User-written Markdown without remote images: the pure renderer and the helper."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ckanext.cityexchange import markup


def _images(html: str) -> list[str]:
    return re.findall(r"<img\b", html, flags=re.IGNORECASE)


@pytest.mark.pure
@pytest.mark.parametrize(
    "text, expected",
    [
        (
            "Hi ![](https://tracker.example/x.png) there",
            '<p>Hi <a href="https://tracker.example/x.png">https://tracker.example/x.png</a> there</p>',
        ),
        (
            '![our logo](https://a.example/l.png "T")',
            '<p><a href="https://a.example/l.png">our logo</a></p>',
        ),
        (
            "[![alt](https://i.example/x.png)](https://link.example/)",
            '<p><a href="https://link.example/">alt</a></p>',
        ),
        (
            "a ![ref][1]\n\n[1]: https://t.example/r.png",
            '<p>a <a href="https://t.example/r.png">ref</a></p>',
        ),
        ("<img src='https://t.example/p.gif'>raw", "<p>raw</p>"),
        ('<p><img src=x onerror="alert(1)"></p>', "<p></p>"),
        ("![x](javascript:alert(1))", "<p><a>x</a></p>"),
        (
            "**bold** [link](https://ok.example/) `code`",
            '<p><strong>bold</strong> <a href="https://ok.example/">link</a> <code>code</code></p>',
        ),
        ("", ""),
    ],
)
def test_images_become_links_and_the_rest_renders_as_ckan_does(text: str, expected: str) -> None:
    assert markup.render(text) == expected


@pytest.mark.pure
@given(
    st.lists(
        st.one_of(
            st.text(max_size=20),
            st.builds(
                lambda alt, host: f"![{alt}](https://{host}.example/p.png)",
                st.text(max_size=8),
                st.from_regex(r"[a-z]{1,8}", fullmatch=True),
            ),
            st.builds(
                lambda host: f'<img src="https://{host}.example/p.gif">',
                st.from_regex(r"[a-z]{1,8}", fullmatch=True),
            ),
            st.sampled_from(
                [
                    "\n\n",
                    "[",
                    "]",
                    "(",
                    ")",
                    "!",
                    "<",
                    ">",
                    "`",
                    "*",
                    "[1]: https://t.example/x.png\n",
                ]
            ),
        ),
        max_size=12,
    )
)
def test_no_markdown_renders_an_image(parts: list[str]) -> None:
    html = markup.render("".join(parts))
    assert _images(html) == []


def test_the_helper_is_registered_and_auto_links(with_request_context: Any) -> None:
    import ckan.plugins.toolkit as tk

    html = tk.h.cityexchange_markdown("See ![](https://tracker.example/x.png) and tag:bike")
    assert "<img" not in html and 'href="https://tracker.example/x.png"' in html
    assert "/dataset/?tags=bike" in html
    assert tk.h.cityexchange_markdown("") == ""
