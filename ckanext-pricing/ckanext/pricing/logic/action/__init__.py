"""The pricing plugin's actions, one module per subject (as ckanext-showcase splits by verb).

Each module lists its actions in ``__all__``; the plugin registers the union (``MODULES``).
"""

from __future__ import annotations

from ckanext.pricing.logic.action import (
    buyer,
    checkout,
    connect,
    dataspace,
    entitlement,
    order,
    payment,
    paywall,
)

MODULES = (entitlement, buyer, paywall, checkout, order, payment, connect, dataspace)
