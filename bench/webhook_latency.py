#!/usr/bin/env python3
"""How fast the Stripe webhook answers: first deliveries (each grants an entitlement),
duplicate deliveries, and, as a yardstick on the same portal and data, stock CKAN's
``package_show`` of the same dataset.

    var/venv/bin/python bench/webhook_latency.py var/bench.ini [--orders 300]

Uses the bench databases (``make bench`` creates them) and the local stripe-mock for the
checkouts; adds its own seller, dataset and buyers next to whatever is there. Prints
median and 95th-percentile latency in milliseconds and events per second. Nothing is
asserted: the figures go in the issue notes.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
import uuid
from collections.abc import Callable
from typing import Any

import stripe
from ckan.cli import load_config
from ckan.config.middleware import make_app
from werkzeug.test import Client


def _latencies(fn: Callable[[int], Any], count: int) -> list[float]:
    out = []
    for i in range(count):
        start = time.perf_counter()
        fn(i)
        out.append((time.perf_counter() - start) * 1000)
    return out


def _summary(name: str, ms: list[float]) -> float:
    p50 = statistics.median(ms)
    p95 = sorted(ms)[int(len(ms) * 0.95) - 1]
    print(f"{name:<36} p50 {p50:6.1f} ms   p95 {p95:6.1f} ms   {1000 * len(ms) / sum(ms):6.0f}/s")
    return p50


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("ini")
    parser.add_argument("--orders", type=int, default=300)
    args = parser.parse_args()

    client = Client(make_app(load_config(args.ini)))
    import ckan.plugins.toolkit as tk
    from ckan.tests import helpers

    from ckanext.pricing.model import Order

    run = uuid.uuid4().hex[:8]
    site = {"user": helpers.call_action("get_site_user", context={"ignore_auth": True})["name"]}
    org = helpers.call_action("organization_create", context=site, name=f"hook-seller-{run}")
    dataset = helpers.call_action(
        "package_create",
        context=site,
        name=f"hook-{run}",
        title="Webhook bench",
        owner_org=org["id"],
        access_tier="priced",
        resources=[{"name": "full", "url": "https://seller.example/full.csv", "access": "locked"}],
        offers=[
            {
                "id": "standard",
                "kind": "one_off",
                "amount": 125000,
                "currency": "DKK",
                "vat_included": True,
                "licence": "internal-use",
            }
        ],
    )
    print(f"creating {args.orders} orders through checkout (stripe-mock) ...", flush=True)
    orders = []
    for i in range(args.orders):
        buyer = helpers.call_action(
            "user_create",
            context=site,
            name=f"hook-{run}-{i}",
            email=f"b{i}@bench.invalid",
            password="bench-password-1",
        )
        result = helpers.call_action(
            "pricing_checkout_create",
            context={"user": buyer["name"]},
            package_id=dataset["id"],
            offer_id="standard",
        )
        orders.append(Order.get(result["order_id"]))
    secret = tk.config["ckanext.pricing.stripe.webhook_secret"]
    bodies = []
    for order in orders:
        body = json.dumps(
            {
                "id": f"evt_{uuid.uuid4().hex}",
                "type": "checkout.session.completed",
                "data": {
                    "object": {
                        "id": order.stripe_session_id,
                        "metadata": {"order_id": order.id},
                        "amount_subtotal": order.charged,
                        "amount_total": order.charged,
                        "currency": "dkk",
                        "payment_status": "paid",
                        "payment_intent": f"pi_{order.id[:12]}",
                    }
                },
            }
        )
        bodies.append((body, stripe.WebhookSignature.generate_signature_header(body, secret)))

    def deliver(i: int) -> None:
        body, sig = bodies[i]
        response = client.post(
            "/pricing/stripe/webhook", data=body, headers={"Stripe-Signature": sig}
        )
        assert response.status_code == 200, response.get_data(as_text=True)

    def show(_: int) -> None:
        assert client.get(f"/api/3/action/package_show?id={dataset['id']}").status_code == 200

    show(0)
    first = _summary("webhook, first delivery (grant)", _latencies(deliver, len(bodies)))
    _summary("webhook, duplicate delivery", _latencies(deliver, len(bodies)))
    base = _summary("package_show (stock CKAN yardstick)", _latencies(show, len(bodies)))
    print(f"ratio first delivery / package_show (p50): {first / base:.2f}")


if __name__ == "__main__":
    main()
