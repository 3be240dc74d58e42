"""The deal-room plugin's actions, one module per subject (as ckanext-showcase splits by
verb): rooms, negotiation, payment and access.

Each module lists its actions in ``__all__``; the plugin registers the union (``MODULES``).
"""

from __future__ import annotations

from ckanext.dealroom.logic.action import negotiation, payment, room

MODULES = (room, negotiation, payment)
