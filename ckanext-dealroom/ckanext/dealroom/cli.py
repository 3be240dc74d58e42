"""``ckan dealroom ...``: commands for the portal operator. They only call actions."""

from __future__ import annotations

import ckan.plugins.toolkit as tk
import click

__all__ = ["dealroom"]


@click.group(short_help="Deal rooms")
def dealroom() -> None:
    """Commands of the deal-room plugin."""


@dealroom.command()
def expire() -> None:
    """Mark active deals whose agreed period has ended as expired (run it daily)."""
    site = tk.get_action("get_site_user")({"ignore_auth": True}, {})["name"]
    result = tk.get_action("dealroom_expire_due")({"user": site}, {})
    for room_id in result["expired"]:
        click.echo(f"{room_id}: expired")
    click.secho(f"{len(result['expired'])} deals expired", fg="green")
