"""Input schemas of the deal-room actions."""

from __future__ import annotations

import ckan.plugins.toolkit as tk
from ckan.types import Schema, Validator, ValidatorFactory

from ckanext.cityexchange.guard import boolean, text, whole_number


@tk.validator_args
def create(
    not_empty: Validator,
    ignore_missing: Validator,
    unicode_safe: Validator,
    package_id_or_name_exists: Validator,
    one_of: ValidatorFactory,
    default: ValidatorFactory,
    list_of_strings: Validator,
    group_id_or_name_exists: Validator,
) -> Schema:
    return {
        "package_id": [not_empty, unicode_safe, package_id_or_name_exists],
        "use_case": [text, not_empty, unicode_safe],
        "intended_use": [ignore_missing, unicode_safe],
        "buyer_org": [ignore_missing, unicode_safe, group_id_or_name_exists],
        "resource_ids": [ignore_missing, list_of_strings],
        "period_months": [ignore_missing, whole_number()],
        "deal_type": [default("sale"), one_of(["sale", "donation"])],
    }


@tk.validator_args
def room(not_empty: Validator, unicode_safe: Validator, ignore_missing: Validator) -> Schema:
    return {"id": [not_empty, unicode_safe], "reason": [ignore_missing, unicode_safe]}


@tk.validator_args
def room_with_reason(not_empty: Validator, unicode_safe: Validator) -> Schema:
    return {"id": [not_empty, unicode_safe], "reason": [text, not_empty, unicode_safe]}


@tk.validator_args
def message(not_empty: Validator, unicode_safe: Validator, ignore_missing: Validator) -> Schema:
    return {
        "id": [not_empty, unicode_safe],
        "body": [text, not_empty, unicode_safe],
        "upload": [ignore_missing],
    }


@tk.validator_args
def offer(
    not_empty: Validator,
    unicode_safe: Validator,
    ignore_missing: Validator,
    list_of_strings: Validator,
    default: ValidatorFactory,
) -> Schema:
    return {
        "id": [not_empty, unicode_safe],
        "amount": [ignore_missing],
        "price": [ignore_missing],
        "currency": [ignore_missing, unicode_safe],
        "period_months": [ignore_missing, whole_number()],
        "resource_ids": [ignore_missing, list_of_strings],
        "licence": [not_empty, unicode_safe],
        "clauses": [ignore_missing, unicode_safe],
        "dpa_required": [default(False), boolean],
    }


@tk.validator_args
def offer_accept(not_empty: Validator, unicode_safe: Validator) -> Schema:
    return {"id": [not_empty, unicode_safe], "offer_id": [not_empty, unicode_safe]}


@tk.validator_args
def story(not_empty: Validator, unicode_safe: Validator) -> Schema:
    return {"id": [not_empty, unicode_safe], "consent": [not_empty, boolean]}


@tk.validator_args
def attachment(not_empty: Validator, unicode_safe: Validator) -> Schema:
    return {"id": [not_empty, unicode_safe], "attachment_id": [not_empty, unicode_safe]}


@tk.validator_args
def dataset_close(
    not_empty: Validator, unicode_safe: Validator, package_id_or_name_exists: Validator
) -> Schema:
    return {
        "package_id": [not_empty, unicode_safe, package_id_or_name_exists],
        "closed": [not_empty, boolean],
    }


@tk.validator_args
def room_list(ignore_missing: Validator, one_of: ValidatorFactory) -> Schema:
    return {"role": [ignore_missing, one_of(["buyer", "seller"])]}
