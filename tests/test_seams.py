"""The extensions talk to each other only through actions and documented interfaces.

No extension of the suite imports another one's modules, except its public
``interfaces`` module and the shared package ``ckanext.cityexchange`` (the input guard,
the site context, the outbound guard, the markup and header rules). Upstream extensions
(ckanext-harvest, ckanext-dcat, core's activity plugin) are extended, not ours: they are
not counted. An import still to be replaced by an action would be listed in ``KNOWN``
with what replaces it (none is); the test fails for any other one, and for a listed one
that is gone. Nor does an extension read another one's configuration keys: it asks the
owning extension through an action (say, the currencies deals may use).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.pure

ROOT = Path(__file__).resolve().parents[1]
SUITE = ("pricing", "dealroom", "gdprcheck", "cityharvest")
SHARED = "cityexchange"

# (importing extension, imported module): what will replace it.
KNOWN: dict[tuple[str, str], str] = {}  # none left


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def _crossings(interfaces: set[str] | None = None) -> set[tuple[str, str, str]]:
    """Imports of another extension of the suite: (importer, module, file). The
    ``interfaces`` imports it leaves out are added to ``interfaces`` when given."""
    out = set()
    for ext in SUITE:
        package = ROOT / f"ckanext-{ext}" / "ckanext" / ext
        for path in package.rglob("*.py"):
            if "tests" in path.relative_to(package).parts:
                continue
            for module in _imports(path):
                parts = module.split(".")
                if (
                    len(parts) < 2
                    or parts[0] != "ckanext"
                    or parts[1] not in SUITE
                    or parts[1] == ext
                ):
                    continue
                if len(parts) >= 3 and parts[2] == "interfaces":
                    if interfaces is not None:
                        interfaces.add(f"{ext} -> {'.'.join(parts[:3])}")
                    continue
                out.add(
                    (
                        ext,
                        ".".join(parts[:3]) if len(parts) >= 3 else module,
                        str(path.relative_to(ROOT)),
                    )
                )
    return out


def test_extensions_import_each_other_only_through_interfaces() -> None:
    interfaces: set[str] = set()
    crossings = _crossings(interfaces)
    # the probe: the scan reads the imports between extensions (these are allowed)
    assert {
        "dealroom -> ckanext.pricing.interfaces",
        "gdprcheck -> ckanext.pricing.interfaces",
    } <= interfaces
    found = {(ext, module) for ext, module, _path in crossings}
    new = sorted(
        f"{ext} imports {module} in {path}"
        for ext, module, path in crossings
        if (ext, module) not in KNOWN
    )
    assert new == [], "use an action or a documented interface instead:\n" + "\n".join(new)
    gone = sorted(set(KNOWN) - found)
    assert gone == [], f"remove these from KNOWN, they are gone: {gone}"


def test_the_shared_package_imports_no_extension() -> None:
    package = ROOT / f"ckanext-{SHARED}" / "ckanext" / SHARED
    for path in package.rglob("*.py"):
        if "tests" in path.relative_to(package).parts:
            continue
        bad = [m for m in _imports(path) if m.split(".")[:2] in [["ckanext", e] for e in SUITE]]
        assert bad == [], f"{path}: {bad}"


CONFIG_KEY = re.compile(
    r"""["']ckanext\.(pricing|dealroom|gdprcheck|cityharvest)\.[a-z_][a-z0-9_.]*["']"""
)


def _config_reads() -> list[tuple[str, str, str]]:
    """Config keys of another extension named in an extension's code or templates:
    (reader, key, file)."""
    out = []
    for ext in SUITE:
        package = ROOT / f"ckanext-{ext}" / "ckanext" / ext
        for path in [*package.rglob("*.py"), *package.rglob("*.html")]:
            rel = path.relative_to(package).parts
            if "tests" in rel or "migration" in rel:
                continue
            for match in CONFIG_KEY.finditer(path.read_text(encoding="utf-8")):
                if match.group(1) != ext:
                    out.append((ext, match.group(0).strip("'\""), str(path.relative_to(ROOT))))
    return out


def test_extensions_read_only_their_own_config_keys() -> None:
    # the probe: the scan finds each extension's own keys
    own = set()
    for ext in SUITE:
        package = ROOT / f"ckanext-{ext}" / "ckanext" / ext
        text = "\n".join(p.read_text(encoding="utf-8") for p in package.rglob("*.py"))
        own |= {m.group(1) for m in CONFIG_KEY.finditer(text) if m.group(1) == ext}
    assert own == set(SUITE)
    reads = _config_reads()
    assert reads == [], "ask the owning extension through an action instead:\n" + "\n".join(
        f"{ext} reads {key} in {path}" for ext, key, path in reads
    )
