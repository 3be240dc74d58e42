"""Sellers' payouts: Stripe Connect onboarding and account status."""

from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk
from ckan import model
from ckan.types import Context, DataDict

from ckanext.cityexchange.context import commit
from ckanext.pricing import payments
from ckanext.pricing.logic import schema
from ckanext.pricing.logic.action._common import _now, _url, _user
from ckanext.pricing.logic.action.order import _org_id
from ckanext.pricing.logic.util import validate as _validate
from ckanext.pricing.model import SellerAccount

__all__ = ["pricing_connect_onboard", "pricing_connect_status"]


def _account_dict(org_id: str, account: SellerAccount | None) -> dict[str, Any]:
    return {
        "organization_id": org_id,
        "connected": account is not None,
        "charges_enabled": bool(account and account.charges_enabled),
        "payouts_enabled": bool(account and account.payouts_enabled),
        "connect": bool(tk.config.get("ckanext.pricing.stripe.connect")),
    }


def pricing_connect_onboard(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """A link where the seller organisation's admin sets up (or finishes setting up) the
    account its sales are paid out to. The first call creates the account at Stripe.
    Only when seller payouts through Stripe Connect (``ckanext.pricing.stripe.connect``)
    are enabled on the portal.

    :param organization_id: the seller organisation (id or name)
    :type organization_id: string
    :returns: ``url``, the link to Stripe's onboarding, with the account's status as
        ``pricing_connect_status`` returns it
    :rtype: dictionary
    """
    # Validated before the access check: the organisation it names, by name or id, decides who may act.
    data = _validate(data_dict, schema.organization_only(), context)
    org_id = _org_id(data["organization_id"])
    tk.check_access("pricing_connect_onboard", context, {"organization_id": org_id})
    if not tk.config.get("ckanext.pricing.stripe.connect"):
        raise tk.ValidationError(
            {
                "organization_id": [
                    tk._("Seller payouts through Stripe Connect are not enabled on this portal")
                ]
            }
        )
    account = model.Session.get(SellerAccount, org_id)
    try:
        if account is None:
            user = _user(context)
            stripe_account = payments.create_account(
                tk.config.get("ckanext.pricing.stripe.connect_country"),
                user.email if user else None,
                org_id,
            )
            account = SellerAccount(
                organization_id=org_id,
                stripe_account=stripe_account,
                charges_enabled=False,
                payouts_enabled=False,
            )
            model.Session.add(account)
            commit(context)
        org = model.Group.get(org_id)
        back = _url("pricing.sales", id=org.name)
        url = payments.account_link(account.stripe_account, back, back)
    except payments.PaymentsError as error:
        raise tk.ValidationError({"payment": [str(error)]}) from None
    return dict(_account_dict(org_id, account), url=url)


def pricing_connect_status(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Whether the seller organisation can be paid. ``refresh`` asks Stripe again. For the
    seller organisation's editors.

    :param organization_id: the seller organisation (id or name)
    :type organization_id: string
    :param refresh: ask Stripe for the account's current state, and keep it (optional;
        default false)
    :type refresh: boolean
    :returns: ``organization_id``, ``connected`` (the organisation has a payout account),
        ``charges_enabled``, ``payouts_enabled`` and ``connect`` (seller payouts through
        Stripe Connect are enabled on the portal)
    :rtype: dictionary
    """
    # Validated before the access check: the organisation it names, by name or id, decides who may act.
    data = _validate(data_dict, schema.organization_only(), context)
    org_id = _org_id(data["organization_id"])
    tk.check_access("pricing_connect_status", context, {"organization_id": org_id})
    account = model.Session.get(SellerAccount, org_id)
    if account is not None and data.get("refresh"):
        try:
            remote = payments.retrieve_account(account.stripe_account)
        except payments.PaymentsError as error:
            raise tk.ValidationError({"payment": [str(error)]}) from None
        account.charges_enabled = bool(remote.get("charges_enabled"))
        account.payouts_enabled = bool(remote.get("payouts_enabled"))
        account.updated = _now()
        commit(context)
    return _account_dict(org_id, account)
