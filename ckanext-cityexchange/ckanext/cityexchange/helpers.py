"""Template helpers of the cityexchange plugin."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import ckan.plugins as p
import ckan.plugins.toolkit as tk
import flask_babel
from ckan.lib.search.common import SearchError
from markupsafe import Markup

from ckanext.cityexchange import headers, markup
from ckanext.cityexchange.interfaces import ICityexchangeNavigation, NavLink

__all__ = [
    "cityexchange_csp_nonce",
    "cityexchange_did_you_mean",
    "cityexchange_footer_links",
    "cityexchange_home",
    "cityexchange_markdown",
    "cityexchange_user_links",
    "render_datetime",
]

_HOME_LIST_LENGTH = 4
_SUGGESTIONS = 3


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


def cityexchange_home() -> dict[str, Any]:
    """The home page's live figures and lists, searched as the visitor (so a private
    dataset never shows): counts of open datasets, commercial offers (priced and on
    request), publishers with a dataset and harvested portals, the newest commercial
    and open datasets."""
    search = tk.get_action("package_search")

    def run(**data_dict: Any) -> dict[str, Any]:
        return search({"user": tk.current_user.name or ""}, data_dict)

    catalog = run(
        fq="+dataset_type:dataset",
        rows=0,
        facet="true",
        **{"facet.field": ["access_tier", "organization"], "facet.limit": -1},
    )
    tiers = catalog["facets"].get("access_tier", {})
    commercial = run(
        fq="+dataset_type:dataset +access_tier:(priced OR on_request)",
        rows=_HOME_LIST_LENGTH,
        sort="metadata_modified desc",
    )
    open_data = run(
        fq="+dataset_type:dataset +access_tier:open",
        rows=_HOME_LIST_LENGTH,
        sort="metadata_created desc",
    )
    sources = run(fq="+dataset_type:harvest", rows=0)
    return {
        "open": tiers.get("open", 0),
        "commercial": tiers.get("priced", 0) + tiers.get("on_request", 0),
        "publishers": len(catalog["facets"].get("organization", {})),
        "sources": sources["count"],
        "commercial_datasets": commercial["results"],
        "open_datasets": open_data["results"],
    }


def cityexchange_user_links() -> list[NavLink]:
    """The header's links for the logged-in user, from every ICityexchangeNavigation
    plugin in plugin order; none for a visitor."""
    if not tk.current_user or not tk.current_user.is_authenticated:
        return []
    links: list[NavLink] = []
    for plugin in p.PluginImplementations(ICityexchangeNavigation):
        links.extend(plugin.cityexchange_user_links(tk.current_user.name))
    return links


@tk.chained_helper
def render_datetime(
    next_helper: Callable[..., str],
    datetime_: Any,
    date_format: str | None = None,
    with_hours: bool = False,
    with_seconds: bool = False,
) -> str:
    """CKAN's ``h.render_datetime``, with a date and its hours in the page's language.

    Core writes a date with its hours in one English pattern whatever the language
    ("december 3, 2026, 11:16 (CET)" on a Danish page); in a language other than English
    the date and time follow that language's own patterns ("3. december 2026 11.16
    (CET)"). Everything else is core's.
    """
    locale = flask_babel.get_locale()
    if not with_hours or with_seconds or date_format or locale is None or locale.language == "en":
        return next_helper(datetime_, date_format, with_hours, with_seconds)
    if isinstance(datetime_, str):
        try:
            datetime_ = tk.h.date_str_to_datetime(datetime_)
        except (TypeError, ValueError):
            return ""
    if not isinstance(datetime_, dt.datetime):
        return ""
    if datetime_.tzinfo is None:
        datetime_ = datetime_.replace(tzinfo=dt.UTC)  # stored in UTC, shown in display time
    pattern = locale.datetime_formats["long"].format(
        locale.time_formats["short"].pattern, locale.date_formats["long"].pattern
    )
    return flask_babel.format_datetime(datetime_, f"{pattern} (z)")


def cityexchange_footer_links() -> list[NavLink]:
    """The footer's links from every ICityexchangeNavigation plugin, in plugin order."""
    links: list[NavLink] = []
    for plugin in p.PluginImplementations(ICityexchangeNavigation):
        links.extend(plugin.cityexchange_footer_links())
    return links


def cityexchange_did_you_mean(query: str, dataset_type: str = "dataset") -> list[dict[str, Any]]:
    """Rewritten searches that find datasets for this reader ("did you mean"), at most
    three; none when Solr cannot say or the search is not one to suggest for."""
    try:
        found = tk.get_action("cityexchange_search_suggest")(
            {"user": tk.current_user.name if tk.current_user.is_authenticated else ""},
            {"q": query, "dataset_type": dataset_type},
        )
    except (tk.ValidationError, tk.NotAuthorized, SearchError):
        return []
    return list(found[:_SUGGESTIONS])
