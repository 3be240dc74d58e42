from __future__ import annotations

import ckan.plugins as p
import ckan.plugins.toolkit as tk
from ckan.common import CKANConfig
from ckan.lib.plugins import DefaultTranslation


@tk.blanket.blueprints
@tk.blanket.config_declarations
@tk.blanket.helpers
class CityexchangePlugin(p.SingletonPlugin, DefaultTranslation):
    """Portal-wide rules of the suite: the request guard, security headers, sessions."""

    p.implements(p.IConfigurer)
    p.implements(p.ITranslation)

    def update_config(self, config: CKANConfig) -> None:
        # Core templates whose inline scripts carry the CSP nonce (templates/).
        tk.add_template_directory(config, "templates")
