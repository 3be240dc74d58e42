"""Template helpers of the pricing plugin (all prefixed ``pricing_``)."""

from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk
from babel.numbers import format_currency, get_currency_precision

from ckanext.pricing import access, licences, payments, rules
from ckanext.pricing.indexing import facet_label

__all__ = [
    "pricing_buyer_organizations",
    "pricing_format_amount",
    "pricing_from_price",
    "pricing_licence",
    "pricing_order_state_label",
    "pricing_payments_enabled",
    "pricing_resource_is_locked",
    "pricing_resource_is_sample",
    "pricing_revenue_bars",
    "pricing_sales_paused",
    "pricing_sort_options",
    "pricing_tier_label",
]


def _locale() -> str:
    lang = tk.h.lang() or "en"
    return "da_DK" if lang.startswith("da") else "en"


def pricing_format_amount(amount: Any, currency: str) -> str:
    """1250.00 kr. style, from minor units, in the page's language."""
    try:
        minor = int(amount)
        precision = get_currency_precision(currency)
    except (TypeError, ValueError):
        return ""
    return format_currency(minor / (10**precision), currency, locale=_locale())


def pricing_tier_label(tier: str | None) -> str:
    return facet_label("access_tier", tier or rules.OPEN)


def pricing_licence(licence_id: str) -> dict[str, str]:
    """Title and text of a licence template, in the page's language."""
    return licences.get(licence_id, "da" if _locale() == "da_DK" else "en")


def pricing_resource_is_locked(pkg: dict[str, Any], res: dict[str, Any]) -> bool:
    return rules.is_locked(pkg.get("access_tier"), res)


def pricing_resource_is_sample(pkg: dict[str, Any], res: dict[str, Any]) -> bool:
    return (pkg.get("access_tier") or rules.OPEN) != rules.OPEN and res.get(
        "access"
    ) == rules.SAMPLE


def pricing_from_price(pkg: dict[str, Any]) -> str:
    """'from 1.250,00 kr.' for a priced dataset, '' otherwise."""
    priced = [o for o in pkg.get("offers") or [] if isinstance(o.get("amount"), int)]
    if pkg.get("access_tier") != "priced" or not priced:
        return ""
    best = min(priced, key=lambda o: o["amount"])
    return pricing_format_amount(best["amount"], best["currency"])


def pricing_sort_options() -> list[tuple[str, str]]:
    return [
        (tk._("Price: low to high"), "pricing_sort_amount asc"),
        (tk._("Price: high to low"), "pricing_sort_amount desc"),
    ]


def pricing_payments_enabled() -> bool:
    """Whether the Buy button can take payments (a Stripe key is configured)."""
    return payments.enabled()


def pricing_sales_paused(pkg: dict[str, Any]) -> str | None:
    """Why the dataset cannot be bought now (``IPricingHolds``), or None."""
    return access.sales_paused(pkg) if pkg.get("id") else None


def pricing_order_state_label(state: str) -> str:
    labels = {
        "pending": tk._("Awaiting payment"),
        "paid": tk._("Paid, not delivered"),
        "fulfilled": tk._("Paid"),
        "failed": tk._("Failed"),
        "refunded": tk._("Refunded"),
        "disputed": tk._("Disputed"),
    }
    return labels.get(state, state)


def pricing_buyer_organizations() -> list[dict[str, Any]]:
    """Organisations the logged-in user may buy for (editor or admin)."""
    if not tk.current_user or not tk.current_user.is_authenticated:
        return []
    return tk.get_action("organization_list_for_user")(
        {"user": tk.current_user.name}, {"permission": "create_dataset"}
    )


def pricing_revenue_bars(months: list[dict[str, Any]], height: int = 120) -> list[dict[str, Any]]:
    """Bars of the monthly revenue chart, one currency at a time, scaled to ``height``."""
    if not months:
        return []
    top = max(m["amount"] for m in months) or 1
    return [
        dict(
            m,
            height=max(2, round(height * m["amount"] / top)),
            label=pricing_format_amount(m["amount"], m["currency"]),
        )
        for m in months
    ]
