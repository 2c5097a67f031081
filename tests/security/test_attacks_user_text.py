"""Hardening: markdown or HTML typed into an approval opinion loads nothing and formats nothing for
the officers who read it later (user text is text). Replayed through the case desk as two officers
work: one approves with a crafted opinion, another opens the case."""
from __future__ import annotations

from cases.models import Case
from grid.db import session_scope
from tests.ui.test_form_binding import _officer, _open_case, _submit, desk_db  # noqa: F401 (fixture)

CRAFTED = ("入户核实属实 ![x](http://attacker.example/p.png) <img src=http://attacker.example/q.png> "
           "**加粗** [点我](http://attacker.example/) :red[红字]")
MARKUP = ("![x](", "<img", "](http", "**加粗**", ":red[")
RENDERS_MARKDOWN = ("markdown", "caption", "info", "success", "warning", "error", "title", "header",
                    "subheader")


def _rendered(at) -> list[str]:
    out = []
    for kind in RENDERS_MARKDOWN:
        out.extend(str(el.value) for el in getattr(at, kind))
    return out


def test_a_crafted_opinion_is_shown_as_typed_to_the_next_officer(desk_db):  # noqa: F811
    x = desk_db["ids"]["X"]
    leader = _open_case(_officer(desk_db, "leader"), x)
    leader.selectbox(key=f"cases_act_{x}_name").set_value("approve_town")
    leader.text_input(key=f"cases_act_{x}_reason").input(CRAFTED)
    _submit(leader, x).run()
    assert not leader.exception, [e.value for e in leader.exception]
    with session_scope(desk_db["engine"]) as s:
        assert s.get(Case, x).review_opinion == CRAFTED  # stored exactly as typed
    county = _open_case(_officer(desk_db, "county"), x)
    shown = _rendered(county)
    carrying = [v for v in shown if "attacker" in v]
    assert carrying, "the opinion is not shown to the next officer"
    for value in carrying:
        assert not [m for m in MARKUP if m in value], value  # every markup character escaped
    for value in _rendered(leader):
        assert not [m for m in MARKUP if m in value], value
