"""A user's level changes in one place: accounts.services.user_level_set (lock, change, audit entry)."""

import ast

import pytest

from core.tests.source_scan import call_arg, keyword_names, method_name, nodes_outside, parsed_files, strings_in

THE_SERVICE = ("accounts/services.py", "user_level_set")


def level_offences(path: str, tree: ast.Module, skip: set[str] = frozenset()) -> list[str]:
    """Each write of a `level` in this module outside the named functions, as "path:line: what"."""
    found = []
    for node in nodes_outside(tree, set(skip)):
        if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                elts = target.elts if isinstance(target, ast.Tuple) else [target]
                if any(isinstance(t, ast.Attribute) and t.attr == "level" for t in elts):
                    found.append(f"{path}:{node.lineno}: assignment to .level")
        elif isinstance(node, ast.Call):
            name = method_name(node)
            if name == "update" and "level" in keyword_names(node):
                found.append(f"{path}:{node.lineno}: update(level=...)")
            elif name == "bulk_update":
                fields = strings_in(call_arg(node, 1, "fields"))
                if fields is None or "level" in fields:
                    found.append(f"{path}:{node.lineno}: bulk_update(..., fields with level)")
            elif name == "setattr" and len(node.args) > 1 and isinstance(node.args[1], ast.Constant) \
                    and node.args[1].value == "level":
                found.append(f"{path}:{node.lineno}: setattr(..., 'level', ...)")
            elif name == "update_or_create":
                defaults = call_arg(node, 99, "defaults")
                if isinstance(defaults, ast.Dict) and any(
                        isinstance(k, ast.Constant) and k.value == "level" for k in defaults.keys):
                    found.append(f"{path}:{node.lineno}: update_or_create(defaults={{'level': ...}})")
            fields = next((k.value for k in node.keywords if k.arg == "update_fields"), None)
            if fields is not None and "level" in (strings_in(fields) or set()):
                found.append(f"{path}:{node.lineno}: save(update_fields=[... 'level' ...])")
    return found


def test_no_level_changes_outside_the_service():
    offenders = []
    for path, tree in parsed_files():
        skip = {THE_SERVICE[1]} if path == THE_SERVICE[0] else set()
        offenders += level_offences(path, tree, skip)
    assert not offenders, "Change a user's level with accounts.services.user_level_set():\n" + "\n".join(offenders)


@pytest.mark.parametrize("source", [
    "user.level = Level.INDIRECT",
    "applicant.level, applicant.level_source = 1, 'phone'",
    "user.level -= 1",
    "User.objects.filter(pk=1).update(level=0)",
    "User.objects.bulk_update(users, ['level'])",
    "setattr(user, 'level', 2)",
    "User.objects.update_or_create(email=e, defaults={'level': 2})",
    "user.save(update_fields=['level', 'level_source'])",
    "def user_level_set():\n    pass\ndef other(user):\n    user.level = 2",
])
def test_the_scan_finds_each_way_to_change_a_level(source):
    assert level_offences("planted.py", ast.parse(source), {"user_level_set"})


def test_the_scan_leaves_the_service_and_reads_alone():
    source = ("def user_level_set(user):\n    user.level = 2\n    user.save(update_fields=['level'])\n"
              "if user.level >= 2:\n    level = logging.INFO\n"
              "User.objects.get_or_create(email=e, defaults={'level': 2})")
    assert level_offences("planted.py", ast.parse(source), {"user_level_set"}) == []
