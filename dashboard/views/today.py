"""今日任务: a grid worker's open visits in walking order (grid.day_plan → grid.routes), each with
its address (masked as the role requires: jizhen.privacy.mask_frame), why it was assigned (the
stored score's reasons), due date and last visit; a map with numbered pins; a button per stop
opens the visit form bound to that assignment. Visits that do not fit the day are listed with
their reason. A supervisor picks a worker of their grid to see that worker's route.

Phone first (390 px): one column of cards, the map kept short."""
from __future__ import annotations

from datetime import date

import streamlit as st
from streamlit_folium import st_folium

from dashboard import state
from dashboard.plain_text import plain
from dashboard.route_map import route_map
from dashboard.texts import reasons_line, t
from dashboard.texts_visit import tv
from grid.access import Actor, Role
from grid.visits import RECORDERS
from jizhen.privacy import mask_frame
from jizhen.settings import get_settings

OPEN_KEY = "visit_open_assignment"  # the assignment whose form the visit page opens (one run)
MODE_KEY = "visit_mode"             # the visit page's 派单/随访 switch


@st.cache_data(ttl=state.TTL_S, max_entries=state.MAX_ENTRIES, show_spinner=False)
def _worker_day(url: str, actor: Actor, worker_id: int, day: date, tokens: tuple):
    from grid.day_plan import worker_day

    with state._engine(url).connect() as conn:
        return worker_day(conn, actor, worker_id=worker_id, today=day)


def worker_day(url: str, actor: Actor, worker_id: int, day: date):
    """The worker's day, recomputed only when a write touched the grids in scope."""
    gens = state.generations(url)
    tokens = tuple(gens.token(state.HOUSEHOLDS, c) for c in state.scope_codes(url, actor))
    return _worker_day(url, actor, int(worker_id), day, tokens)


def _open_form(assignment_id: int) -> None:
    st.session_state[OPEN_KEY] = int(assignment_id)
    st.session_state[MODE_KEY] = "assigned"


def _open_adhoc() -> None:
    st.session_state[MODE_KEY] = "adhoc"


lang, actor, url, day = state.page_start()
st.title(tv("today.title", lang))
records = Role(actor.role) in RECORDERS  # who gets the buttons that open the visit form

if Role(actor.role) == Role.GRID_WORKER:
    if actor.worker_id is None:
        st.info(t("visit.not_linked", lang))
        st.stop()
    worker_id = int(actor.worker_id)
else:  # a supervisor looks at the route of a worker of their grid
    workers = state.workers(url, actor)
    names = {int(r.id): t("fmt.name_code", lang, name=r.name, code=r.grid_code)
             for r in workers.itertuples()}
    if not names:
        st.info(tv("today.empty", lang))
        st.stop()
    worker_id = st.selectbox(tv("today.worker", lang), list(names), format_func=names.get,
                             key="today_worker")

wd = worker_day(url, actor, worker_id, day)
route = wd.route
if not route.planned and not route.dropped:
    st.info(tv("today.empty", lang))
else:
    st.caption(tv("today.summary", lang, n=len(route.planned), minutes=route.total_minutes,
                  day=route.day_minutes, km=route.walk_km))

visits = mask_frame(wd.visits, actor).set_index("assignment_id")
if route.planned:
    planned = visits.loc[route.keys, ["lon", "lat", "level", "address"]].assign(
        order=[p.order for p in route.planned])
    settings = get_settings()
    problem = state.basemap_problem()
    fmap = route_map(planned, start=route.start, tiles="none" if problem else settings.tiles,
                     tianditu_key=settings.tianditu_key, lang=lang)
    st_folium(fmap, height=300, use_container_width=True, returned_objects=[],
              key=f"today_map_{worker_id}")


def _facts(r) -> tuple[str, str]:
    """Two short lines for a phone: risk · due date · last visit, and why it was assigned."""
    level = t(f"level.{r['level']}", lang)
    line = [tv("today.risk", lang, level=level, score=float(r["score"]))]
    due = r["due_on"]
    if due is not None:
        late = (day - due).days
        line.append(tv("today.due", lang, due=due.isoformat())
                    + (t("fmt.paren", lang, text=tv("today.overdue", lang, days=late)) if late > 0 else ""))
    last = r["last_visited_on"]
    line.append(tv("today.last", lang, day=last.isoformat()) if last else tv("today.never", lang))
    reasons = reasons_line(r["reasons"], lang) or tv("today.no_reason", lang)
    return " · ".join(line), tv("today.why", lang, reasons=plain(reasons))


for p in route.planned:
    r = visits.loc[p.stop.key]
    with st.container(border=True):
        st.markdown("**" + tv("today.stop", lang, order=p.order, address=plain(r["address"])) + "**")
        st.caption(" · ".join([tv("today.head", lang, head=plain(r["head_name"])),
                               tv("today.walk", lang, walk=p.walk_minutes)]))
        for fact in _facts(r):
            st.caption(fact)
        if records and st.button(tv("today.record", lang, order=p.order), key=f"today_go_{p.stop.key}",
                     width="stretch", on_click=_open_form, args=(p.stop.key,),
                     type="primary" if p.order == 1 else "secondary"):
            st.switch_page("views/visit.py")

if route.dropped:
    with st.expander(tv("today.dropped", lang, n=len(route.dropped))):
        for d in route.dropped:
            r = visits.loc[d.stop.key]
            st.markdown("**" + plain(r["address"]) + "**")
            st.caption(_facts(r)[0])
            st.caption(plain(d.reason))
            if records and st.button(tv("today.record_anyway", lang), key=f"today_go_{d.stop.key}",
                         on_click=_open_form, args=(d.stop.key,)):
                st.switch_page("views/visit.py")

if Role(actor.role) == Role.GRID_WORKER:
    if st.button(tv("today.adhoc", lang), key="today_adhoc", width="stretch", on_click=_open_adhoc):
        st.switch_page("views/visit.py")
