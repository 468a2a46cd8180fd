"""Walk the project's own Python source (not migrations, tests, browser tests or benchmarks) as syntax trees.

Used by the scans that keep a field's writes in one place (status graphs, user levels).
"""

import ast
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)
# Tests and browser tests build any state they need; migrations replay history; benchmarks build
# their fixtures in bulk and time the bare SQL the issue compares against.
SKIPPED_PARTS = {"migrations", "tests", "e2e", "bench", "node_modules", "static", "locale", "var"}


def project_files() -> Iterator[Path]:
    for path in sorted(ROOT.rglob("*.py")):
        rel = path.relative_to(ROOT)
        if rel.parts[0].startswith(".") or SKIPPED_PARTS.intersection(rel.parts) or path.name == "conftest.py":
            continue
        yield path


def parsed_files() -> Iterator[tuple[str, ast.Module]]:
    for path in project_files():
        yield str(path.relative_to(ROOT)), ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def keyword_names(call: ast.Call) -> set[str]:
    """Keyword names of a call, including the string keys of a `**{...}` literal."""
    names = {k.arg for k in call.keywords if k.arg}
    for k in call.keywords:
        if k.arg is None and isinstance(k.value, ast.Dict):
            names |= {key.value for key in k.value.keys if isinstance(key, ast.Constant)}
    return names


def strings_in(node: ast.AST | None) -> set[str] | None:
    """The string constants of a list/tuple/set literal; None when it is not a literal (cannot be checked)."""
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        return {e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)}
    return None


def call_arg(call: ast.Call, position: int, name: str) -> ast.AST | None:
    if len(call.args) > position:
        return call.args[position]
    return next((k.value for k in call.keywords if k.arg == name), None)


def method_name(call: ast.Call) -> str:
    return call.func.attr if isinstance(call.func, ast.Attribute) else getattr(call.func, "id", "")


def nodes_outside(tree: ast.Module, skip_functions: set[str]) -> Iterator[ast.AST]:
    """Every node of the module except the bodies of the named top-level functions."""
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.FunctionDef) and node.name in skip_functions:
            continue
        yield node
        stack.extend(ast.iter_child_nodes(node))
