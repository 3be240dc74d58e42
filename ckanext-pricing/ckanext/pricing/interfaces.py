"""The pricing plugin's interface for other plugins."""
from __future__ import annotations

from typing import Any

import ckan.plugins as p


class IPricingOrders(p.Interface):
    """Hear about orders as their payment moves them, inside the same transaction."""

    def pricing_order_changed(self, order: dict[str, Any], effect: str) -> None:
        """``effect``: ``grant`` (paid and delivered: ``order["entitlement_id"]``) or
        ``revoke`` (refunded or disputed: ``order["note"]`` says why). Do not commit."""
