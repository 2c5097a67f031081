"""Every file export goes through here: formula-injection neutralised, masking applied by the caller.

Use:
    from grid.export import safe_cell, safe_frame, write_xlsx, to_csv_bytes, to_xlsx_bytes
    write_xlsx({"案件": df_cases, "走访": df_visits}, "out.xlsx")

Values are stored verbatim in the database (an address may well start with "-" or "="); only the
exported *file* is neutralised, so that a spreadsheet program never evaluates a cell as a formula
(CSV/Excel injection, e.g. ``=HYPERLINK("http://evil", "点击")``). Personal data must already be
masked by the caller for the actor (see grid.privacy.mask_frame); public exports use
``mask_frame(df, actor, public=True)``.
"""
from __future__ import annotations

import io
import math
import os
import tempfile
from pathlib import Path
from typing import Any, Mapping

import pandas as pd

# A cell starting with one of these is a formula (or DDE) in Excel, LibreOffice and WPS.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")
MAX_SHEET_NAME = 31
_BAD_SHEET_CHARS = set('[]:*?/\\')


def safe_cell(value: Any) -> Any:
    """Text that a spreadsheet would evaluate gets a leading apostrophe; other values pass through.

    Numbers, booleans, dates and None are returned unchanged (a negative *number* is data, not a
    formula). Strings starting with = + - @ tab CR LF (and their full-width forms) are prefixed
    with ' so they are shown verbatim and never evaluated.
    """
    if isinstance(value, str):
        if value.startswith(FORMULA_PREFIXES):
            return "'" + value
        return value
    return value


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of `frame` with every text cell and every column name passed through safe_cell."""
    out = frame.copy()
    out.columns = [safe_cell(str(c)) for c in out.columns]
    for col in out.columns:
        series = out[col]
        if series.dtype == object or pd.api.types.is_string_dtype(series.dtype):
            out[col] = series.map(safe_cell).astype(object)
    return out


def _sheet_name(name: str, used: set[str]) -> str:
    clean = "".join("_" if ch in _BAD_SHEET_CHARS else ch for ch in str(name)).strip("'") or "Sheet"
    clean = clean[:MAX_SHEET_NAME]
    candidate, n = clean, 1
    while candidate.lower() in used:
        n += 1
        suffix = f"_{n}"
        candidate = clean[: MAX_SHEET_NAME - len(suffix)] + suffix
    used.add(candidate.lower())
    return candidate


def _xlsx_value(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if hasattr(value, "tzinfo") and getattr(value, "tzinfo", None) is not None:
        # Excel has no time zones: write the wall-clock time in Asia/Shanghai.
        from zoneinfo import ZoneInfo

        value = value.astimezone(ZoneInfo("Asia/Shanghai")).replace(tzinfo=None)
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        try:
            value = value.item()  # numpy scalar -> Python
        except (ValueError, AttributeError):
            pass
    if isinstance(value, (list, dict, tuple, set)):
        value = str(value)
    return safe_cell(value)


def _write_workbook(frames: Mapping[str, pd.DataFrame] | pd.DataFrame, target) -> None:
    from openpyxl import Workbook

    if isinstance(frames, pd.DataFrame):
        frames = {"数据": frames}
    wb = Workbook(write_only=True)
    used: set[str] = set()
    if not frames:
        frames = {"数据": pd.DataFrame()}
    for name, frame in frames.items():
        ws = wb.create_sheet(_sheet_name(name, used))
        ws.append([safe_cell(str(c)) for c in frame.columns])
        for row in frame.itertuples(index=False, name=None):
            ws.append([_xlsx_value(v) for v in row])
    wb.save(target)


def write_xlsx(frames: Mapping[str, pd.DataFrame] | pd.DataFrame, path: str | os.PathLike) -> Path:
    """Write one sheet per frame to `path` atomically (temp file + rename); text cells neutralised.

    Every cell is written as a plain value (openpyxl never turns a string into a formula once it is
    prefixed), so ``=HYPERLINK(...)`` shows as the text ``'=HYPERLINK(...)``.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".export-", suffix=".xlsx", dir=path.parent)
    os.close(fd)
    try:
        _write_workbook(frames, tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def to_xlsx_bytes(frames: Mapping[str, pd.DataFrame] | pd.DataFrame) -> bytes:
    """The same workbook as write_xlsx, in memory (for st.download_button)."""
    buf = io.BytesIO()
    _write_workbook(frames, buf)
    return buf.getvalue()


def to_csv_bytes(frame: pd.DataFrame) -> bytes:
    """CSV for Excel/WPS (UTF-8 with BOM), text cells neutralised."""
    return safe_frame(frame).to_csv(index=False).encode("utf-8-sig")
