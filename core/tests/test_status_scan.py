"""No code changes a status behind its graph's back: one bulk door (core.statemachine.transition_many)."""

import ast
import re

import pytest

from .source_scan import call_arg, keyword_names, method_name, parsed_files, strings_in

THE_ONE_PLACE = "core/statemachine.py"
RAW_STATUS_UPDATE = re.compile(r"\bupdate\b[^;]*\bset\b[^;]*\bstatus\b", re.IGNORECASE | re.DOTALL)


def status_offences(path: str, tree: ast.Module) -> list[str]:
    """Each bulk or raw write of a status in this module, as "path:line: what"."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = method_name(node)
            if name == "update" and "status" in keyword_names(node):
                found.append(f"{path}:{node.lineno}: update(status=...)")
            elif name == "bulk_update":
                fields = strings_in(call_arg(node, 1, "fields"))
                if fields is None or "status" in fields:
                    found.append(f"{path}:{node.lineno}: bulk_update(..., fields with status)")
            elif name == "seeding":
                found.append(f"{path}:{node.lineno}: seeding() outside tests")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and RAW_STATUS_UPDATE.search(node.value):
            found.append(f"{path}:{node.lineno}: raw SQL setting a status")
    return found


def test_no_status_changes_outside_transition_many():
    offenders = [hit for path, tree in parsed_files() if path != THE_ONE_PLACE for hit in status_offences(path, tree)]
    assert not offenders, ("Change statuses with obj.transition(to=...) + save() or core.statemachine.transition_many():\n"
                           + "\n".join(offenders))


@pytest.mark.parametrize("source", [
    "Item.objects.filter(pk=1).update(status='done')",
    "qs.update(\n    decided_at=now,\n    status=Status.DONE,\n)",
    "qs.update(**{'status': 'done'})",
    "Item.objects.bulk_update(items, ['status', 'decided_at'])",
    "Item.objects.bulk_update(items, fields=FIELDS)",
    "cursor.execute('UPDATE moderation_reviewitem SET status = %s WHERE id = %s', [s, pk])",
    "with seeding():\n    Item.objects.create(status='done')",
])
def test_the_scan_finds_each_way_around_the_graph(source):
    assert status_offences("planted.py", ast.parse(source))


def test_the_scan_leaves_other_updates_alone():
    source = "qs.update(read_at=now)\nItem.objects.bulk_update(items, ['note'])\nqs.filter(status='open').count()"
    assert status_offences("planted.py", ast.parse(source)) == []
