"""Stripe events for tests, signed locally with the configured secret by the stripe
library's own signer, exactly as Stripe signs the events it delivers."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import ckan.plugins.toolkit as tk
import stripe


def signed(
    event: dict[str, Any], *, secret: str | None = None, timestamp: int | None = None
) -> tuple[bytes, dict[str, str]]:
    """The body and headers of a webhook delivery."""
    body = json.dumps(event)
    header = stripe.WebhookSignature.generate_signature_header(
        body,
        secret or tk.config["ckanext.pricing.stripe.webhook_secret"],
        timestamp=timestamp or int(time.time()),
    )
    return body.encode(), {"Stripe-Signature": header, "Content-Type": "application/json"}


def event(type_: str, obj: dict[str, Any], event_id: str | None = None) -> dict[str, Any]:
    return {
        "id": event_id or f"evt_{uuid.uuid4().hex[:24]}",
        "object": "event",
        "type": type_,
        "api_version": stripe.api_version,
        "created": int(time.time()),
        "livemode": False,
        "data": {"object": obj},
    }


def completed(
    order: Any,
    *,
    amount: int | None = None,
    currency: str | None = None,
    payment_status: str = "paid",
    **extra: Any,
) -> dict[str, Any]:
    """checkout.session.completed for an order (a pricing Order row)."""
    subscription = order.offer.get("kind") == "subscription"
    return event(
        "checkout.session.completed",
        dict(
            {
                "id": order.stripe_session_id,
                "object": "checkout.session",
                "mode": "subscription" if subscription else "payment",
                "client_reference_id": order.id,
                "metadata": {"order_id": order.id},
                "amount_subtotal": order.charged if amount is None else amount,
                "amount_total": order.charged if amount is None else amount,
                "currency": (currency or order.currency).lower(),
                "status": "complete",
                "payment_status": payment_status,
                # A one-off payment's intent; a subscription's first invoice (its charge and
                # payment intent come with that invoice's own invoice.paid, not here).
                "payment_intent": None if subscription else f"pi_{order.id[:8]}",
                "subscription": f"sub_{order.id[:8]}" if subscription else None,
                "invoice": f"in_first_{order.id[:8]}"
                if subscription
                else f"in_receipt_{order.id[:8]}",
                "total_details": {"amount_tax": 0, "amount_discount": 0},
            },
            **extra,
        ),
    )


def refunded(
    order: Any,
    *,
    amount: int | None = None,
    charge: str | None = None,
    payment_intent: str | None = None,
) -> dict[str, Any]:
    """charge.refunded as Stripe sends it: the charge, with its cumulative refunded
    amount; a subscription's charge carries no order metadata."""
    refunded_amount = order.charged if amount is None else amount
    return event(
        "charge.refunded",
        {
            "id": charge or f"ch_{order.id[:8]}",
            "object": "charge",
            "payment_intent": payment_intent or f"pi_{order.id[:8]}",
            "amount": order.charged,
            "amount_refunded": refunded_amount,
            "currency": order.currency.lower(),
            "refunded": refunded_amount >= order.charged,
            "metadata": {},
        },
    )


def disputed(
    order: Any,
    reason: str = "fraudulent",
    *,
    dispute: str | None = None,
    payment_intent: str | None = None,
) -> dict[str, Any]:
    return event(
        "charge.dispute.created",
        {
            "id": dispute or f"dp_{order.id[:8]}",
            "object": "dispute",
            "charge": f"ch_{order.id[:8]}",
            "payment_intent": payment_intent or f"pi_{order.id[:8]}",
            "reason": reason,
            "status": "needs_response",
            "amount": order.charged,
            "currency": order.currency.lower(),
        },
    )


def dispute_closed(
    order: Any, status: str, *, dispute: str | None = None, payment_intent: str | None = None
) -> dict[str, Any]:
    return event(
        "charge.dispute.closed",
        {
            "id": dispute or f"dp_{order.id[:8]}",
            "object": "dispute",
            "charge": f"ch_{order.id[:8]}",
            "payment_intent": payment_intent or f"pi_{order.id[:8]}",
            "reason": "fraudulent",
            "status": status,
            "amount": order.charged,
            "currency": order.currency.lower(),
        },
    )


def invoice_paid(
    order: Any,
    period_end: int,
    *,
    billing_reason: str = "subscription_cycle",
    invoice: str | None = None,
    payment_intent: str | None = None,
    amount: int | None = None,
) -> dict[str, Any]:
    """A subscription invoice paid: the first period (``subscription_create``) or a
    renewal (``subscription_cycle``), with its own payment intent and charge."""
    invoice = invoice or f"in_{uuid.uuid4().hex[:12]}"
    paid = order.charged if amount is None else amount
    return event(
        "invoice.paid",
        {
            "id": invoice,
            "object": "invoice",
            "subscription": f"sub_{order.id[:8]}",
            "billing_reason": billing_reason,
            "subtotal": paid,
            "amount_paid": paid,
            "currency": order.currency.lower(),
            "payment_intent": payment_intent or f"pi_{invoice[3:]}",
            "charge": f"ch_{invoice[3:]}",
            "lines": {"data": [{"period": {"start": period_end - 86400 * 30, "end": period_end}}]},
            "parent": {"subscription_details": {"metadata": {"order_id": order.id}}},
        },
    )


def receipt_invoice_paid(order: Any) -> dict[str, Any]:
    """The invoice Checkout makes for a one-off payment when invoice creation is on: it
    carries the order id and the same payment intent, and is no renewal."""
    return event(
        "invoice.paid",
        {
            "id": f"in_receipt_{order.id[:8]}",
            "object": "invoice",
            "billing_reason": "manual",
            "subscription": None,
            "subtotal": order.charged,
            "amount_paid": order.charged,
            "currency": order.currency.lower(),
            "payment_intent": f"pi_{order.id[:8]}",
            "metadata": {"order_id": order.id},
            "period_end": int(time.time()),
        },
    )


def subscription_deleted(order: Any, period_end: int) -> dict[str, Any]:
    return event(
        "customer.subscription.deleted",
        {
            "id": f"sub_{order.id[:8]}",
            "object": "subscription",
            "status": "canceled",
            "metadata": {"order_id": order.id},
            "items": {"data": [{"current_period_end": period_end}]},
        },
    )
