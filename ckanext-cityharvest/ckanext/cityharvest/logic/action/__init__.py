"""The cityharvest plugin's actions, one module per subject (as ckanext-showcase splits by
verb): sources, runs from the command line, imported datasets, reports.

Each module lists its actions in ``__all__``; the plugin registers the union (``MODULES``).
"""

from __future__ import annotations

from ckanext.cityharvest.logic.action import dataset, report, run, source

MODULES = (source, run, dataset, report)
