"""The one state-machine mixin every model with a status uses."""

import pytest

from core.statemachine import StateMachineMixin, TransitionNotAllowed


class Door(StateMachineMixin):
    TRANSITIONS = {"closed": {"open", "locked"}, "open": {"closed"}, "locked": {"closed"}}
    pk = 1

    def __init__(self, status):
        self.status = status
        self.moves = []

    def on_transition(self, to):
        self.moves.append(to)


def test_declared_edges_move_and_call_the_hook():
    door = Door("closed")
    door.transition(to="open")
    door.transition(to="closed")
    assert door.status == "closed" and door.moves == ["open", "closed"]


@pytest.mark.parametrize(("start", "to"), [("open", "locked"), ("locked", "open"), ("open", "open"), ("gone", "open")])
def test_undeclared_edges_are_refused_and_change_nothing(start, to):
    door = Door(start)
    with pytest.raises(TransitionNotAllowed):
        door.transition(to=to)
    assert door.status == start and door.moves == []
