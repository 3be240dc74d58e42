from __future__ import annotations

import ckan.plugins as p
import ckan.plugins.toolkit as tk


@tk.blanket.config_declarations
class GdprcheckPlugin(p.SingletonPlugin):
    """A GDPR checklist on every dataset and a personal-data scanner for uploads."""
