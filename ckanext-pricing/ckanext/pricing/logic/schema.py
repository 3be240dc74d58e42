"""Input schemas of the pricing actions."""

from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk
from ckan.types import Schema, Validator, ValidatorFactory

from ckanext.cityexchange.guard import boolean, identifier, text, whole_number


@tk.validator_args
def entitlement_grant(
    not_empty: Validator,
    ignore_missing: Validator,
    unicode_safe: Validator,
    one_of: ValidatorFactory,
    isodate: Validator,
    default: ValidatorFactory,
    package_id_or_name_exists: Validator,
    list_of_strings: Validator,
) -> Schema:
    return {
        "package_id": [not_empty, unicode_safe, package_id_or_name_exists],
        "holder_type": [default("user"), one_of(["user", "organization"])],
        "holder": [not_empty, unicode_safe],
        "resource_ids": [ignore_missing, list_of_strings],
        "valid_from": [ignore_missing, isodate],
        "valid_until": [ignore_missing, isodate],
        "valid_months": [ignore_missing, whole_number(1, 1200)],
        "source": [default("grant"), one_of(["grant", "order", "deal"])],
        "source_ref": [ignore_missing, unicode_safe],
    }


@tk.validator_args
def entitlement_revoke(not_empty: Validator, unicode_safe: Validator) -> Schema:
    return {"id": [not_empty, unicode_safe], "reason": [not_empty, unicode_safe]}


@tk.validator_args
def entitlement_list(
    ignore_missing: Validator,
    unicode_safe: Validator,
    package_id_or_name_exists: Validator,
    one_of: ValidatorFactory,
    isodate: Validator,
) -> Schema:
    return {
        "package_id": [ignore_missing, unicode_safe, package_id_or_name_exists],
        "include_inactive": [ignore_missing, boolean],
        "source": [ignore_missing, one_of(["grant", "order", "deal"])],
        "source_ref": [ignore_missing, identifier],
        "ended_before": [ignore_missing, isodate],
        "all_holders": [ignore_missing, boolean],
    }


@tk.validator_args
def entitlement_check(
    ignore_missing: Validator,
    not_empty: Validator,
    unicode_safe: Validator,
    resource_id_exists: Validator,
) -> Schema:
    return {
        "resource_id": [not_empty, unicode_safe, resource_id_exists],
        "user": [ignore_missing, unicode_safe],
    }


@tk.validator_args
def block(
    not_empty: Validator,
    unicode_safe: Validator,
    package_id_or_name_exists: Validator,
    group_id_or_name_exists: Validator,
) -> Schema:
    return {
        "package_id": [not_empty, unicode_safe, package_id_or_name_exists],
        "organization": [not_empty, unicode_safe, group_id_or_name_exists],
    }


@tk.validator_args
def activity_scrub(
    ignore_missing: Validator, unicode_safe: Validator, package_id_or_name_exists: Validator
) -> Schema:
    return {"package_id": [ignore_missing, unicode_safe, package_id_or_name_exists]}


@tk.validator_args
def package_only(
    not_empty: Validator,
    unicode_safe: Validator,
    package_id_or_name_exists: Validator,
    ignore_missing: Validator,
    limit_to_configured_maximum: Any,
) -> Schema:
    return {
        "package_id": [not_empty, unicode_safe, package_id_or_name_exists],
        "limit": [
            ignore_missing,
            whole_number(0),
            limit_to_configured_maximum("ckan.search.rows_max", 1000),
        ],
        "offset": [ignore_missing, whole_number(0)],
    }


@tk.validator_args
def checkout_create(
    not_empty: Validator,
    unicode_safe: Validator,
    package_id_or_name_exists: Validator,
    default: ValidatorFactory,
    one_of: ValidatorFactory,
    ignore_missing: Validator,
) -> Schema:
    return {
        "package_id": [not_empty, unicode_safe, package_id_or_name_exists],
        "offer_id": [not_empty, unicode_safe],
        "holder_type": [default("user"), one_of(["user", "organization"])],
        "holder": [ignore_missing, unicode_safe],
        "source": [default("offer"), one_of(["offer", "deal"])],
        "source_ref": [ignore_missing, unicode_safe],
        "terms": [ignore_missing],
    }


@tk.validator_args
def order_show(not_empty: Validator, unicode_safe: Validator) -> Schema:
    return {"id": [not_empty, unicode_safe]}


@tk.validator_args
def order_list(
    ignore_missing: Validator,
    unicode_safe: Validator,
    one_of: ValidatorFactory,
    limit_to_configured_maximum: Any,
) -> Schema:
    return {
        "all": [ignore_missing, boolean],
        "state": [
            ignore_missing,
            one_of(["pending", "paid", "fulfilled", "failed", "refunded", "disputed"]),
        ],
        "since_hours": [ignore_missing, whole_number(0)],
        "limit": [
            ignore_missing,
            whole_number(0),
            limit_to_configured_maximum("ckan.search.rows_max", 1000),
        ],
        "offset": [ignore_missing, whole_number(0)],
    }


@tk.validator_args
def sales_list(
    not_empty: Validator,
    unicode_safe: Validator,
    group_id_or_name_exists: Validator,
    ignore_missing: Validator,
    limit_to_configured_maximum: Any,
) -> Schema:
    return {
        "organization_id": [not_empty, unicode_safe, group_id_or_name_exists],
        "limit": [
            ignore_missing,
            whole_number(0),
            limit_to_configured_maximum("ckan.search.rows_max", 1000),
        ],
        "offset": [ignore_missing, whole_number(0)],
    }


@tk.validator_args
def organization_only(
    not_empty: Validator,
    unicode_safe: Validator,
    group_id_or_name_exists: Validator,
    ignore_missing: Validator,
) -> Schema:
    return {
        "organization_id": [not_empty, unicode_safe, group_id_or_name_exists],
        "refresh": [ignore_missing, boolean],
    }


@tk.validator_args
def stripe_event_apply(not_empty: Validator, ignore_missing: Validator) -> Schema:
    return {"event": [not_empty], "replayable": [ignore_missing, boolean]}


@tk.validator_args
def checkout_expire(
    ignore_missing: Validator, unicode_safe: Validator, not_empty: Validator
) -> Schema:
    return {
        "package_id": [ignore_missing, identifier],
        "source_ref": [ignore_missing, identifier],
        "reason": [not_empty, text],
    }


@tk.validator_args
def price_quote(not_empty: Validator, ignore_missing: Validator) -> Schema:
    return {
        "amount": [not_empty, whole_number(0, 10**12)],
        "currency": [ignore_missing, identifier],
        "vat_included": [ignore_missing, boolean],
    }


@tk.validator_args
def parked_list(ignore_missing: Validator) -> Schema:
    return {"expire": [ignore_missing, boolean]}


@tk.validator_args
def entitlement_extend(
    not_empty: Validator,
    ignore_missing: Validator,
    unicode_safe: Validator,
    isodate: Validator,
    package_id_or_name_exists: Validator,
    list_of_strings: Validator,
) -> Schema:
    return {
        "package_id": [not_empty, unicode_safe, package_id_or_name_exists],
        "held_from": [not_empty, isodate],
        "held_until": [ignore_missing, isodate],
        "resource_ids": [ignore_missing, list_of_strings],
    }


@tk.validator_args
def buyer_check(
    not_empty: Validator,
    unicode_safe: Validator,
    ignore_missing: Validator,
    package_id_or_name_exists: Validator,
) -> Schema:
    return {
        "package_id": [not_empty, unicode_safe, package_id_or_name_exists],
        "organization": [ignore_missing, identifier],
    }


@tk.validator_args
def terms_check(
    ignore_missing: Validator,
    unicode_safe: Validator,
    package_id_or_name_exists: Validator,
    list_of_strings: Validator,
) -> Schema:
    return {
        "package_id": [ignore_missing, unicode_safe, package_id_or_name_exists],
        "currency": [ignore_missing, unicode_safe],
        "licence": [ignore_missing, unicode_safe],
        "period_months": [ignore_missing],  # offers.check_period: whole months, 1 to 120
        "resource_ids": [ignore_missing, list_of_strings],
        "price": [ignore_missing],  # offers.parse_price: major units as people type them
    }
