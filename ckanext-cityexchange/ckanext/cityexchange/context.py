"""The site-user context, for reads and writes the caller's rights do not govern, and the
end of an action's transaction."""

from __future__ import annotations

import ckan.plugins.toolkit as tk
from ckan import model
from ckan.types import Context


def site_context() -> Context:
    """A context acting as the site user (``ignore_auth``), without the dataset cache."""
    site_user = tk.get_action("get_site_user")({"ignore_auth": True}, {})["name"]
    return {"user": site_user, "ignore_auth": True, "use_cache": False}


def commit(context: Context) -> None:
    """End an action's work: commit, or with ``defer_commit`` only flush (the caller's
    transaction decides, and the returned dicts already carry their database-made ids)."""
    if context.get("defer_commit"):
        model.Session.flush()
    else:
        model.repo.commit()
