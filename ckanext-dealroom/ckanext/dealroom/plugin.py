from __future__ import annotations

import ckan.plugins as p
import ckan.plugins.toolkit as tk
from ckan.lib.plugins import DefaultTranslation

from ckanext.cityexchange.guard import guard_all, public_functions
from ckanext.cityexchange.interfaces import ICityexchangeNavigation, NavLink
from ckanext.dealroom import helpers
from ckanext.dealroom.logic import action
from ckanext.dealroom.logic.action import payment
from ckanext.pricing.interfaces import IPricingOrders


@tk.blanket.actions(lambda: guard_all(public_functions(*action.MODULES)))
@tk.blanket.auth_functions
@tk.blanket.helpers
@tk.blanket.cli
@tk.blanket.blueprints
@tk.blanket.config_declarations
class DealroomPlugin(p.SingletonPlugin, DefaultTranslation):
    """Private 1-1 negotiation between a buyer and a seller organisation, ending in access."""

    p.implements(p.IConfigurer)
    p.implements(p.ITranslation)
    p.implements(IPricingOrders, inherit=True)
    p.implements(ICityexchangeNavigation, inherit=True)

    def cityexchange_user_links(self, user_name: str) -> list[NavLink]:
        endpoint = tk.request.endpoint if tk.request else None
        return [
            {
                "url": tk.url_for("dealroom.inbox"),
                "label": tk._("Deal rooms"),
                "active": bool(endpoint and endpoint.startswith("dealroom.")),
                "count": helpers.dealroom_waiting_count(),
                "count_label": tk._("waiting for your answer"),
            }
        ]

    def pricing_order_changed(self, order: dict, effect: str) -> None:
        payment.on_order(order, effect)

    def pricing_order_lock(self, order: dict) -> None:
        payment.lock_for_order(order)

    def pricing_order_undeliverable(self, order: dict) -> str | None:
        return payment.order_undeliverable(order)

    def update_config(self, config: object) -> None:
        tk.add_template_directory(config, "templates")
