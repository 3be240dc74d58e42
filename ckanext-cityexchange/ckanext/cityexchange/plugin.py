from __future__ import annotations

import ckan.plugins as p
import ckan.plugins.toolkit as tk


@tk.blanket.blueprints
@tk.blanket.config_declarations
@tk.blanket.helpers
class CityexchangePlugin(p.SingletonPlugin):
    """Portal-wide rules of the suite: the request guard, security headers, sessions."""
