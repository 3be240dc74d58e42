"""Template helpers of the pricing plugin (all prefixed ``pricing_``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import ckan.plugins.toolkit as tk
import flask_babel
from babel.numbers import format_currency, get_currency_precision

from ckanext.cityexchange.interfaces import NavLink
from ckanext.pricing import access, licences, offers, payments, rules
from ckanext.pricing.indexing import facet_label

__all__ = [
    "pricing_access_state",
    "pricing_buyer_organizations",
    "pricing_form_price",
    "pricing_format_amount",
    "pricing_from_price",
    "pricing_licence",
    "pricing_offer_resource_choices",
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
    """Bars of the monthly revenue chart, one currency at a time, scaled to ``height``;
    each month ("2026-12") also as the page's language writes it (``month_label``: "dec.
    2026", "Dec 2026")."""
    if not months:
        return []
    top = max(m["amount"] for m in months) or 1
    return [
        dict(
            m,
            height=max(2, round(height * m["amount"] / top)),
            label=pricing_format_amount(m["amount"], m["currency"]),
            month_label=_month_label(m["month"]),
        )
        for m in months
    ]


def _month_label(month: str) -> str:
    try:
        first = dt.date.fromisoformat(f"{month}-01")
    except (TypeError, ValueError):
        return month
    return flask_babel.format_date(first, "MMM y")


def user_links(user_name: str) -> list[NavLink]:
    """The header's links for a logged-in user: My data, My orders and, for the editors
    of an organisation that sells data (a priced or on-request dataset), its sales."""
    endpoint = tk.request.endpoint if tk.request else None
    links: list[NavLink] = [
        {
            "url": tk.url_for("pricing.my_data"),
            "label": tk._("My data"),
            "active": endpoint == "pricing.my_data",
        },
        {
            "url": tk.url_for("pricing.orders"),
            "label": tk._("My orders"),
            "active": endpoint in ("pricing.orders", "pricing.order"),
        },
    ]
    editing = tk.get_action("organization_list_for_user")(
        {"user": user_name}, {"permission": "create_dataset"}
    )
    selling = _selling_organizations(user_name, [o["id"] for o in editing])
    if selling:
        names = {o["id"]: o["name"] for o in editing}
        links.append(
            {
                "url": tk.url_for("pricing.sales", id=names[selling[0]]),
                "label": tk._("Sales"),
                "active": endpoint == "pricing.sales",
            }
        )
    return links


def pricing_access_state(pkg: dict[str, Any]) -> dict[str, Any]:
    """Where the logged-in user stands with a priced or on-request dataset, for its price
    box: ``visitor`` (not logged in), ``publisher`` (theirs), ``access`` (an entitlement
    holds: ``until``, the latest end or None for no end), ``blocked`` (``reason``),
    ``pending`` (an order awaits its payment: ``order``) or ``buy``."""
    if not tk.current_user or not tk.current_user.is_authenticated:
        return {"state": "visitor"}
    context = {"user": tk.current_user.name}
    check = tk.get_action("pricing_buyer_check")(context, {"package_id": pkg["id"]})
    if check["publisher"]:
        return {"state": "publisher"}
    held = [
        e
        for e in tk.get_action("pricing_entitlement_list")(
            dict(context), {"include_inactive": False}
        )
        if e["package_id"] == pkg["id"]
    ]
    if held:
        ends = [e.get("valid_until") for e in held]
        return {"state": "access", "until": None if None in ends else max(ends)}
    if not check["may_buy"]:
        return {"state": "blocked", "reason": check["reason"]}
    pending = [
        o
        for o in tk.get_action("pricing_order_list")(dict(context), {"state": "pending"})
        if o["package_id"] == pkg["id"]
    ]
    if pending:
        return {"state": "pending", "order": pending[0]}
    return {"state": "buy"}


def _selling_organizations(user_name: str, organization_ids: list[str]) -> list[str]:
    """Of these organisations, those with a priced or on-request dataset (one search)."""
    if not organization_ids:
        return []
    found = tk.get_action("package_search")(
        {"user": user_name},
        {
            "fq": "owner_org:({}) -access_tier:open".format(" OR ".join(organization_ids)),
            "rows": 0,
            "include_private": True,
            "facet.field": ["owner_org"],
            "facet.limit": -1,
        },
    )
    counts = found["search_facets"].get("owner_org", {}).get("items", [])
    return sorted(item["name"] for item in counts if item["count"])


def pricing_form_price(amount: Any, currency: Any) -> str:
    """An offer's amount (minor units) as the dataset form shows it: kroner with the
    locale's decimal separator (``1250,50`` in Danish); empty when there is none."""
    if not isinstance(amount, int) or isinstance(amount, bool):
        if not (isinstance(amount, str) and amount.strip().isdigit()):
            return ""
        amount = int(amount)
    code = currency if isinstance(currency, str) and currency else None
    code = code or tk.config.get("ckanext.pricing.default_currency")
    text = offers.format_price(amount, get_currency_precision(code.upper()))
    return text.replace(".", ",") if _locale().startswith("da") else text


def pricing_offer_resource_choices(package_id: Any) -> list[dict[str, Any]]:
    """The locked files of a dataset the form edits, for an offer to cover; none for a
    dataset not created yet or one the user may not edit."""
    if not isinstance(package_id, str) or not package_id:
        return []
    try:
        pkg = tk.get_action("package_show")({"user": tk.current_user.name}, {"id": package_id})
    except (tk.ObjectNotFound, tk.NotAuthorized):
        return []
    locked = rules.locked_resources(pkg.get("access_tier") or rules.OPEN, pkg["resources"])
    return [{"id": rid, "name": name} for rid, name in locked.items()]
