"""``ckan pricing ...``: commands for the portal operator. They only call actions."""
from __future__ import annotations

from typing import Any, Optional

import click

import ckan.plugins.toolkit as tk

__all__ = ["pricing"]


def _site_context() -> dict[str, Any]:
    site_user = tk.get_action("get_site_user")({"ignore_auth": True}, {})
    return {"user": site_user["name"]}


@click.group(short_help="Priced data: orders and payments")
def pricing() -> None:
    """Commands of the pricing plugin."""


@pricing.command()
@click.option("--since-hours", default=72, show_default=True, type=click.IntRange(min=1),
              help="Look at pending orders created this many hours back.")
@click.option("--order", "order_id", default=None, help="Reconcile only this order.")
def reconcile(since_hours: int, order_id: Optional[str]) -> None:
    """Fulfil paid orders whose payment webhook never arrived.

    Asks Stripe about each pending order's checkout and applies a completed payment
    exactly as the webhook would. Running it again changes nothing.
    """
    context = _site_context()
    if order_id:
        pending = [{"id": order_id}]
    else:
        pending = tk.get_action("pricing_order_list")(
            dict(context), {"all": True, "state": "pending", "since_hours": since_hours, "limit": 1000})
    counts = {"fulfilled": 0, "unchanged": 0, "errors": 0}
    lines = []
    with click.progressbar(pending, label=f"Reconciling {len(pending)} pending orders",
                           show_pos=True, file=click.get_text_stream("stderr")) as bar:
        for item in bar:
            try:
                result = tk.get_action("pricing_order_reconcile")(dict(context), {"id": item["id"]})
            except (tk.ObjectNotFound, tk.ValidationError) as error:
                counts["errors"] += 1
                lines.append(f"{item['id']}: {error}")
                continue
            if result["outcome"].startswith("error"):
                counts["errors"] += 1
            elif result["state"] != "pending":
                counts["fulfilled"] += 1
            else:
                counts["unchanged"] += 1
            lines.append(f"{result['order_id']}: {result['state']} ({result['outcome']})")
    for line in lines:
        click.echo(line)
    click.secho(f"{counts['fulfilled']} fulfilled, {counts['unchanged']} still pending, "
                f"{counts['errors']} errors", fg="red" if counts["errors"] else "green")
    if counts["errors"]:
        raise SystemExit(1)
