#!/usr/bin/env python3
"""Render config/ckan.ini.in into a CKAN ini file.

    render_config.py TEMPLATE OUTPUT

``${NAME}`` is replaced by the environment variable NAME (an error names every missing
one), ``${NAME:-default}`` falls back to ``default``. Standard library only, so the same
script renders the development, test and container configurations.

Some variables are derived from others and never read from the environment (DERIVED):
``CDX_COOKIE_SECURE`` is ``true`` when ``CDX_SITE_URL`` is https, so the session and
remember cookies are Secure exactly when the site is served over TLS.
"""

from __future__ import annotations

import os
import re
import sys

PLACEHOLDER = re.compile(r"\$\{([A-Z][A-Z0-9_]*)(?::-([^}]*))?\}")


def render(template: str, env: dict[str, str]) -> tuple[str, list[str]]:
    missing: list[str] = []

    def substitute(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(2)
        value = env.get(name)
        if value:
            return value
        if default is not None:
            return default
        missing.append(name)
        return ""

    return PLACEHOLDER.sub(substitute, template), missing


DERIVED = ("CDX_COOKIE_SECURE",)


def with_derived(env: dict[str, str]) -> dict[str, str]:
    """The environment plus the DERIVED variables, computed from it (never taken from it)."""
    site_url = env.get("CDX_SITE_URL", "").strip().lower()
    return {**env, "CDX_COOKIE_SECURE": "true" if site_url.startswith("https://") else "false"}


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    with open(argv[1], encoding="utf-8") as f:
        text, missing = render(f.read(), with_derived(dict(os.environ)))
    if missing:
        print(
            "render_config: missing environment variables: " + ", ".join(sorted(set(missing))),
            file=sys.stderr,
        )
        return 1
    tmp = argv[2] + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, argv[2])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
