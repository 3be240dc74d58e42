#!/usr/bin/env bash
# The lint and type gates `make test` runs before the tests: ruff (lint and format check)
# and mypy (configuration in pyproject.toml; strict on the rule modules that import no CKAN).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$CDX_ROOT"
# Always with the default release's tools and CKAN.
CDX_VENV="$CDX_DEFAULT_VENV"
"$CDX_VENV/bin/ruff" check --no-cache . || die ruff "ruff found problems (run: $CDX_VENV/bin/ruff check --fix .)"
"$CDX_VENV/bin/ruff" format --no-cache --check . || die ruff "files need formatting (run: $CDX_VENV/bin/ruff format .)"
"$CDX_VENV/bin/mypy" --no-incremental -p ckanext.cityexchange -p ckanext.pricing -p ckanext.dealroom \
  -p ckanext.gdprcheck -p ckanext.cityharvest || die mypy "mypy found type errors"
say "ruff and mypy pass"
