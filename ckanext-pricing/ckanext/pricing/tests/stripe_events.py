"""Stripe events for tests, signed locally with the configured secret by the stripe
library's own signer, exactly as Stripe signs the events it delivers."""
from __future__ import annotations

import json
import time
import uuid
from typing import Any, Optional

import stripe

import ckan.plugins.toolkit as tk


def signed(event: dict[str, Any], *, secret: Optional[str] = None,
           timestamp: Optional[int] = None) -> tuple[bytes, dict[str, str]]:
    """The body and headers of a webhook delivery."""
    body = json.dumps(event)
    header = stripe.WebhookSignature.generate_signature_header(
        body, secret or tk.config["ckanext.pricing.stripe.webhook_secret"],
        timestamp=timestamp or int(time.time()))
    return body.encode(), {"Stripe-Signature": header, "Content-Type": "application/json"}


def event(type_: str, obj: dict[str, Any], event_id: Optional[str] = None) -> dict[str, Any]:
    return {"id": event_id or f"evt_{uuid.uuid4().hex[:24]}", "object": "event", "type": type_,
            "api_version": stripe.api_version, "created": int(time.time()), "livemode": False,
            "data": {"object": obj}}


def completed(order: Any, *, amount: Optional[int] = None, currency: Optional[str] = None,
              payment_status: str = "paid", **extra: Any) -> dict[str, Any]:
    """checkout.session.completed for an order (a pricing Order row)."""
    subscription = order.offer.get("kind") == "subscription"
    return event("checkout.session.completed", dict({
        "id": order.stripe_session_id, "object": "checkout.session",
        "mode": "subscription" if subscription else "payment",
        "client_reference_id": order.id, "metadata": {"order_id": order.id},
        "amount_subtotal": order.charged if amount is None else amount,
        "amount_total": order.charged if amount is None else amount,
        "currency": (currency or order.currency).lower(), "status": "complete",
        "payment_status": payment_status,
        "payment_intent": None if subscription else f"pi_{order.id[:8]}",
        "subscription": f"sub_{order.id[:8]}" if subscription else None,
    }, **extra))


def refunded(order: Any) -> dict[str, Any]:
    return event("charge.refunded", {"id": f"ch_{order.id[:8]}", "object": "charge",
                                     "payment_intent": f"pi_{order.id[:8]}",
                                     "amount_refunded": order.charged, "currency": order.currency.lower(),
                                     "refunded": True, "metadata": {}})


def disputed(order: Any, reason: str = "fraudulent") -> dict[str, Any]:
    return event("charge.dispute.created", {"id": f"dp_{order.id[:8]}", "object": "dispute",
                                            "payment_intent": f"pi_{order.id[:8]}", "reason": reason})


def invoice_paid(order: Any, period_end: int) -> dict[str, Any]:
    return event("invoice.paid", {
        "id": f"in_{uuid.uuid4().hex[:12]}", "object": "invoice", "subscription": f"sub_{order.id[:8]}",
        "subtotal": order.charged, "amount_paid": order.charged, "currency": order.currency.lower(),
        "lines": {"data": [{"period": {"start": period_end - 86400 * 30, "end": period_end}}]},
        "parent": {"subscription_details": {"metadata": {"order_id": order.id}}}})


def subscription_deleted(order: Any, period_end: int) -> dict[str, Any]:
    return event("customer.subscription.deleted", {
        "id": f"sub_{order.id[:8]}", "object": "subscription", "status": "canceled",
        "metadata": {"order_id": order.id},
        "items": {"data": [{"current_period_end": period_end}]}})
