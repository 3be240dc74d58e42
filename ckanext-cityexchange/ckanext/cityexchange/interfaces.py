"""The cityexchange plugin's interface for the suite's other plugins."""

from __future__ import annotations

from typing import TypedDict

import ckan.plugins as p


class NavLink(TypedDict, total=False):
    """One link of the header's navigation.

    ``url``: where it leads; ``label``: its text, already translated; ``active``: whether
    the current page belongs to it; ``count``: a number shown beside it (say, deal rooms
    waiting for an answer), 0 for none; ``count_label``: what the number counts, read out
    by screen readers.
    """

    url: str
    label: str
    active: bool
    count: int
    count_label: str


class ICityexchangeNavigation(p.Interface):
    """Add links to the theme: to the header for the logged-in user (their data, orders,
    deal rooms, sales) and to the footer for everyone (say, the harvest status). The
    theme renders them after its own links, in plugin order."""

    def cityexchange_user_links(self, user_name: str) -> list[NavLink]:
        """Links for the logged-in user ``user_name``; called once per page."""
        return []

    def cityexchange_footer_links(self) -> list[NavLink]:
        """Links in every page's footer; called once per page."""
        return []
