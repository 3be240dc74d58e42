from __future__ import annotations

import ckan.plugins as p
import ckan.plugins.toolkit as tk


@tk.blanket.config_declarations
class PricingPlugin(p.SingletonPlugin):
    """Priced and restricted datasets: offers, samples, entitlements, payments."""
