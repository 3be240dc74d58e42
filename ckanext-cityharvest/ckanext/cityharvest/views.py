"""The harvest status page: every source's last run, counts and errors."""

from __future__ import annotations

import ckan.plugins.toolkit as tk
from flask import Blueprint

__all__ = ["cityharvest"]

cityharvest = Blueprint("cityharvest", __name__)


@cityharvest.route("/harvest-status")
def status() -> str:
    context = {"user": tk.current_user.name if tk.current_user.is_authenticated else ""}
    sources = tk.get_action("cityharvest_source_summary")(context, {})
    return tk.render("cityharvest/status.html", {"sources": sources})
