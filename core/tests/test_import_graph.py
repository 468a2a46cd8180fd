"""The import graph of our own modules: no circles, only the arrows the README allows, no private names.

Every `import` and `from ... import` in a module counts, wherever it stands: at the top, inside a
function, or under `if TYPE_CHECKING:`. Type-only imports count because they are a dependency a reader
has to follow just the same; `TYPE_CHECKING` is the classic way to hide a circle, not to remove it.

Migrations, tests, conftest files, browser tests and benchmarks are left out: they may reach anywhere.
"""

import ast
import io
import re
import tokenize
from functools import cache
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)
SKIPPED_PARTS = {"migrations", "tests"}

# Rooms: each of our modules belongs to the longest room name that is a prefix of its dotted name.
# A room may import itself and the rooms listed here; "*" means any room. The README mirrors this
# table. `demo` (the demo data loader, at the top) may import every app and only `config` imports it.
ALLOWED: dict[str, set[str]] = {
    "core": set(),
    "accounts": {"core"},
    # social -> moderation as the README's diagram draws it: a moment's and a comment's report target and
    # tombstone (moderation.targets), the penalties in force (moderation.selectors). Never the reverse:
    # moderation asks "are they friends" through a conflict check social registers.
    "social": {"moderation", "accounts", "core"},
    "moderation": {"accounts", "core"},
    "idcheck": {"accounts", "core"},
    # verification's top level only registers and routes its two rooms.
    "verification": {"verification.documents", "verification.vouching", "moderation", "idcheck", "accounts", "core"},
    "verification.documents": {"moderation", "idcheck", "accounts", "core"},
    # Vouching needs friendships (who may vouch) from `social`, and the document room's public names
    # (DocumentKind, number_validate, its selectors); the document room never imports vouching.
    "verification.vouching": {"verification.documents", "moderation", "social", "accounts", "core"},
    "publicaccounts": {"moderation", "accounts", "core"},
    "demo": {"*"},
    "config": {"*"},
}
ONLY_IMPORTED_BY = {"demo": {"config"}}

# Modules on their way out, exempt until they have moved. The demo loader leaves `accounts` for the new
# top-level `demo` app (issue 10, point 3, done on another branch); remove the line at that merge
# (test_exemptions_name_modules_that_exist fails until then).
MOVING: set[str] = set()

# A comment that names a circle is not a reason: with no circles left, it would explain nothing.
CIRCLE_EXCUSE = re.compile(r"circular|circle|cycl", re.IGNORECASE)
PRAGMA = re.compile(r"(noqa|type:\s*ignore|pragma|isort|fmt)\b[^;#]*", re.IGNORECASE)


def app_packages() -> list[str]:
    return sorted(p.parent.name for p in ROOT.glob("*/__init__.py") if p.parent.name in {r.split(".")[0] for r in ALLOWED})


@cache
def modules() -> dict[str, Path]:
    """Dotted name -> file, for every module of our apps (packages by their `__init__`)."""
    found = {}
    for package in app_packages():
        for path in sorted((ROOT / package).rglob("*.py")):
            rel = path.relative_to(ROOT)
            if SKIPPED_PARTS.intersection(rel.parts) or path.name == "conftest.py":
                continue
            parts = list(rel.with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def room_of(module: str) -> str:
    return max((r for r in ALLOWED if module == r or module.startswith(r + ".")), key=len)


def is_package(module: str) -> bool:
    return modules()[module].name == "__init__.py"


def resolve(module: str, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".")
    base = base if is_package(module) else base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def ours(name: str) -> str | None:
    """The most specific module of ours that importing `name` names, or None if it is not ours."""
    parts = name.split(".")
    while parts:
        candidate = ".".join(parts)
        if candidate in modules():
            return candidate
        parts.pop()
    return None


class Import:
    def __init__(self, module: str, target: str, line: int, names: list[str], in_function: bool, node: ast.stmt):
        self.module, self.target, self.line, self.names = module, target, line, names
        self.in_function, self.node = in_function, node

    def __repr__(self) -> str:
        return f"{modules()[self.module].relative_to(ROOT)}:{self.line} -> {self.target}"


@cache
def imports() -> list[Import]:
    found = []
    for module, path in modules().items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))

        def walk(node: ast.AST, in_function: bool, module: str = module) -> None:
            for child in ast.iter_child_nodes(node):
                inside = in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
                if isinstance(child, ast.Import):
                    for alias in child.names:
                        target = ours(alias.name)
                        if target:
                            found.append(Import(module, target, child.lineno, [], in_function, child))
                elif isinstance(child, ast.ImportFrom):
                    source = resolve(module, child)
                    for alias in child.names:
                        target = ours(f"{source}.{alias.name}") if f"{source}.{alias.name}" in modules() else ours(source)
                        if target:
                            found.append(Import(module, target, child.lineno, [alias.name], in_function, child))
                walk(child, inside)

        walk(tree, False)
    return found


def graph() -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {m: set() for m in modules()}
    for imp in imports():
        if imp.target != imp.module:
            edges[imp.module].add(imp.target)
    return edges


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """One cycle per strongly connected component of more than one module (Tarjan), shown as a path."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[set[str]] = []

    def connect(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges[v]):
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.add(w)
                if w == v:
                    break
            if len(component) > 1:
                components.append(component)

    for v in sorted(edges):
        if v not in index:
            connect(v)

    found = []
    for component in components:
        start = min(component)
        # Shortest way back to the start inside the component (breadth first).
        paths = {start: [start]}
        queue = [start]
        cycle = None
        while queue and cycle is None:
            v = queue.pop(0)
            for w in sorted(edges[v] & component):
                if w == start:
                    cycle = paths[v] + [start]
                    break
                if w not in paths:
                    paths[w] = paths[v] + [w]
                    queue.append(w)
        found.append(cycle)
    return found


def comments_by_line(path: Path) -> dict[int, str]:
    tokens = tokenize.generate_tokens(io.StringIO(path.read_text(encoding="utf-8")).readline)
    return {t.start[0]: t.string.lstrip("#").strip() for t in tokens if t.type == tokenize.COMMENT}


def reason_at(comments: dict[int, str], line: int) -> str:
    """The comments on the line above and on the line itself, without tool pragmas (noqa, type: ignore)."""
    texts = [PRAGMA.sub("", comments.get(n, "")).strip(" ;,-") for n in (line - 1, line)]
    return " ".join(text for text in texts if text)


def test_the_graph_sees_our_modules():
    # A scan that found nothing would pass every check below.
    assert {"accounts.deletion", "moderation.ladder", "verification.vouching.services"} <= set(modules())
    assert "accounts.services" in graph()["verification.documents.services"]
    assert len(imports()) > 300


def test_no_import_cycles():
    found = cycles(graph())
    assert not found, "import cycles:\n" + "\n".join(" -> ".join(c) for c in found)


def test_arrows_between_apps_are_the_allowed_ones():
    wrong = []
    for imp in imports():
        if imp.module in MOVING:
            continue
        source, target = room_of(imp.module), room_of(imp.target)
        if source == target:
            continue
        allowed = ALLOWED[source]
        if "*" not in allowed and target not in allowed:
            wrong.append(f"{imp} ({source} may not import {target})")
        for room, importers in ONLY_IMPORTED_BY.items():
            if target == room and source not in importers:
                wrong.append(f"{imp} (only {sorted(importers)} may import {room})")
    assert not wrong, "arrows the README does not allow:\n" + "\n".join(wrong)


def test_every_app_is_in_the_table():
    # app_packages() reads only the packages ALLOWED names: a new app without a line would go unchecked.
    for package in ROOT.glob("*/apps.py"):
        assert package.parent.name in ALLOWED, f"app {package.parent.name} has no line in ALLOWED"


def test_no_private_names_imported_from_another_module():
    private = [
        f"{imp} imports {name}"
        for imp in imports()
        for name in imp.names
        if name.startswith("_") and not (name.startswith("__") and name.endswith("__"))
    ]
    assert not private, "private names imported across modules:\n" + "\n".join(private)


def test_imports_inside_functions_give_a_reason():
    """A comment on the line above (or on the same line) says why; one comment may head a run of imports."""
    missing = []
    for module, path in modules().items():
        if module in MOVING:
            continue
        comments = comments_by_line(path)
        tree = ast.parse(path.read_text(encoding="utf-8"))
        functions = [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
        blocks = [
            getattr(node, field)
            for func in functions
            for node in ast.walk(func)
            for field in ("body", "orelse", "finalbody")
            if isinstance(getattr(node, field, None), list)
        ]
        for block in blocks:
            run_reason = None
            previous_was_import = False
            for stmt in block:
                if not isinstance(stmt, (ast.Import, ast.ImportFrom)):
                    previous_was_import = False
                    continue
                reason = reason_at(comments, stmt.lineno)
                if not reason and previous_was_import:
                    reason = run_reason
                run_reason, previous_was_import = reason, True
                where = f"{path.relative_to(ROOT)}:{stmt.lineno}"
                if not reason:
                    missing.append(f"{where}: no comment gives a reason")
                elif CIRCLE_EXCUSE.search(reason):
                    missing.append(f"{where}: breaking a circle is not a reason ({reason!r})")
    assert not missing, "imports inside functions:\n" + "\n".join(sorted(set(missing)))


def test_exemptions_name_modules_that_exist():
    # Delete an entry of MOVING as soon as its module has moved: an exemption must not outlive its reason.
    assert MOVING <= set(modules()), f"remove from MOVING: {sorted(MOVING - set(modules()))}"
