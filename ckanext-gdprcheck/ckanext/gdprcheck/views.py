"""Pages of the gdprcheck plugin. Views only call actions and render.

- ``/dataset/<id>/gdprcheck/release``: a sysadmin releases a hold, with a reason.
"""

from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk
from flask import Blueprint, request

gdprcheck = Blueprint("gdprcheck", __name__)


@gdprcheck.route("/dataset/<id>/gdprcheck/release", methods=["POST"])
def release(id: str) -> Any:
    user = tk.current_user.name if tk.current_user.is_authenticated else ""
    try:
        tk.get_action("gdprcheck_hold_release")(
            {"user": user},
            {"id": request.form.get("hold_id", ""), "reason": request.form.get("reason", "")},
        )
        tk.h.flash_success(tk._("The hold is released: the file is available again."))
    except tk.NotAuthorized:
        return tk.abort(403, tk._("Only sysadmins can release a hold with a reason"))
    except tk.ObjectNotFound:
        return tk.abort(404, tk._("Hold not found"))
    except tk.ValidationError as error:
        for messages in error.error_dict.values():
            for message in messages if isinstance(messages, list) else [messages]:
                tk.h.flash_error(message)
    return tk.redirect_to("dataset.read", id=id)
