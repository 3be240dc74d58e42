"""Background jobs of the deal room (run by the CKAN worker on Redis)."""

from __future__ import annotations

import logging

import ckan.plugins.toolkit as tk
from ckan import model
from ckan.lib import mailer

from ckanext.dealroom.model import Room

log = logging.getLogger(__name__)


def notify_sellers(room_id: str) -> int:
    """E-mail the seller organisation's admins and editors that a buyer asked for a
    dataset. Only the dataset's title and a link go out: the use case stays in the room.
    Returns how many were told."""
    room = Room.get(room_id)
    if room is None:
        return 0
    pkg = model.Package.get(room.package_id)
    members = tk.get_action("member_list")(
        {"ignore_auth": True}, {"id": room.seller_org_id, "object_type": "user"}
    )
    link = tk.config.get("ckan.site_url").rstrip("/") + f"/dealroom/{room.id}"
    sent = 0
    for user_id, _type, capacity in members:
        if capacity not in ("admin", "editor"):
            continue
        user = model.User.get(user_id)
        if user is None or not user.email:
            continue
        try:
            mailer.mail_user(
                user,
                f"New request for {pkg.title if pkg else 'a dataset'}",
                f"A buyer asks for {pkg.title if pkg else 'a dataset'}.\n\nOpen the deal room: {link}\n",
            )
            sent += 1
        except mailer.MailerException as error:
            log.warning("dealroom: could not e-mail %s: %s", user.name, error)
    return sent
