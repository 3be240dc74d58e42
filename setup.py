"""One distribution for the whole suite.

Each extension keeps its own source root (``ckanext-<name>/``) so that it reads like any
other CKAN extension; this file maps their ``ckanext.<name>`` packages into a single
install and registers the CKAN plugins.
"""

from __future__ import annotations

import os

from setuptools import find_namespace_packages, setup

EXTENSIONS = ("cityexchange", "pricing", "dealroom", "gdprcheck", "cityharvest")


def _packages() -> tuple[list[str], dict[str, str]]:
    packages: list[str] = []
    package_dir: dict[str, str] = {}
    for name in EXTENSIONS:
        root = f"ckanext-{name}"
        for pkg in find_namespace_packages(root, include=[f"ckanext.{name}", f"ckanext.{name}.*"]):
            packages.append(pkg)
            package_dir[pkg] = os.path.join(root, *pkg.split("."))
    return packages, package_dir


PACKAGES, PACKAGE_DIR = _packages()

setup(
    packages=PACKAGES,
    package_dir=PACKAGE_DIR,
    include_package_data=True,
    package_data={
        "": [
            "*.yaml",
            "*.json",
            "*.ini",
            "*.mako",
            "README",
            "templates/**/*",
            "public/**/*",
            "assets/**/*",
            "i18n/**/*",
            "migration/**/*",
        ]
    },
    entry_points={
        "ckan.plugins": [
            "cityexchange = ckanext.cityexchange.plugin:CityexchangePlugin",
            "pricing = ckanext.pricing.plugin:PricingPlugin",
            "dealroom = ckanext.dealroom.plugin:DealroomPlugin",
            "gdprcheck = ckanext.gdprcheck.plugin:GdprcheckPlugin",
            "cityharvest = ckanext.cityharvest.plugin:CityharvestPlugin",
            "cityharvest_ckan = ckanext.cityharvest.harvesters:CkanPortalHarvester",
            "cityharvest_dcat = ckanext.cityharvest.harvesters:DcatCatalogHarvester",
        ],
        "ckan.rdf.profiles": [
            "cityexchange = ckanext.cityexchange.dcat:CityexchangeProfile",
            "pricing = ckanext.pricing.dcat:PricingProfile",
            "pricing_schemaorg = ckanext.pricing.dcat:PricingSchemaOrgProfile",
            "gdprcheck = ckanext.gdprcheck.dcat:GdprcheckProfile",
            "cityharvest = ckanext.cityharvest.dcat:CityharvestProfile",
        ],
        "babel.extractors": [
            "ckan = ckan.lib.extract:extract_ckan",
        ],
    },
)
