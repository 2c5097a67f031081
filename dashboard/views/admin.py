"""系统管理 (county staff): grid workers (add, move, deactivate, roster import), grid boundaries
(upload, preview on the map with the consequences for households, then confirm), households
outside every grid (correct the location or assign a grid by hand, with a reason) and the login
accounts (list; add with a generated or typed password; reset the password, disable/enable,
unlock, change role/grids/scheme, link a grid worker: jizhen.users.admin).

Thin: widgets -> one grid.workers / grid.imports.grids call -> render; permission checks live in
those services. A form acting on a record carries its id in the widget keys and passes the
version it showed. An uploaded file is kept as (name, bytes) in session_state (UPLOAD keys): the
boundary import confirms exactly the bytes that were previewed. A generated password is kept in
session_state (NEW_PASSWORD) only until the next run draws it, once."""
from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

from dashboard import exports, outside_panel, state
from dashboard.plain_text import plain
from dashboard.texts import error_text
from dashboard.page_writes import PageWrites
from dashboard.texts_admin import labelled, ta
from grid import workers as wk
from grid.access import AccessDenied
from grid.db import StaleEdit, session_scope
from grid.imports.grids import GridFileError, import_grids, preview_grids
from grid.imports.report import InvalidImport
from cases.vocabulary import ReferralScheme
from dashboard.texts_cases import scheme_label
from jizhen.settings import TIMEZONE
from jizhen.users import admin as ua
from jizhen.users.demo import random_password  # the one random-password generator
from jizhen.users.model import GRID_ROLES, HUMAN_ROLES, UserError
from jizhen.vocabulary import role_label

RESULTS_KEY = "ad_results"
ROSTER_UPLOAD = "ad_roster_upload"  # (file name, bytes)
GRID_UPLOAD = "ad_grid_upload"  # (file name, bytes)
NEW_PASSWORD = "ad_u_new_password"  # (where, username, password): drawn once, then dropped
ROLE_VALUES = [r.value for r in HUMAN_ROLES]
GRID_ROLE_VALUES = {r.value for r in GRID_ROLES}
# the add form's fields and their empty values (set, not removed: the browser would send the old value back)
ADD_FIELDS = {"ad_u_add_username": "", "ad_u_add_name": "", "ad_u_add_grids": [], "ad_u_add_scheme": "",
              "ad_u_add_worker": state.NO_CHOICE}


def _error(exc: Exception, lang: str) -> str:
    if isinstance(exc, wk.WorkerError):
        return ta("ov.err", lang, msg=plain(exc.zh if lang == "zh" else exc.en))
    if isinstance(exc, StaleEdit):
        return ta("ov.stale", lang, msg=plain(str(exc)))
    if isinstance(exc, InvalidImport):
        return ta("ad.invalid", lang, n=len(exc.problems)) + "\n\n" + "\n".join(
            f"- {plain(p.line(exc.report.unit, lang))}" for p in exc.problems[:200])
    if isinstance(exc, (GridFileError, UserError)):  # a UserError carries its English (error_text)
        return ta("ov.err", lang, msg=plain(error_text(exc, lang)))
    return ta("ov.denied", lang, msg=plain(error_text(exc, lang)))  # AccessDenied: zh/en


_WRITES = PageWrites(RESULTS_KEY, (wk.WorkerError, AccessDenied, StaleEdit, InvalidImport, GridFileError, UserError),
                     lambda exc, lang_: ("error", _error(exc, lang_)))
_write, _show = _WRITES.write, _WRITES.show


def _saved(key: str):
    return lambda _out, lang_: ta("ov.done", lang_, what=ta(key, lang_))


def _as_file(upload: tuple[str, bytes], folder: str) -> Path:
    name, data = upload
    path = Path(folder) / Path(name).name
    path.write_bytes(data)
    return path


# ------------------------------------------------------------------ callbacks bound to a record
def _submit_move(worker_id: int, version: int) -> None:
    ss = st.session_state
    _write("worker", wk.move_worker, _saved("ad.move"), worker_id=worker_id, expected_version=version,
           grid_code=ss.get(f"ad_w_{worker_id}_grid") or "", reason=ss.get(f"ad_w_{worker_id}_move_reason") or "")


def _submit_deactivate(worker_id: int, version: int) -> None:
    _write("worker", wk.deactivate_worker, _saved("ad.deactivate"), worker_id=worker_id,
           expected_version=version, reason=st.session_state.get(f"ad_w_{worker_id}_off_reason") or "")


def _confirm_grids(digest: str) -> None:
    upload = st.session_state.get(GRID_UPLOAD)
    lang_now = state.lang()
    if not upload or hashlib.sha256(upload[1]).hexdigest() != digest:  # not the file previewed
        st.session_state.setdefault(RESULTS_KEY, {})["grids"] = ("warning", ta("ad.grid_help", lang_now))
        return
    with tempfile.TemporaryDirectory() as folder:
        path = _as_file(upload, folder)
        _write("grids", import_grids,
               lambda rep, lang_: ta("ad.grid_done", lang_, created=rep.created, updated=rep.updated,
                                     moved=rep.details.get("households_moved", 0),
                                     outside=rep.details.get("households_outside", 0)),
               path=path)
    st.session_state.pop(GRID_UPLOAD, None)


# ------------------------------------------------------------------ account callbacks
def _succeeded(where: str) -> bool:
    return st.session_state.get(RESULTS_KEY, {}).get(where, ("",))[0] == "success"


def _account_fields(ss, prefix: str, role: str) -> dict:
    """The role-dependent inputs of an account form: grids (grid roles), scheme (department)."""
    return {"grid_codes": list(ss.get(f"{prefix}_grids") or []) if role in GRID_ROLE_VALUES else None,
            "scheme": (ss.get(f"{prefix}_scheme") or None) if role == "department" else None}


def _submit_add_account() -> None:
    ss = st.session_state
    role = ss.get("ad_u_add_role") or ""
    typed = ss.get("ad_u_add_pwmode") == "typed"
    password, again = (ss.get("ad_u_add_pw1") or "", ss.get("ad_u_add_pw2") or "") if typed else (random_password(),) * 2
    for key in ("ad_u_add_pw1", "ad_u_add_pw2"):  # a typed password never outlives its submit
        if key in ss:
            ss[key] = ""
    if password != again:
        lang_now = state.lang()
        ss.setdefault(RESULTS_KEY, {})["account_add"] = (
            "error", ta("ov.err", lang_now, msg=ta("ad.u.pw_mismatch", lang_now)))
        return
    username = (ss.get("ad_u_add_username") or "").strip()
    _write("account_add", ua.add_user,
           lambda u, lang_: ta("ad.u.added", lang_, user=plain(u.username), role=role_label(u.role, lang_)),
           username=username, password=password, role=role, display_name=ss.get("ad_u_add_name") or "",
           worker_id=state.chosen(ss.get("ad_u_add_worker")) if role == "grid_worker" else None,
           **_account_fields(ss, "ad_u_add", role))
    if _succeeded("account_add"):
        if not typed:
            ss[NEW_PASSWORD] = ("account_add", username, password)
        for key, empty in ADD_FIELDS.items():
            if key in ss:
                ss[key] = empty


def _submit_reset(user_id: int, username: str, version: int) -> None:
    password = random_password()
    _write("account", ua.set_password,
           lambda u, lang_: ta("ad.u.reset_done", lang_, user=plain(u.username)),
           username=username, password=password, expected_version=version, reason="重置密码（系统生成）")
    if _succeeded("account"):
        st.session_state[NEW_PASSWORD] = ("account", username, password)


def _submit_disable(user_id: int, username: str, version: int, disabled: bool) -> None:
    _write("account", ua.disable_user,
           lambda u, lang_: ta("ad.u.disabled_done" if u.disabled else "ad.u.enabled_done", lang_,
                               user=plain(u.username)),
           username=username, disabled=disabled, expected_version=version,
           reason=st.session_state.get(f"ad_u_{user_id}_reason") or "")


def _submit_unlock(user_id: int, username: str, version: int) -> None:
    _write("account", ua.unlock_user, lambda u, lang_: ta("ad.u.unlocked", lang_, user=plain(u.username)),
           username=username, expected_version=version)


def _submit_role(user_id: int, username: str, version: int) -> None:
    ss = st.session_state
    role = ss.get(f"ad_u_{user_id}_role") or ""
    _write("account", ua.set_role,
           lambda u, lang_: ta("ad.u.role_done", lang_, user=plain(u.username), role=role_label(u.role, lang_)),
           username=username, role=role, expected_version=version, **_account_fields(ss, f"ad_u_{user_id}", role))


def _submit_link(user_id: int, username: str, version: int) -> None:
    _write("account", ua.set_worker, lambda u, lang_: ta("ad.u.link_done", lang_, user=plain(u.username)),
           username=username, worker_id=state.chosen(st.session_state.get(f"ad_u_{user_id}_worker")),
           expected_version=version)


def _show_new_password(where: str, lang: str) -> None:
    """The generated password of the account just saved: drawn this once, then gone."""
    held = st.session_state.get(NEW_PASSWORD)
    if held and held[0] == where:
        st.session_state.pop(NEW_PASSWORD, None)
        st.warning(ta("ad.u.pw_once", lang, user=plain(held[1])))
        st.code(held[2], language=None)


def _shanghai(values) -> list[str]:
    stamps = pd.to_datetime(pd.Series(list(values), dtype="object"), utc=True)
    return ["" if pd.isna(v) else v.tz_convert(TIMEZONE).strftime("%Y-%m-%d %H:%M") for v in stamps]


lang, actor, url, day = state.page_start()
engine = state.engine()
st.title(ta("ad.title", lang))
if str(actor.role) != "county_staff" or not actor.may_write:
    st.info(ta("ad.county_only", lang))
    st.stop()


def read(fn, **kw):
    with session_scope(engine) as s:
        return fn(session=s, actor=actor, **kw)


codes = state.all_grid_codes(url)
tab_w, tab_roster, tab_grids, tab_out, tab_acc = st.tabs(
    [ta("ad.tab.workers", lang), ta("ad.tab.roster", lang), ta("ad.tab.grids", lang), ta("ad.tab.outside", lang),
     ta("ad.tab.accounts", lang)])
emp = {k: v[0 if lang == "zh" else 1] for k, v in wk.EMPLOYMENT.items()}
yes_no = (ta("ad.u.yes", lang), ta("ad.u.no", lang))

# ------------------------------------------------------------------ workers
with tab_w:
    show_inactive = st.checkbox(ta("ad.show_inactive", lang), key="ad_w_inactive")
    rows = read(wk.worker_rows, include_inactive=show_inactive)
    if rows:
        df = pd.DataFrame(rows)
        df["employment"] = df["employment"].map(emp)
        df["active"] = [yes_no[0] if a else yes_no[1] for a in df["active"]]
        st.dataframe(labelled(df, ["grid_code", "grid_name", "name", "phone", "employment", "active"], lang),
                     hide_index=True, width="stretch")
    _show("worker_add")
    with st.form("ad_add_form", clear_on_submit=True):
        st.markdown(f"**{ta('ad.add', lang)}**")
        a, b, c, d = st.columns(4)
        name = a.text_input(ta("ad.name", lang), key="ad_add_name", max_chars=32)
        phone = b.text_input(ta("ad.phone", lang), key="ad_add_phone", max_chars=20)
        kind = c.selectbox(ta("ad.employment", lang), list(emp), format_func=emp.get, key="ad_add_kind")
        code = d.selectbox(ta("ad.grid", lang), codes, key="ad_add_grid")
        if st.form_submit_button(ta("ad.add_btn", lang)):
            _write("worker_add", wk.add_worker, _saved("ad.add"), name=name, phone=phone, employment=kind,
                   grid_code=code)
            st.rerun()
    active = [r for r in rows if r["active"]]
    _show("worker")
    if active:
        by_id = {r["id"]: r for r in active}
        wid = st.selectbox(ta("ad.pick_worker", lang), list(by_id), key="ad_w_pick",
                           format_func=lambda i, by_id=by_id: f"{by_id[i]['name']} · {by_id[i]['grid_code']} · {emp[by_id[i]['employment']]}")
        shown = by_id[wid]
        left, right = st.columns(2)
        with left.form(f"ad_move_form_{wid}"):
            st.markdown(f"**{ta('ad.move', lang)}**")
            st.selectbox(ta("ad.grid", lang), [c for c in codes if c != shown["grid_code"]], key=f"ad_w_{wid}_grid")
            st.text_input(ta("ad.reason", lang), key=f"ad_w_{wid}_move_reason", max_chars=500)
            st.form_submit_button(ta("ad.move_btn", lang), on_click=_submit_move, args=(wid, int(shown["version"])))
        with right.form(f"ad_off_form_{wid}"):
            st.markdown(f"**{ta('ad.deactivate', lang)}**")
            st.text_input(ta("ad.reason", lang), key=f"ad_w_{wid}_off_reason", max_chars=500)
            st.form_submit_button(ta("ad.deactivate_btn", lang), on_click=_submit_deactivate,
                                  args=(wid, int(shown["version"])))

# ------------------------------------------------------------------ roster import
with tab_roster:
    st.caption(ta("ad.roster_help", lang))
    st.download_button(ta("ad.roster_template", lang),
                       exports.excel_bytes({"网格员": pd.DataFrame(wk.roster_template_rows())}, actor, public=False),
                       file_name="网格员名册模板.xlsx", key="ad_roster_tpl")
    up = st.file_uploader(ta("ad.roster_file", lang), type=["xlsx", "csv"], key="ad_roster_file")
    if up is not None:
        st.session_state[ROSTER_UPLOAD] = (up.name, up.getvalue())
    _show("roster")
    if st.session_state.get(ROSTER_UPLOAD) and st.button(ta("ad.import_btn", lang), key="ad_roster_go"):
        with tempfile.TemporaryDirectory() as folder:
            path = _as_file(st.session_state[ROSTER_UPLOAD], folder)
            _write("roster", wk.import_roster, lambda rep, lang_: ta("ad.imported", lang_, n=rep.created), path=path)
        _show("roster")

# ------------------------------------------------------------------ grid boundaries
with tab_grids:
    st.caption(ta("ad.grid_help", lang))
    up = st.file_uploader(ta("ad.grid_file", lang), type=["geojson", "json", "gpkg", "zip"], key="ad_grid_file")
    if up is not None:
        st.session_state[GRID_UPLOAD] = (up.name, up.getvalue())
    _show("grids")
    upload = st.session_state.get(GRID_UPLOAD)
    if upload:
        preview = None
        with tempfile.TemporaryDirectory() as folder:
            try:
                with session_scope(engine) as s:
                    preview = preview_grids(_as_file(upload, folder), session=s, actor=actor)
            except (InvalidImport, GridFileError, AccessDenied) as exc:
                st.error(_error(exc, lang))
        if preview is not None:
            st.info(ta("ad.preview", lang, created=len(preview["created"]), updated=len(preview["updated"]),
                       moved=preview["moved"], outside=preview["outside"], total=preview["outside_total"],
                       by_hand=preview["kept_by_hand"]))
            from streamlit_folium import st_folium

            from dashboard import maps

            problem = state.basemap_problem()
            fmap = maps.build_map(preview["grids"], grid_values=pd.Series(dtype=float),
                                  tiles="none" if problem else state.get_settings().tiles,
                                  tianditu_key=state.get_settings().tianditu_key, lang=lang, height=380)
            st_folium(fmap, height=380, use_container_width=True, key="ad_grid_map", returned_objects=[])
            if preview["by_pair"]:
                st.dataframe(labelled(pd.DataFrame(preview["by_pair"]), ["from_code", "to_code", "households"], lang),
                             hide_index=True, width="stretch")
            for key, sample in (("ad.moves", preview["moved_sample"]), ("ad.strays", preview["outside_sample"])):
                if sample:
                    st.caption(ta(key, lang))
                    st.dataframe(labelled(pd.DataFrame(sample), ["id", "head_name", "address", "from_code", "to_code"],
                                          lang), hide_index=True, width="stretch")
            st.button(ta("ad.confirm_import", lang), key="ad_grid_go", type="primary", on_click=_confirm_grids,
                      args=(hashlib.sha256(upload[1]).hexdigest(),))

# ------------------------------------------------------------------ households outside every grid
with tab_out:
    outside_panel.draw(actor, lang, codes, _WRITES, "ad")


# ------------------------------------------------------------------ accounts
with tab_acc:
    st.caption(ta("ad.u.help", lang))
    accounts = read(ua.account_rows)
    workers = {w["id"]: w for w in read(wk.worker_rows, include_inactive=False)}
    yes, no = yes_no

    def _role_name(value: str) -> str:
        return role_label(value, lang)

    def _scheme_name(value: str) -> str:
        return scheme_label(value, lang) if value else ta("ad.u.pick_scheme", lang)

    def _worker_name(wid) -> str:
        if state.chosen(wid) is None:
            return ta("ad.u.no_worker", lang)
        w = workers.get(wid)
        return f"{w['name']} · {w['grid_code']} · #{wid}" if w else f"#{wid}"

    if accounts:
        table = pd.DataFrame(accounts)
        table["role"] = [_role_name(r) for r in table["role"]]
        table["grids"] = [a["grid_codes"] if a["role"] in GRID_ROLE_VALUES else
                          ("" if a["role"] == "department" else ta("ad.u.all_grids", lang)) for a in accounts]
        table["scheme"] = [scheme_label(a["scheme"], lang) if a["scheme"] else "" for a in accounts]
        table["worker"] = [f"{a['worker_name']} · #{a['worker_id']}" if a["worker_id"] else "" for a in accounts]
        table["enabled"] = [no if a["disabled"] else yes for a in accounts]
        table["locked_until"] = _shanghai(a["locked_until"] for a in accounts)
        table["last_login_at"] = _shanghai(a["last_login_at"] for a in accounts)
        st.dataframe(labelled(table, ["username", "display_name", "role", "grids", "scheme", "worker", "enabled",
                                      "locked_until", "last_login_at"], lang), hide_index=True, width="stretch")
    else:
        st.info(ta("ad.u.none", lang))

    # ---- add an account
    with st.container(border=True):
        st.markdown(f"**{ta('ad.u.add', lang)}**")
        _show("account_add")
        _show_new_password("account_add", lang)
        a, b, c = st.columns(3)
        a.text_input(ta("ad.u.username", lang), key="ad_u_add_username", max_chars=64)
        b.text_input(ta("ad.u.display_name", lang), key="ad_u_add_name", max_chars=64)
        new_role = c.selectbox(ta("ad.u.role", lang), ROLE_VALUES, format_func=_role_name, key="ad_u_add_role")
        if new_role in GRID_ROLE_VALUES:
            picked = st.multiselect(ta("ad.u.grids", lang), codes, key="ad_u_add_grids")
            if new_role == "grid_worker":
                options = [state.NO_CHOICE] + [i for i, w in workers.items() if not picked or w["grid_code"] in picked]
                st.selectbox(ta("ad.u.worker", lang), options, format_func=_worker_name, key="ad_u_add_worker")
        if new_role == "department":
            st.selectbox(ta("ad.u.scheme", lang), [""] + [s.value for s in ReferralScheme],
                         format_func=_scheme_name, key="ad_u_add_scheme")
        mode = st.radio(ta("ad.u.pwmode", lang), ["generated", "typed"], horizontal=True, key="ad_u_add_pwmode",
                        format_func=lambda m: ta("ad.u.pw_generated" if m == "generated" else "ad.u.pw_typed", lang))
        if mode == "typed":
            p1, p2 = st.columns(2)
            p1.text_input(ta("ad.u.pw1", lang), type="password", key="ad_u_add_pw1", max_chars=200)
            p2.text_input(ta("ad.u.pw2", lang), type="password", key="ad_u_add_pw2", max_chars=200)
        st.button(ta("ad.u.add_btn", lang), key="ad_u_add_go", type="primary", on_click=_submit_add_account)

    # ---- one account: every form bound to its id and the version shown
    if accounts:
        st.subheader(ta("ad.u.manage", lang))
        by_uid = {a["id"]: a for a in accounts}
        uid = st.selectbox(ta("ad.u.pick", lang), list(by_uid), key="ad_u_pick",
                           format_func=lambda i: f"{by_uid[i]['username']}（{_role_name(by_uid[i]['role'])}）"
                           if lang == "zh" else f"{by_uid[i]['username']} ({_role_name(by_uid[i]['role'])})")
        acc = by_uid[uid]
        bind = (uid, acc["username"], int(acc["version"]))
        _show("account")
        _show_new_password("account", lang)
        own = acc["username"] == actor.username
        if own:
            st.caption(ta("ad.u.own", lang))
        left, right = st.columns(2)
        with left.container(border=True):
            st.markdown(f"**{ta('ad.u.reset', lang)}**")
            st.caption(ta("ad.u.reset_help", lang))
            # own account: a reset ends this very login before the new password could be shown
            st.button(ta("ad.u.reset_btn", lang), key=f"ad_u_{uid}_reset", on_click=_submit_reset, args=bind,
                      disabled=own)
        with left.container(border=True):
            st.markdown(f"**{ta('ad.u.state', lang)}**")
            st.text_input(ta("ad.u.reason", lang), key=f"ad_u_{uid}_reason", max_chars=500)
            if acc["disabled"]:
                st.button(ta("ad.u.enable_btn", lang), key=f"ad_u_{uid}_enable", on_click=_submit_disable,
                          args=(*bind, False))
            else:
                st.button(ta("ad.u.disable_btn", lang), key=f"ad_u_{uid}_disable", on_click=_submit_disable,
                          args=(*bind, True))
        with left.container(border=True):
            st.markdown(f"**{ta('ad.u.lock', lang)}**")
            until = _shanghai([acc["locked_until"]])[0]
            st.caption(ta("ad.u.locked", lang, until=until) if until else ta("ad.u.not_locked", lang))
            st.button(ta("ad.u.unlock_btn", lang), key=f"ad_u_{uid}_unlock", on_click=_submit_unlock, args=bind,
                      disabled=not until)
        with right.container(border=True):
            st.markdown(f"**{ta('ad.u.role_edit', lang)}**")
            role_now = st.selectbox(ta("ad.u.role", lang), ROLE_VALUES, format_func=_role_name,
                                    index=ROLE_VALUES.index(acc["role"]) if acc["role"] in ROLE_VALUES else 0,
                                    key=f"ad_u_{uid}_role")
            if role_now in GRID_ROLE_VALUES:
                mine = [c for c in acc["grid_codes"].split(",") if c in codes]
                st.multiselect(ta("ad.u.grids", lang), codes, default=mine, key=f"ad_u_{uid}_grids")
            if role_now == "department":
                schemes = [""] + [s.value for s in ReferralScheme]
                st.selectbox(ta("ad.u.scheme", lang), schemes, format_func=_scheme_name,
                             index=schemes.index(acc["scheme"]) if acc["scheme"] in schemes else 0,
                             key=f"ad_u_{uid}_scheme")
            st.button(ta("ad.u.role_btn", lang), key=f"ad_u_{uid}_role_go", on_click=_submit_role, args=bind)
        if acc["role"] == "grid_worker":
            with right.container(border=True):
                st.markdown(f"**{ta('ad.u.link', lang)}**")
                mine = set(acc["grid_codes"].split(","))
                options = [state.NO_CHOICE] + [i for i, w in workers.items() if w["grid_code"] in mine]
                if acc["worker_id"] is not None and acc["worker_id"] not in options:
                    options.append(acc["worker_id"])
                st.selectbox(ta("ad.u.worker", lang), options, format_func=_worker_name,
                             index=options.index(state.NO_CHOICE if acc["worker_id"] is None else acc["worker_id"]),
                             key=f"ad_u_{uid}_worker")
                st.button(ta("ad.u.link_btn", lang), key=f"ad_u_{uid}_link_go", on_click=_submit_link, args=bind)
