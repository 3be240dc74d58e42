"""What the benchmarks share: the portal's Flask app built from an ini file."""

from __future__ import annotations

from typing import Any


def flask_app(ini: str) -> Any:
    """CKAN's Flask application for ``ini`` (loaded with every configured plugin), for
    ``test_request_context()`` and ``test_client()``."""
    from ckan.cli import load_config
    from ckan.config.middleware import make_app

    app = make_app(load_config(ini))
    return app.apps["flask_app"]._wsgi_app if hasattr(app, "apps") else app._wsgi_app
