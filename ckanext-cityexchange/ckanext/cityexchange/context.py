"""The site-user context, for reads and writes the caller's rights do not govern."""

from __future__ import annotations

import ckan.plugins.toolkit as tk
from ckan.types import Context


def site_context() -> Context:
    """A context acting as the site user (``ignore_auth``), without the dataset cache."""
    site_user = tk.get_action("get_site_user")({"ignore_auth": True}, {})["name"]
    return {"user": site_user, "ignore_auth": True, "use_cache": False}
