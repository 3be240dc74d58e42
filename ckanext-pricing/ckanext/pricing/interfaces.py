"""The pricing plugin's interface for other plugins."""

from __future__ import annotations

from typing import Any

import ckan.plugins as p


class IPricingOrders(p.Interface):
    """Hear about orders as their payment moves them, inside the same transaction."""

    def pricing_order_changed(self, order: dict[str, Any], effect: str) -> None:
        """``effect``: ``grant`` (paid and delivered: ``order["entitlement_id"]``),
        ``revoke`` (refunded or disputed: ``order["note"]`` says why) or ``restore`` (a
        dispute was won: the entitlement holds again). Do not commit."""

    def pricing_order_lock(self, order: dict[str, Any]) -> None:
        """Called before a payment event locks its order (``order`` holds ``id``,
        ``source`` and ``source_ref``): lock here, in this transaction, what the order's
        source decides with (say, its deal room). Locks are so always taken source first,
        order second, as a source's own actions do (a deal room locked, then its open
        checkouts closed): concurrent payments of one source are serialised and cannot
        deadlock with it."""

    def pricing_order_undeliverable(self, order: dict[str, Any]) -> str | None:
        """Asked when a payment arrives for an order not yet delivered: why it can no
        longer be delivered (say, a deal that was revoked while its checkout was open),
        or None. A reason makes the payment be refunded automatically; nothing is
        granted."""
        return None


class IPricingHolds(p.Interface):
    """Withhold resources from everyone but the dataset's managers, and pause its sales.

    The paywall asks every implementation when it decides who gets a resource's data
    (download, preview, DataStore, signed links and the proxy, the search index,
    show-time redaction, activity). A held resource is withheld from everyone but the
    seller side and sysadmins, buyers with an entitlement included, in open datasets
    too; its URL leaves the search index. The decision fails closed: an implementation
    that raises withholds every resource of the dataset.

    Implementations must be cheap (they run on every ``package_show`` and index of a
    dataset: one indexed query at most) and must not commit.
    """

    def pricing_resource_holds(self, pkg_dict: dict[str, Any]) -> dict[str, str]:
        """The dataset's withheld resources: resource id -> the reason shown to those
        who are refused (plain language, no personal data)."""
        return {}

    def pricing_sales_paused(self, pkg_dict: dict[str, Any]) -> str | None:
        """Why the dataset may not be sold now (``pricing_checkout_create`` refuses with
        this as a field error), or None."""
        return None
