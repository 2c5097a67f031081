"""系统管理 (county staff): grid workers (add, move, deactivate, roster import), grid boundaries
(upload, preview on the map with the consequences for households, then confirm) and households
outside every grid (correct the location or assign a grid by hand, with a reason).

Thin: widgets -> one grid.workers / grid.imports.grids call -> render; permission checks live in
those services. A form acting on a record carries its id in the widget keys and passes the
version it showed. An uploaded file is kept as (name, bytes) in session_state (UPLOAD keys): the
boundary import confirms exactly the bytes that were previewed."""
from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

from dashboard import exports, state
from dashboard.plain_text import plain
from dashboard.page_writes import PageWrites
from dashboard.texts_admin import labelled, ta
from grid import workers as wk
from grid.access import AccessDenied
from grid.db import StaleEdit, session_scope
from grid.imports.grids import GridFileError, import_grids, preview_grids
from grid.imports.report import InvalidImport

RESULTS_KEY = "ad_results"
ROSTER_UPLOAD = "ad_roster_upload"  # (file name, bytes)
GRID_UPLOAD = "ad_grid_upload"  # (file name, bytes)


def _error(exc: Exception, lang: str) -> str:
    if isinstance(exc, wk.WorkerError):
        return ta("ov.err", lang, msg=plain(exc.zh if lang == "zh" else exc.en))
    if isinstance(exc, StaleEdit):
        return ta("ov.stale", lang, msg=plain(str(exc)))
    if isinstance(exc, InvalidImport):
        return ta("ad.invalid", lang, n=len(exc.problems)) + "\n\n" + "\n".join(
            f"- {plain(p.line(exc.report.unit))}" for p in exc.problems[:200])
    if isinstance(exc, GridFileError):
        return ta("ov.err", lang, msg=plain(str(exc)))
    return ta("ov.denied", lang, msg=plain(str(exc)))


_WRITES = PageWrites(RESULTS_KEY, (wk.WorkerError, AccessDenied, StaleEdit, InvalidImport, GridFileError),
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


def _submit_relocate(household_id: int, version: int) -> None:
    ss = st.session_state
    _write("outside", wk.relocate_household, _saved("ad.fix_location"), household_id=household_id,
           expected_version=version, lon=float(ss.get(f"ad_h_{household_id}_lon") or 0),
           lat=float(ss.get(f"ad_h_{household_id}_lat") or 0), reason=ss.get(f"ad_h_{household_id}_fix_reason") or "")


def _submit_assign(household_id: int, version: int) -> None:
    ss = st.session_state
    _write("outside", wk.assign_household_grid, _saved("ad.assign"), household_id=household_id,
           expected_version=version, grid_code=ss.get(f"ad_h_{household_id}_grid") or "",
           reason=ss.get(f"ad_h_{household_id}_assign_reason") or "")


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
tab_w, tab_roster, tab_grids, tab_out = st.tabs([ta("ad.tab.workers", lang), ta("ad.tab.roster", lang),
                                                 ta("ad.tab.grids", lang), ta("ad.tab.outside", lang)])
emp = {k: v[0 if lang == "zh" else 1] for k, v in wk.EMPLOYMENT.items()}
yes_no = ("是", "否") if lang == "zh" else ("yes", "no")

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
                           format_func=lambda i, by_id=by_id: f"{by_id[i]['name']}（{by_id[i]['grid_code']}，{emp[by_id[i]['employment']]}）")
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
                       moved=preview["moved"], outside=preview["outside"], total=preview["outside_total"]))
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
    _show("outside")
    out = read(wk.outside_households)
    if not out:
        st.info(ta("ad.outside_none", lang))
    else:
        st.dataframe(labelled(pd.DataFrame(out), ["id", "head_name", "head_id_number", "address", "lon", "lat"], lang),
                     hide_index=True, width="stretch")
        by_id = {r["id"]: r for r in out}
        hid = st.selectbox(ta("ad.pick_household", lang), list(by_id), key="ad_h_pick",
                           format_func=lambda i, by_id=by_id: f"#{i} {by_id[i]['head_name']} {by_id[i]['address']}")
        shown = by_id[hid]
        left, right = st.columns(2)
        with left.form(f"ad_fix_form_{hid}"):
            st.markdown(f"**{ta('ad.fix_location', lang)}**")
            st.number_input(ta("ad.lon", lang), value=float(shown["lon"]), format="%.6f", step=0.0001,
                            key=f"ad_h_{hid}_lon")
            st.number_input(ta("ad.lat", lang), value=float(shown["lat"]), format="%.6f", step=0.0001,
                            key=f"ad_h_{hid}_lat")
            st.text_input(ta("ad.reason", lang), key=f"ad_h_{hid}_fix_reason", max_chars=500)
            st.form_submit_button(ta("ad.fix_btn", lang), on_click=_submit_relocate,
                                  args=(hid, int(shown["version"])))
        with right.form(f"ad_assign_form_{hid}"):
            st.markdown(f"**{ta('ad.assign', lang)}**")
            st.selectbox(ta("ad.grid", lang), codes, key=f"ad_h_{hid}_grid")
            st.text_input(ta("ad.reason", lang), key=f"ad_h_{hid}_assign_reason", max_chars=500)
            st.form_submit_button(ta("ad.assign_btn", lang), on_click=_submit_assign,
                                  args=(hid, int(shown["version"])))

