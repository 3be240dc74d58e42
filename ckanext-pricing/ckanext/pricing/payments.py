"""The one place that talks to Stripe, through the official library.

Keys come from configuration on every call (nothing is kept between requests but the
library's connection pool). Secrets never appear in a message raised from here.
"""

from __future__ import annotations

import functools
import json
import logging
import time
from typing import Any

import ckan.plugins.toolkit as tk
import stripe

log = logging.getLogger(__name__)


class PaymentsError(Exception):
    """The payment provider refused or did not answer; the message is safe to show."""


class SignatureError(ValueError):
    """A webhook whose signature, timestamp or body is not acceptable."""


def enabled() -> bool:
    return bool(tk.config.get("ckanext.pricing.stripe.secret_key"))


@functools.lru_cache(maxsize=4)
def _client_for(key: str, base: str) -> stripe.StripeClient:
    options: dict[str, Any] = {"max_network_retries": 2}
    if base:
        options["base_addresses"] = {"api": base}
    return stripe.StripeClient(key, **options)


def _client() -> stripe.StripeClient:
    key = tk.config.get("ckanext.pricing.stripe.secret_key")
    if not key:
        raise PaymentsError(tk._("Payments are not set up on this portal"))
    return _client_for(key, tk.config.get("ckanext.pricing.stripe.api_base") or "")


def _redacted(text: str) -> str:
    for key in ("ckanext.pricing.stripe.secret_key", "ckanext.pricing.stripe.webhook_secret"):
        secret = tk.config.get(key)
        if secret:
            text = text.replace(secret, "[redacted]")
    return text


def _safe(error: stripe.StripeError) -> PaymentsError:
    """A message for the buyer. The provider's own text can quote the request (even its
    Authorization header), so it goes to the log, redacted, and never to the page."""
    log.warning("pricing: Stripe error %s: %s", type(error).__name__, _redacted(str(error)))
    if isinstance(error, (stripe.APIConnectionError, stripe.RateLimitError)):
        return PaymentsError(tk._("The payment service did not answer. Try again in a moment."))
    return PaymentsError(
        tk._(
            "The payment service refused the request ({}). Try again later or contact the portal."
        ).format(getattr(error, "code", None) or type(error).__name__)
    )


def create_checkout_session(params: dict[str, Any], idempotency_key: str) -> tuple[str, str]:
    """(session id, checkout URL)."""
    try:
        session = _client().v1.checkout.sessions.create(
            # the parameters come from offers.checkout_params as a plain dict
            params=params,  # type: ignore[arg-type]
            options={"idempotency_key": idempotency_key},
        )
    except stripe.StripeError as error:
        raise _safe(error) from None
    return session.id, session.url or ""


def retrieve_checkout_session(session_id: str) -> dict[str, Any]:
    try:
        return _client().v1.checkout.sessions.retrieve(session_id).to_dict()
    except stripe.StripeError as error:
        raise _safe(error) from None


def refund(payment_intent: str | None, charge: str | None, idempotency_key: str) -> str:
    """Refund a payment in full; the refund's id."""
    params: dict[str, Any] = (
        {"payment_intent": payment_intent} if payment_intent else {"charge": charge}
    )
    try:
        made = _client().v1.refunds.create(
            params=params,  # type: ignore[arg-type]
            options={"idempotency_key": idempotency_key},
        )
    except stripe.StripeError as error:
        raise _safe(error) from None
    return made.id


def create_account(country: str, email: str | None, organization_id: str) -> str:
    params: dict[str, Any] = {
        "type": "express",
        "country": country,
        "capabilities": {"card_payments": {"requested": True}, "transfers": {"requested": True}},
        "metadata": {"organization_id": organization_id},
    }
    if email:
        params["email"] = email
    try:
        account = _client().v1.accounts.create(
            params=params,  # type: ignore[arg-type]
            options={"idempotency_key": f"cdx-account-{organization_id}"},
        )
    except stripe.StripeError as error:
        raise _safe(error) from None
    return account.id


def account_link(account: str, refresh_url: str, return_url: str) -> str:
    try:
        link = _client().v1.account_links.create(
            params={
                "account": account,
                "refresh_url": refresh_url,
                "return_url": return_url,
                "type": "account_onboarding",
            }
        )
    except stripe.StripeError as error:
        raise _safe(error) from None
    return link.url


def retrieve_account(account: str) -> dict[str, Any]:
    try:
        return _client().v1.accounts.retrieve(account).to_dict()
    except stripe.StripeError as error:
        raise _safe(error) from None


def verify_event(payload: bytes, signature: str | None) -> dict[str, Any]:
    """The event in a webhook body, once its signature and timestamp check out."""
    secret = tk.config.get("ckanext.pricing.stripe.webhook_secret")
    if not secret:
        raise SignatureError("Webhooks are not set up on this portal")
    if not signature:
        raise SignatureError("Missing Stripe-Signature header")
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError:
        raise SignatureError("The body is not UTF-8") from None
    tolerance = tk.config.get("ckanext.pricing.stripe.webhook_tolerance")
    stamps = [part[2:] for part in signature.split(",") if part.strip().startswith("t=")]
    try:
        stamp = int(stamps[0].strip()) if stamps else None
    except ValueError:
        stamp = None
    if stamp is None or abs(stamp - time.time()) > tolerance:
        # Stripe's library refuses only stamps too old; one from the future (or out of
        # any calendar) is refused too, so that a leaked signature cannot be kept for later.
        raise SignatureError("Timestamp outside the tolerance zone")
    try:
        stripe.WebhookSignature.verify_header(text, signature, secret, tolerance)
    except stripe.SignatureVerificationError as error:
        # The library's messages name the problem (no signature, stale timestamp) and
        # never the secret.
        raise SignatureError(str(error).split("\n")[0]) from None
    try:
        event = json.loads(text)
    except ValueError:
        raise SignatureError("The body is not JSON") from None
    if not isinstance(event, dict):
        raise SignatureError("The body is not a JSON object")
    return event


def expire_checkout_session(session_id: str) -> str:
    """Close an open Checkout Session so that it can no longer be paid; its status."""
    try:
        return _client().v1.checkout.sessions.expire(session_id).status or ""
    except stripe.StripeError as error:
        raise _safe(error) from None
