"""Helpers the pricing action modules share."""

from __future__ import annotations

import datetime as dt
from typing import Any

import ckan.plugins.toolkit as tk
from ckan import model
from ckan.types import Context

from ckanext.pricing.logic.util import site_context as _site_context


def _dataset(package_id: str) -> dict[str, Any]:
    return tk.get_action("package_show")(_site_context(), {"id": package_id})


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _user(context: Context) -> model.User | None:
    name = context.get("user")
    return model.User.get(name) if name else None


def _url(endpoint: str, **kwargs: Any) -> str:
    return tk.config.get("ckan.site_url").rstrip("/") + tk.url_for(endpoint, **kwargs)
