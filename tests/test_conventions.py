"""One action convention across the suite, read from the source of every action module.

- Every action checks access (its own auth function) before it validates its input,
  unless it must validate first to find the object whose rights decide (a room, an
  order, an organisation named by name): then a comment right above the validation
  says so, starting "Validated before the access check".
- Every action's docstring renders in CKAN's API documentation: one ``:param name:``
  per line, each with its ``:type name:``, and ``:returns:`` with ``:rtype:``.

The tests enumerate the actions from each module's ``__all__`` (what the blankets
register), so a new action is checked without being listed here.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.pure

ROOT = Path(__file__).resolve().parents[1]
EXTENSIONS = ("cityexchange", "pricing", "dealroom", "gdprcheck", "cityharvest")
VALIDATE = {"_validate", "validate"}
WHY_FIRST = "# Validated before the access check:"
# Core's actions the paywall chains: core documents them; the chain adds no parameter.
CHAINED_DECORATOR = "tk.chained_action"


def _action_modules() -> list[Path]:
    found = []
    for ext in EXTENSIONS:
        logic = ROOT / f"ckanext-{ext}" / "ckanext" / ext / "logic"
        found += [logic / "action.py"] if (logic / "action.py").exists() else []
        found += sorted((logic / "action").glob("*.py")) if (logic / "action").is_dir() else []
    return found


def _actions() -> list[tuple[Path, ast.FunctionDef, list[str]]]:
    out = []
    for path in _action_modules():
        source = path.read_text(encoding="utf-8")
        tree = ast.parse(source)
        exported: set[str] = set()
        for node in tree.body:
            if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets
            ):
                exported = {e.value for e in node.value.elts if isinstance(e, ast.Constant)}  # type: ignore[attr-defined]
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and node.name in exported:
                out.append((path, node, source.split("\n")))
    return out


ACTIONS = _actions()


def _id(item: tuple[Path, ast.FunctionDef, list[str]]) -> str:
    return f"{item[0].parent.name}/{item[0].name}:{item[1].name}"


def _chained(node: ast.FunctionDef) -> bool:
    return any(ast.unparse(d) == CHAINED_DECORATOR for d in node.decorator_list)


def test_the_modules_export_the_suites_actions() -> None:
    names = {node.name for _, node, _ in ACTIONS}
    assert len(names) >= 60, sorted(names)
    assert {"pricing_checkout_create", "dealroom_create", "gdprcheck_scan_show"} <= names
    assert {"cityharvest_source_run", "pricing_terms_check"} <= names


def _calls(node: ast.FunctionDef) -> list[tuple[int, str, ast.Call]]:
    out = []
    for sub in ast.walk(node):
        if isinstance(sub, ast.Call):
            out.append((sub.lineno, ast.unparse(sub.func), sub))
    return sorted(out, key=lambda c: c[0])


@pytest.mark.parametrize("item", [a for a in ACTIONS if not _chained(a[1])], ids=_id)
def test_access_is_checked_before_validation(
    item: tuple[Path, ast.FunctionDef, list[str]],
) -> None:
    _path, node, lines = item
    helpers = {
        n.name: n
        for n in ast.parse("\n".join(lines)).body
        if isinstance(n, ast.FunctionDef) and n.name.startswith("_")
    }
    first_access = first_validate = None
    for lineno, func, _call in _calls(node):
        name = func.rsplit(".", 1)[-1]
        if name == "check_access" and first_access is None:
            first_access = lineno
        elif name in VALIDATE and first_validate is None:
            first_validate = lineno
        elif name in helpers and first_access is None and first_validate is None:
            # An action that hands over to a helper (a transition, a resource lookup)
            # is judged by the helper's own order.
            inner = _calls(helpers[name])
            kinds = [
                (n, f.rsplit(".", 1)[-1])
                for n, f, _ in inner
                if f.rsplit(".", 1)[-1] in VALIDATE | {"check_access"}
            ]
            if kinds and kinds[0][1] == "check_access":
                first_access = lineno
            elif kinds:
                first_validate = kinds[0][0]
                node_lines = lines
                assert node_lines[first_validate - 2].strip().startswith(WHY_FIRST), (
                    f"{name} validates before checking access without saying why"
                )
                return
    assert first_access is not None, f"{node.name} never calls tk.check_access"
    if first_validate is not None and first_validate < first_access:
        comment = lines[first_validate - 2].strip()
        assert comment.startswith(WHY_FIRST), (
            f"{node.name} validates (line {first_validate}) before checking access "
            f"(line {first_access}) without saying why"
        )


PARAM = re.compile(r":param (\w+):")
TYPE = re.compile(r":type (\w+):")


@pytest.mark.parametrize("item", [a for a in ACTIONS if not _chained(a[1])], ids=_id)
def test_docstrings_render_in_ckans_api_docs(
    item: tuple[Path, ast.FunctionDef, list[str]],
) -> None:
    _path, node, _lines = item
    doc = ast.get_docstring(node) or ""
    assert doc, f"{node.name} has no docstring"
    for line in doc.split("\n"):
        assert len(PARAM.findall(line)) <= 1, f"{node.name}: one :param: per line: {line!r}"
    params = PARAM.findall(doc)
    types = TYPE.findall(doc)
    assert sorted(params) == sorted(types), f"{node.name}: a :type: for each :param:"
    assert ":returns:" in doc and ":rtype:" in doc, f"{node.name}: :returns: and :rtype:"
