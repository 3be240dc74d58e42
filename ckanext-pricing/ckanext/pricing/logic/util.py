"""Small pieces every action module of the plugin uses: the suite's shared ones."""

from __future__ import annotations

from ckanext.cityexchange.context import site_context
from ckanext.cityexchange.guard import validate

__all__ = ["site_context", "validate"]
