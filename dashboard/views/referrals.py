"""转诊接收: the receiving department (role department) sees the referrals sent to its scheme and
accepts or returns them (with a reason), or marks them done. Thin: the list and the answer are
cases.referrals.department_referrals and cases.desk.update_referral_bound (the one service
cases.services.update_referral, scoped to the department's scheme in the domain). The answer form
is bound to the referral and version it showed; user text is shown as text."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from cases import desk
from cases.referrals import department_referrals
from cases.rules import REFERRAL_SCHEMES, REFERRAL_TRANSITIONS, DomainError, ReferralStatus
from dashboard import state
from dashboard.plain_text import plain
from dashboard.texts import error_text, t
from dashboard.texts_cases import department_label, referral_status_label, scheme_name, tc
from grid.access import AccessDenied
from grid.db import StaleEdit, session_scope
from jizhen.privacy import mask_frame

RESULT_KEY = "dept_result"
OPEN = [ReferralStatus.sent.value, ReferralStatus.accepted.value]


def _submit(shown: dict) -> None:
    ss = st.session_state
    lang_, actor_ = state.lang(), state.current_actor()
    ref_id, answer = ss.get("dept_ref_id"), ss.get("dept_decision")
    if actor_ is None:
        return
    if ref_id not in shown or not answer:
        ss[RESULT_KEY] = ("error", tc("err.domain", lang_, msg=tc("dept.pick", lang_) + " / " +
                                      tc("dept.decision", lang_)))
        return
    try:
        with session_scope(state.engine()) as s:
            desk.update_referral_bound(session=s, actor=actor_, shown=shown[ref_id], status=answer,
                                       on_day=state.today(), reason=ss.get("dept_reason") or "")
    except desk.FormOutdated as exc:
        ss[RESULT_KEY] = ("warning", plain(exc.zh if lang_ == "zh" else exc.en))
        return
    except DomainError as exc:
        ss[RESULT_KEY] = ("error", tc("err.domain", lang_, msg=plain(exc.zh if lang_ == "zh" else exc.en)))
        return
    except AccessDenied as exc:
        ss[RESULT_KEY] = ("error", tc("err.denied", lang_, msg=plain(error_text(exc, lang_))))
        return
    except StaleEdit:
        ss[RESULT_KEY] = ("error", tc("err.stale", lang_))
        return
    state.clear_after_write()
    for key in ("dept_ref_id", "dept_decision", "dept_reason"):  # a fresh form for the next answer
        ss.pop(key, None)
    ss[RESULT_KEY] = ("success", tc("act.done", lang_, what=referral_status_label(answer, lang_)))


lang, actor, _, day = state.page_start()
st.title(tc("dept.title", lang))
if actor.role == "department":
    if not actor.scheme:
        st.warning(tc("dept.no_scheme", lang))
        st.stop()
    _name, dept = REFERRAL_SCHEMES[actor.scheme]
    st.caption(tc("dept.scope", lang, dept=department_label(dept, lang),
                  scheme=scheme_name(actor.scheme, lang)))

status = st.selectbox(tc("dept.filter", lang), [state.NO_CHOICE, *(s.value for s in ReferralStatus)],
                      format_func=lambda v: tc("filter.all", lang) if v == state.NO_CHOICE else referral_status_label(v, lang),
                      key="dept_status", placeholder=t("choose", lang))
try:
    with session_scope(state.engine()) as s:
        rows = department_referrals(session=s, actor=actor, status=state.chosen(status))
except AccessDenied as exc:
    st.error(tc("err.denied", lang, msg=plain(error_text(exc, lang))))
    st.stop()

kind, text = st.session_state.pop(RESULT_KEY, (None, None))
if kind:
    getattr(st, kind)(text)
if not rows:
    st.info(tc("dept.none", lang))
else:
    df = mask_frame(pd.DataFrame(rows), actor)  # the one masking rule (a department sees its people)
    st.dataframe(pd.DataFrame({
        tc("dept.col.case_no", lang): df["case_no"],
        tc("dept.col.scheme", lang): [scheme_name(v, lang) for v in df["scheme"]],
        tc("dept.col.status", lang): [referral_status_label(v, lang) for v in df["status"]],
        tc("dept.col.sent_on", lang): df["sent_on"],
        tc("dept.col.person", lang): df["person_name"],
        tc("dept.col.id_number", lang): df["person_id_number"],
        tc("dept.col.fast", lang): [tc("yes" if v else "no", lang) for v in df["fast_track"]],
        tc("dept.col.cost", lang): df["compliant_cost_yuan"],
        tc("dept.col.paid", lang): df["insurance_paid_yuan"],
        tc("dept.col.amount", lang): df["reimbursed_yuan"],
        tc("dept.col.responded_on", lang): df["responded_on"],
        tc("dept.col.reason", lang): df["reason"],
    }), hide_index=True, width="stretch")

open_rows = [r for r in rows if r["status"] in OPEN]
if open_rows and actor.may_write:
    shown = {r["id"]: desk.ShownReferral(int(r["id"]), int(r["version"]), str(r["status"]))
             for r in open_rows}
    labels = {r["id"]: t("fmt.name_code", lang, name=f"{r['case_no']} {r['person_name']}",
                         code=referral_status_label(r["status"], lang))
              for r in open_rows}
    answers = sorted({a.value for r in open_rows for a in REFERRAL_TRANSITIONS[ReferralStatus(r["status"])]},
                     key=[s.value for s in ReferralStatus].index)
    with st.form("dept_answer_form"):
        st.markdown(f"**{tc('dept.answer', lang)}**")
        st.selectbox(tc("dept.pick", lang), list(labels), index=None, key="dept_ref_id",
                     format_func=lambda i: labels[i], placeholder=t("choose", lang))
        st.radio(tc("dept.decision", lang), answers, index=None, horizontal=True, key="dept_decision",
                 format_func=lambda v: referral_status_label(v, lang))
        st.text_input(tc("dept.reason", lang), key="dept_reason")
        st.form_submit_button(tc("dept.submit", lang), on_click=_submit, args=(shown,))
