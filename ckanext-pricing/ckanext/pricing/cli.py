"""``ckan pricing ...``: commands for the portal operator. They only call actions."""

from __future__ import annotations

import json
import time
import uuid

import ckan.plugins.toolkit as tk
import click
import requests
import stripe

from ckanext.pricing.logic.util import site_context as _site_context

__all__ = ["pricing"]


@click.group(short_help="Priced data: orders and payments")
def pricing() -> None:
    """Commands of the pricing plugin."""


@pricing.command()
@click.option(
    "--since-hours",
    default=72,
    show_default=True,
    type=click.IntRange(min=1),
    help="Look at pending orders created this many hours back.",
)
@click.option("--order", "order_id", default=None, help="Reconcile only this order.")
def reconcile(since_hours: int, order_id: str | None) -> None:
    """Fulfil paid orders whose payment webhook never arrived.

    Asks Stripe about each pending order's checkout and applies a completed payment
    exactly as the webhook would. Running it again changes nothing.
    """
    context = _site_context()
    if order_id:
        pending = [{"id": order_id}]
    else:
        pending = tk.get_action("pricing_order_list")(
            dict(context),
            {"all": True, "state": "pending", "since_hours": since_hours, "limit": 1000},
        )
    counts = {"fulfilled": 0, "unchanged": 0, "errors": 0}
    lines = []
    with click.progressbar(
        pending,
        label=f"Reconciling {len(pending)} pending orders",
        show_pos=True,
        file=click.get_text_stream("stderr"),
    ) as bar:
        for item in bar:
            try:
                result = tk.get_action("pricing_order_reconcile")(dict(context), {"id": item["id"]})
            except (tk.ObjectNotFound, tk.ValidationError) as error:
                counts["errors"] += 1
                lines.append(f"{item['id']}: {error}")
                continue
            if result["outcome"].startswith(("error", "rejected")):
                counts["errors"] += 1
            elif "->fulfilled" in result["outcome"]:
                counts["fulfilled"] += 1
            else:
                counts["unchanged"] += 1
            lines.append(f"{result['order_id']}: {result['state']} ({result['outcome']})")
    for line in lines:
        click.echo(line)
    click.secho(
        f"{counts['fulfilled']} fulfilled, {counts['unchanged']} unchanged, "
        f"{counts['errors']} errors",
        fg="red" if counts["errors"] else "green",
    )
    if counts["errors"]:
        raise SystemExit(1)


@pricing.command()
@click.option(
    "--expire",
    is_flag=True,
    help="Mark those parked longer than ckanext.pricing.parked_event_days expired.",
)
def parked(expire: bool) -> None:
    """List payment events parked because no order was known for them."""
    result = tk.get_action("pricing_parked_list")(_site_context(), {"expire": expire})
    for event in result["parked"]:
        click.echo(
            f"{event['received'][:19]}  {event['age_days']:>4} d  {event['type']:<32} "
            f"{event['id']}  {' '.join(event['refs'])}"
        )
    click.echo(
        f"{len(result['parked'])} parked" + (f", {result['expired']} expired" if expire else "")
    )


@pricing.command("scrub-activities")
@click.option("--dataset", "package_id", default=None, help="Only this dataset (id or name).")
def scrub_activities(package_id: str | None) -> None:
    """Redact locked URLs from activities stored before they were kept out.

    New activities never hold a locked resource's URL; this rewrites the older ones of
    every priced or on-request dataset (core's activity table keeps its shape, only the
    stored data is redacted). Safe to run again: it then rewrites nothing.
    """
    data = {"package_id": package_id} if package_id else {}
    try:
        result = tk.get_action("pricing_activity_scrub")(_site_context(), data)
    except tk.ValidationError as error:
        raise click.ClickException(str(error.error_summary)) from None
    click.echo(
        f"{result['activities']} stored activities redacted in {result['datasets']} datasets"
    )


@pricing.command("test-webhook")
@click.argument("order_id")
@click.option(
    "--event",
    "kind",
    type=click.Choice(["completed", "refunded"]),
    default="completed",
    show_default=True,
    help="Which payment event to send.",
)
@click.option("--url", default=None, help="Webhook address (default: this portal's).")
def test_webhook(order_id: str, kind: str, url: str | None) -> None:
    """Send a signed test event for an order to the webhook, as Stripe would.

    For development and for checking a deployment's webhook set-up with Stripe test
    keys: it pays (or refunds) a pending order without a real card. Refused with live keys.
    """
    if str(tk.config.get("ckanext.pricing.stripe.secret_key") or "").startswith("sk_live"):
        raise click.ClickException("test-webhook is for test mode only: the portal uses a live key")
    secret = tk.config.get("ckanext.pricing.stripe.webhook_secret")
    if not secret:
        raise click.ClickException("ckanext.pricing.stripe.webhook_secret is not set")
    try:
        order = tk.get_action("pricing_order_show")(_site_context(), {"id": order_id})
    except tk.ObjectNotFound:
        raise click.ClickException(f"no order {order_id}") from None
    intent = f"pi_test_{order['id'][:8]}"
    if kind == "completed":
        obj = {
            "object": "checkout.session",
            "client_reference_id": order["id"],
            "metadata": {"order_id": order["id"]},
            "amount_subtotal": order["charged"],
            "amount_total": order["charged"],
            "currency": order["currency"].lower(),
            "status": "complete",
            "payment_status": "paid",
            "payment_intent": intent,
        }
        event_type = "checkout.session.completed"
    else:
        obj = {
            "object": "charge",
            "payment_intent": intent,
            "metadata": {"order_id": order["id"]},
            "amount_refunded": order["charged"],
            "currency": order["currency"].lower(),
        }
        event_type = "charge.refunded"
    body = json.dumps(
        {
            "id": f"evt_test_{uuid.uuid4().hex[:20]}",
            "object": "event",
            "type": event_type,
            "created": int(time.time()),
            "data": {"object": obj},
        }
    )
    header = stripe.WebhookSignature.generate_signature_header(body, secret)
    target = url or tk.config.get("ckan.site_url").rstrip("/") + "/pricing/stripe/webhook"
    response = requests.post(
        target,
        data=body.encode(),
        timeout=30,
        headers={"Stripe-Signature": header, "Content-Type": "application/json"},
    )
    click.echo(f"{response.status_code} {response.text.strip()}")
    if response.status_code != 200:
        raise SystemExit(1)
