from __future__ import annotations

import ckan.plugins as p
import ckan.plugins.toolkit as tk
from ckan.lib.plugins import DefaultTranslation


@tk.blanket.actions
@tk.blanket.auth_functions
@tk.blanket.helpers
@tk.blanket.blueprints
@tk.blanket.config_declarations
class DealroomPlugin(p.SingletonPlugin, DefaultTranslation):
    """Private 1-1 negotiation between a buyer and a seller organisation, ending in access."""

    p.implements(p.IConfigurer)
    p.implements(p.ITranslation)

    def update_config(self, config: object) -> None:
        tk.add_template_directory(config, "templates")
