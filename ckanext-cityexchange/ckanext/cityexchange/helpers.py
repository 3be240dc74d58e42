"""Template helpers of the cityexchange plugin."""

from __future__ import annotations

import ckan.plugins.toolkit as tk
from markupsafe import Markup

from ckanext.cityexchange import headers, markup

__all__ = ["cityexchange_csp_nonce", "cityexchange_markdown"]


def cityexchange_csp_nonce() -> str:
    """This request's Content-Security-Policy nonce, made on first use.

    An inline ``<script nonce="{{ h.cityexchange_csp_nonce() }}">`` runs under the
    portal's policy (``'nonce-{nonce}'`` in ``script-src``); any other inline script is
    blocked.
    """
    nonce = getattr(tk.g, "cityexchange_csp_nonce", None)
    if not nonce:
        nonce = tk.g.cityexchange_csp_nonce = headers.new_nonce()
    return nonce


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
