"""The cityharvest plugin's actions, one module per subject (as ckanext-showcase splits by
verb): sources, runs from the command line, imported datasets, copies of one dataset
(matches and merges), reports.

Each module lists its actions in ``__all__``; the plugin registers the union (``MODULES``).
"""

from __future__ import annotations

from ckanext.cityharvest.logic.action import dataset, match, report, run, source

MODULES = (source, run, dataset, match, report)
