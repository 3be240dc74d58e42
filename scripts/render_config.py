#!/usr/bin/env python3
"""Render config/ckan.ini.in into a CKAN ini file.

    render_config.py TEMPLATE OUTPUT

``${NAME}`` is replaced by the environment variable NAME (an error names every missing
one), ``${NAME:-default}`` falls back to ``default``. Standard library only, so the same
script renders the development, test and container configurations.
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


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    with open(argv[1], encoding="utf-8") as f:
        text, missing = render(f.read(), dict(os.environ))
    if missing:
        print("render_config: missing environment variables: " + ", ".join(sorted(set(missing))),
              file=sys.stderr)
        return 1
    tmp = argv[2] + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, argv[2])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
