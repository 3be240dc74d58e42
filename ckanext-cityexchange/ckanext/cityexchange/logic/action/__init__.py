"""The cityexchange plugin's actions, one module per subject; the plugin registers what
this package lists in ``__all__``."""

from __future__ import annotations

from ckanext.cityexchange.logic.action.catalog import dcat_catalog_show
from ckanext.cityexchange.logic.action.search import (
    cityexchange_autocomplete,
    cityexchange_search_suggest,
)

__all__ = ["cityexchange_autocomplete", "cityexchange_search_suggest", "dcat_catalog_show"]
