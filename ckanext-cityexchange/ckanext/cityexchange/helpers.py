"""Template helpers of the cityexchange plugin."""
from __future__ import annotations

from markupsafe import Markup

import ckan.plugins.toolkit as tk

from ckanext.cityexchange import markup

__all__ = ["cityexchange_markdown"]


def cityexchange_markdown(data: str, auto_link: bool = True) -> Markup:
    """User-written Markdown as HTML, like ``h.render_markdown`` but without remote
    images: every image becomes a link to its address (see :mod:`.markup`). Use it for
    every text a user wrote and others read.

    :param data: the Markdown text
    :param auto_link: make links of ``dataset:name``, ``tag:name`` and the like
    """
    html = markup.render(data)
    if html and auto_link:
        html = tk.h.html_auto_link(html)
    return Markup(html)
