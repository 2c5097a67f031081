"""监督管理: random spot checks (双随机一公开), the credit blacklist, funds and the monthly disclosure.

County staff and township leaders act; auditors read. Thin: widgets -> one cases.* service call ->
render; the permission checks live in the services (cases.oversight, cases.intake, cases.funds).
A form that acts on a record (a spot check, a blacklist entry) carries the record's id in its
widget keys and passes the version it showed (the service refuses a changed record). User text is
shown in tables only (never as markdown)."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from cases import desk, funds, intake, oversight
from cases.rules import DomainError
from dashboard import exports, state
from dashboard.texts_admin import disclosure_headers, headers, labelled, ta
from dashboard.texts_cases import spot_result_label
from dashboard.plain_text import plain
from dashboard.texts import error_text
from dashboard.page_writes import PageWrites
from grid.access import AccessDenied
from grid.db import StaleEdit, session_scope
from jizhen.privacy import mask_frame

RESULTS_KEY = "ov_results"  # where -> (kind, message): the outcome of a submit, shown once
COUNTY = "county_staff"
OVERSIGHT_ROLES = frozenset({"county_staff", "township_leader", "auditor", "system"})


def _error(exc: Exception, lang: str) -> str:
    if isinstance(exc, DomainError):
        return ta("ov.err", lang, msg=plain(exc.zh if lang == "zh" else exc.en))
    if isinstance(exc, StaleEdit):
        return ta("ov.stale", lang, msg=plain(str(exc)))
    return ta("ov.denied", lang, msg=plain(error_text(exc, lang)))  # AccessDenied: zh/en


_WRITES = PageWrites(RESULTS_KEY, (DomainError, AccessDenied, StaleEdit),
                     lambda exc, lang_: ("error", _error(exc, lang_)))
_write, _show = _WRITES.write, _WRITES.show


def _saved(what_key: str):
    return lambda _out, lang_: ta("ov.done", lang_, what=ta(what_key, lang_))


# ------------------------------------------------------------------ callbacks bound to a record
def _submit_spot(sc_id: int, version: int) -> None:
    ss = st.session_state
    _write("spot", oversight.record_spot_check, _saved("ov.record"), spot_check_id=sc_id,
           expected_version=version, result=ss.get(f"ov_spot_{sc_id}_result") or "",
           note=ss.get(f"ov_spot_{sc_id}_note") or "",
           checked_on=ss.get(f"ov_spot_{sc_id}_day") or state.today())


def _submit_review(entry_id: int, version: int) -> None:
    ss = st.session_state
    decision = ss.get(f"ov_bl_{entry_id}_decision")
    if decision not in ("approve", "reject"):
        st.session_state.setdefault(RESULTS_KEY, {})["bl_review"] = (
            "error", ta("ov.err", state.lang(), msg=ta("ov.bl.decision", state.lang())))
        return
    _write("bl_review", intake.review_blacklist, _saved("ov.bl.review"), entry_id=entry_id,
           expected_version=version, approve=decision == "approve",
           note=ss.get(f"ov_bl_{entry_id}_note") or "", on_day=state.today())


def _submit_lift(entry_id: int, version: int) -> None:
    _write("bl_lift", intake.lift_blacklist, _saved("ov.bl.lift"), entry_id=entry_id,
           expected_version=version, reason=st.session_state.get(f"ov_lift_{entry_id}_reason") or "",
           on_day=state.today())


def _publish_disclosure(month: str) -> None:
    def publish(*, session, actor):
        rows = oversight.disclosure_rows(session=session, actor=actor, month=month)
        return oversight.record_disclosure(session=session, actor=actor, month=month, rows=rows,
                                           published_on=state.today())
    _write("disclosure", publish, _saved("ov.download"))


def _publish_spots(month: str) -> None:
    _write("spot_publish", oversight.publish_spot_checks, _saved("ov.publish"), month=month,
           published_on=state.today())


lang, actor, _, day = state.page_start()
engine = state.engine()
role = str(actor.role)
st.title(ta("ov.title", lang))
if role not in OVERSIGHT_ROLES:  # not in their navigation (dashboard.navigation); nothing to show
    st.info(ta("ov.audience", lang))
    st.stop()


def read(fn, **kw):
    with session_scope(engine) as s:
        return fn(session=s, actor=actor, **kw)


tab_spot, tab_bl, tab_funds, tab_disc = st.tabs([ta("ov.tab.spot", lang), ta("ov.tab.blacklist", lang),
                                                 ta("ov.tab.funds", lang), ta("ov.tab.disclosure", lang)])
months = desk.disclosure_months(day)

# ------------------------------------------------------------------ spot checks
with tab_spot:
    month = st.selectbox(ta("ov.month", lang), months, key="ov_spot_month")
    _show("spot_draw")
    if actor.may_write and role == COUNTY:
        with st.form(f"ov_draw_form_{month}"):
            seed = st.number_input(ta("ov.seed", lang), min_value=0, max_value=10**9, value=int(day.strftime("%Y%m%d")),
                                   step=1, key=f"ov_draw_{month}_seed")
            if st.form_submit_button(ta("ov.draw", lang)):
                _write("spot_draw", oversight.draw_spot_checks,
                       lambda out, lang_: ta("ov.drawn", lang_, n=len(out)),
                       month=month, seed=int(seed), drawn_on=day)
                _show("spot_draw")
    spots = read(oversight.spot_check_rows, month=month)
    if not spots:
        st.info(ta("ov.none_drawn", lang))
    else:
        df = pd.DataFrame(spots)
        df["result"] = [spot_result_label(r, lang) for r in df["result"]]
        st.dataframe(labelled(mask_frame(df, actor), ["month", "seed", "grid_code", "case_no", "person_name",
                                                      "inspector", "drawn_on", "result", "result_note",
                                                      "checked_on"], lang),
                     hide_index=True, width="stretch")
        if actor.may_write and role in ("county_staff", "township_leader"):
            st.markdown(f"**{ta('ov.record', lang)}**")
            _show("spot")
            by_id = {r["id"]: r for r in spots}
            sc_id = st.selectbox(ta("ov.pick_check", lang), list(by_id), key="ov_spot_pick",
                                 format_func=lambda i, by_id=by_id: f"{by_id[i]['case_no']} · {by_id[i]['grid_code']}")
            shown = by_id[sc_id]
            with st.form(f"ov_spot_form_{sc_id}"):
                st.selectbox(ta("ov.result", lang), ["ok", "problem"], key=f"ov_spot_{sc_id}_result",
                             format_func=lambda r: spot_result_label(r, lang))
                st.text_input(ta("ov.note", lang), key=f"ov_spot_{sc_id}_note", max_chars=500)
                st.date_input(ta("ov.checked_on", lang), value=day, max_value=day, key=f"ov_spot_{sc_id}_day")
                st.form_submit_button(ta("ov.save", lang), on_click=_submit_spot,
                                      args=(sc_id, int(shown["version"])))
        if actor.may_write and role == COUNTY:
            _show("spot_publish")
            public = oversight.spot_check_public_frame(spots)
            st.download_button(ta("ov.publish", lang),
                               exports.excel_bytes({f"{month}抽查结果": public}, actor, public=True,
                                                   headers=headers(public.columns, "zh")),
                               file_name=f"spot-checks-{month}.xlsx", key=f"ov_spot_dl_{month}",
                               on_click=_publish_spots, args=(month,))

# ------------------------------------------------------------------ blacklist
with tab_bl:
    try:
        bl = read(intake.blacklist_rows)
    except AccessDenied as exc:
        st.error(_error(exc, lang))
        bl = None
    if bl is not None:
        if bl:
            df = pd.DataFrame(bl)
            df["state"] = [intake.BLACKLIST_REVIEW[s][0 if lang == "zh" else 1] for s in df["state"]]
            st.dataframe(labelled(df, ["person_name", "person_id_number", "reason", "evidence", "listed_on",
                                       "listed_by", "state", "reviewed_by", "reviewed_on", "review_note",
                                       "lifted_on", "lift_reason"], lang), hide_index=True, width="stretch")
        else:
            st.info(ta("ov.bl.empty", lang))
        if not actor.may_write:
            st.info(ta("ov.readonly", lang))
        else:
            st.markdown(f"**{ta('ov.bl.propose', lang)}**")
            _show("bl_add")
            with st.form("ov_bl_add_form", clear_on_submit=True):
                a, b = st.columns(2)
                pid = a.text_input(ta("ov.bl.id", lang), key="ov_bl_add_id", max_chars=18)
                pname = b.text_input(ta("ov.bl.name", lang), key="ov_bl_add_name", max_chars=32)
                preason = st.text_input(ta("ov.bl.reason", lang), key="ov_bl_add_reason", max_chars=500)
                pevid = st.text_area(ta("ov.bl.evidence", lang), key="ov_bl_add_evidence", max_chars=1000)
                if st.form_submit_button(ta("ov.bl.submit", lang)):
                    _write("bl_add", intake.add_to_blacklist, _saved("ov.bl.submit"), person_id_number=pid,
                           person_name=pname, reason=preason, evidence=pevid, listed_on=day)
                    st.rerun()  # the new entry in the list and the review form
            pending = [r for r in bl if r["state"] == "pending"]
            st.markdown(f"**{ta('ov.bl.review', lang)}**")
            _show("bl_review")
            if not pending:
                st.caption(ta("ov.bl.none_pending", lang))
            else:
                by_id = {r["id"]: r for r in pending}
                eid = st.selectbox(ta("ov.bl.pick", lang), list(by_id), key="ov_bl_pick",
                                   format_func=lambda i, by_id=by_id: f"#{i} {by_id[i]['person_name']} {by_id[i]['person_id_number']}"
                                                         f"（{by_id[i]['listed_by']}）")
                with st.form(f"ov_bl_review_form_{eid}"):
                    st.radio(ta("ov.bl.decision", lang), ["approve", "reject"], index=None,
                             key=f"ov_bl_{eid}_decision", horizontal=True,
                             format_func=lambda d: ta("ov.bl.approve" if d == "approve" else "ov.bl.reject", lang))
                    st.text_input(ta("ov.bl.note", lang), key=f"ov_bl_{eid}_note", max_chars=500)
                    st.form_submit_button(ta("ov.save", lang), on_click=_submit_review,
                                          args=(eid, int(by_id[eid]["version"])))
            active = [r for r in bl if r["state"] == "approved"]
            st.markdown(f"**{ta('ov.bl.lift', lang)}**")
            _show("bl_lift")
            if not active:
                st.caption(ta("ov.bl.none_active", lang))
            else:
                by_id = {r["id"]: r for r in active}
                lid = st.selectbox(ta("ov.bl.pick_lift", lang), list(by_id), key="ov_lift_pick",
                                   format_func=lambda i, by_id=by_id: f"#{i} {by_id[i]['person_name']} {by_id[i]['person_id_number']}")
                with st.form(f"ov_lift_form_{lid}"):
                    st.text_input(ta("ov.bl.lift_reason", lang), key=f"ov_lift_{lid}_reason", max_chars=500)
                    st.form_submit_button(ta("ov.bl.lift", lang), on_click=_submit_lift,
                                          args=(lid, int(by_id[lid]["version"])))

# ------------------------------------------------------------------ funds
with tab_funds:
    year = int(st.selectbox(ta("ov.year", lang), [day.year, day.year - 1], key="ov_fund_year"))
    f = read(funds.fund_summary, year=year)
    st.markdown(ta("ov.funds.line", lang, county=f["county_reserve_yuan"], village=f["village_reserves_yuan"],
                   don=f["donations_yuan"], spent=f["town_spent_yuan"], sc=f["settlement_county_yuan"],
                   st=f["settlement_town_yuan"],
                   settled=ta("ov.settled", lang, on=f["settled_on"]) if f["settled"] else ta("ov.unsettled", lang)))
    if actor.may_write and role == COUNTY:
        st.markdown(f"**{ta('ov.allocate', lang)}**")
        _show("allocate")
        if st.button(ta("ov.allocate_btn", lang, year=year), key=f"ov_alloc_{year}"):
            _write("allocate", funds.allocate_year, _saved("ov.allocate"), year=year, on_day=day)
            st.rerun()
    if actor.may_write and role in ("county_staff", "township_leader"):
        st.markdown(f"**{ta('ov.donation', lang)}**")
        _show("donation")
        with st.form("ov_don_form", clear_on_submit=True):
            a, b = st.columns(2)
            amount = a.number_input(ta("ov.amount", lang), min_value=0.0, value=0.0, step=100.0, key="ov_don_amount")
            on = b.date_input(ta("ov.day", lang), value=day, max_value=day, key="ov_don_day")
            note = st.text_input(ta("ov.don_note", lang), key="ov_don_note", max_chars=200)
            if st.form_submit_button(ta("ov.save", lang)):
                _write("donation", funds.record_donation, _saved("ov.donation"), on_day=on,
                       amount_yuan=amount, note=note)
                st.rerun()
    if actor.may_write and role == COUNTY and not f["settled"]:
        st.markdown(f"**{ta('ov.settle', lang)}**")
        st.info(ta("ov.settle_preview", lang, spent=f["town_spent_yuan"], sc=f["settlement_county_yuan"],
                   st=f["settlement_town_yuan"]))
        with st.form(f"ov_settle_form_{year}"):
            confirm = st.checkbox(ta("ov.settle_confirm", lang), key=f"ov_settle_{year}_confirm")
            if st.form_submit_button(ta("ov.settle_btn", lang)):
                if not confirm:
                    st.session_state.setdefault(RESULTS_KEY, {})["settle"] = (
                        "warning", ta("ov.settle_need_confirm", lang))
                else:
                    _write("settle", funds.settle_year,
                           lambda out, lang_: ta("ov.settle_done", lang_, year=year,
                                                 sc=out["settlement_county_yuan"], st=out["settlement_town_yuan"]),
                           year=year, on_day=day)
                st.rerun()
    _show("settle")
    st.markdown(f"**{ta('ov.stipend', lang, amount=funds.stipend_yuan())}**")
    if actor.may_write and role in ("county_staff", "township_leader"):
        _show("stipend")
        codes = state.all_grid_codes(state.db_url())
        with st.form("ov_stipend_form", clear_on_submit=True):
            a, b, c, d = st.columns(4)
            smonth = a.selectbox(ta("ov.month", lang), [f"{day:%Y-%m}", *months], key="ov_stip_month")
            scode = b.selectbox(ta("ov.stipend_grid", lang), codes, key="ov_stip_grid")
            sname = c.text_input(ta("ov.stipend_name", lang), key="ov_stip_name", max_chars=32)
            spaid = d.date_input(ta("ov.stipend_paid", lang), value=day, max_value=day, key="ov_stip_paid")
            if st.form_submit_button(ta("ov.stipend_btn", lang)):
                _write("stipend", funds.record_stipend, _saved("ov.stipend_btn"), month=smonth,
                       grid_code=scode, assistant_name=sname, paid_on=spaid)
                st.rerun()
    rep = read(funds.stipend_report, year=year, through_month=f"{day:%Y-%m}")
    if rep:
        st.dataframe(labelled(pd.DataFrame(rep), ["grid_code", "grid_name", "assistant_name", "months_paid",
                                                  "months_missing", "total_yuan"], lang),
                     hide_index=True, width="stretch")

# ------------------------------------------------------------------ monthly disclosure
with tab_disc:
    dmonth = st.selectbox(ta("ov.month", lang), months, key="ov_disc_month")
    st.markdown(f"**{ta('ov.disclosure', lang)}**")
    drows = read(oversight.disclosure_rows, month=dmonth)
    frame = oversight.disclosure_frame(drows, dmonth)
    # as text, the way it is printed: the total and note lines' empty cells blank (not "None")
    shown = frame.map(lambda v: "" if pd.isna(v) else f"{v:,.2f}" if isinstance(v, float) else str(v))
    st.dataframe(shown.rename(columns=disclosure_headers(shown.columns, lang)), hide_index=True,
                 width="stretch")
    _show("disclosure")
    may_publish = actor.may_write and role in ("county_staff", "township_leader")
    st.download_button(ta("ov.download" if may_publish else "ov.download_ro", lang),
                       exports.excel_bytes({f"{dmonth}公示": desk.disclosure_listing(frame, len(drows))},
                                           actor, public=True, headers=desk.DISCLOSURE_PERSONAL),
                       file_name=f"disclosure-{dmonth}.xlsx", key=f"ov_disc_dl_{dmonth}",
                       on_click=_publish_disclosure if may_publish else None,
                       args=(dmonth,) if may_publish else None)
    hist = read(oversight.disclosure_history)
    if hist:
        st.caption(ta("ov.history", lang))
        st.dataframe(labelled(pd.DataFrame(hist), ["month", "published_on", "rows", "total_yuan",
                                                   "published_by"], lang), hide_index=True, width="stretch")
