"""Portal-wide request hooks: the input guard before every request, security headers
after it. No routes of its own."""
from __future__ import annotations

from flask import Blueprint

cityexchange = Blueprint("cityexchange", __name__)
