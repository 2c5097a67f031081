"""Chinese official working days (工作日) for deadlines — pure, no database, no Streamlit.

Sources, in order, per calendar year:
1. ``chinesecalendar`` for the years it knows (published State Council arrangements, 2004–2026);
2. a holiday file ``data/calendar/<year>.json`` an administrator adds when the State Council
   publishes a year (format in ``data/calendar/README.md``);
3. otherwise the statutory holidays computed from the law (全国年节及纪念日放假办法, 2025 revision):
   元旦 1 day, 春节 eve + days 1–3, 清明 1, 劳动节 2 (May 1–2), 端午 1, 中秋 1, 国庆 3 (Oct 1–3),
   and the law's rule that a statutory holiday falling on a Saturday or Sunday is made up (补假) on
   the next working day (``make_up_days``). The 调休 make-up *working* days cannot be known in
   advance, so such results are *provisional*.

``is_working_day`` never raises for a valid ``date``.  ``add_working_days`` returns the n-th working
day after ``start``; ``deadline`` also says whether the answer relied on computed holidays.
"""
from __future__ import annotations

import datetime as _dt
import json
import warnings
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

__all__ = [
    "Deadline",
    "SOURCE_PUBLISHED",
    "SOURCE_FILE",
    "SOURCE_COMPUTED",
    "add_working_days",
    "calendar_dir",
    "clear_cache",
    "deadline",
    "holiday_name",
    "is_provisional",
    "is_working_day",
    "computed_holidays",
    "make_up_days",
    "statutory_holidays",
    "working_days_between",
    "year_source",
]

SOURCE_PUBLISHED = "published"  # chinesecalendar
SOURCE_FILE = "file"  # data/calendar/<year>.json
SOURCE_COMPUTED = "computed"  # statutory holidays from the law, no 调休 → provisional

_EN_TO_ZH = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "抗战胜利70周年纪念日",
}

def calendar_dir() -> Path:
    """Directory of holiday files: the settings' ``calendar_dir`` (env ``JIZHEN_CALENDAR_DIR``,
    default ``<project>/data/calendar``)."""
    from jizhen.settings import get_settings

    return get_settings().calendar_dir


def clear_cache() -> None:
    """Forget loaded years (after an administrator adds a holiday file)."""
    _year_table.cache_clear()


# --------------------------------------------------------------------------- computed holidays
def _qingming(year: int) -> _dt.date:
    """Qingming (清明) solar term in April: the standard 'century constant' formula."""
    y = year % 100
    if 2000 <= year < 2100:
        c = 4.81
    elif 1900 <= year < 2000:
        c = 5.59
    else:
        return _dt.date(year, 4, 5)
    day = int(y * 0.2422 + c) - int(y / 4)
    return _dt.date(year, 4, day)


def _lunar_to_solar(year: int, month: int, day: int) -> _dt.date | None:
    try:
        import lunardate

        ld = lunardate.LunarDate(year, month, day)
        conv = getattr(ld, "to_solar_date", None) or ld.toSolarDate
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            return conv()
    except Exception:  # out of lunardate's range (1900–2099) or bad date: no lunar holiday known
        return None


def statutory_holidays(year: int) -> dict[_dt.date, str]:
    """Public holidays of ``year`` computed from the law (no 调休, no bridging)."""
    out: dict[_dt.date, str] = {}

    def add(d: _dt.date | None, name: str, days: int = 1) -> None:
        if d is None:
            return
        for i in range(days):
            try:
                x = d + _dt.timedelta(days=i)
            except OverflowError:
                return
            if x.year == year:
                out.setdefault(x, name)

    add(_dt.date(year, 1, 1), "元旦")
    # 春节: eve (the day before lunar 1/1 of the *next* lunar year may fall in this year) + days 1–3
    for lunar_year in (year - 1, year):
        ny = _lunar_to_solar(lunar_year + 1, 1, 1) if lunar_year + 1 <= 9999 else None
        if ny is not None:
            try:
                add(ny - _dt.timedelta(days=1), "春节", 4)
            except OverflowError:
                pass
    add(_qingming(year), "清明节")
    add(_dt.date(year, 5, 1), "劳动节", 2)
    add(_lunar_to_solar(year, 5, 5), "端午节")
    add(_lunar_to_solar(year, 8, 15), "中秋节")
    add(_dt.date(year, 10, 1), "国庆节", 3)
    return out


MAKE_UP_SUFFIX = "（补假）"


def make_up_days(holidays: dict[_dt.date, str], year: int | None = None) -> dict[_dt.date, str]:
    """补假: each statutory holiday on a Saturday or Sunday gives one day off on the next working day.

    Pure. Walks the holidays in date order; the make-up day is the first Monday–Friday after the
    holiday that is neither a holiday nor already a make-up day (so Labour Day 2027, Sat 1 – Sun 2
    May, is made up on Mon 3 and Tue 4 May). With ``year``, make-up days outside it are dropped.
    Returns ``{day: "<holiday>（补假）"}``.
    """
    out: dict[_dt.date, str] = {}
    for day in sorted(holidays):
        if day.weekday() < 5:
            continue
        cand = day
        while True:
            try:
                cand = cand + _dt.timedelta(days=1)
            except OverflowError:
                cand = None
                break
            if cand.weekday() < 5 and cand not in holidays and cand not in out:
                break
        if cand is not None and (year is None or cand.year == year):
            out[cand] = holidays[day] + MAKE_UP_SUFFIX
    return out


def computed_holidays(year: int) -> dict[_dt.date, str]:
    """Days off of ``year`` without an official arrangement: statutory holidays plus 补假 days."""
    hol = statutory_holidays(year)
    out = dict(hol)
    out.update(make_up_days(hol, year))  # no statutory holiday lies late enough to spill into January
    return out


# --------------------------------------------------------------------------- year tables
@dataclass(frozen=True)
class _YearTable:
    source: str
    holidays: dict  # date -> name (days off that would otherwise be working days, and any others)
    workdays: dict  # date -> name (调休 make-up working days on weekends)


def _load_file(year: int) -> _YearTable | None:
    path = calendar_dir() / f"{year}.json"
    if not path.is_file():
        return None
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        if int(raw.get("year", year)) != year:
            return None

        def parse(section) -> dict:
            res = {}
            if isinstance(section, dict):
                items = section.items()
            else:
                items = ((x, "") for x in section or [])
            for k, v in items:
                d = _dt.date.fromisoformat(str(k))
                if d.year == year:
                    res[d] = str(v or "")
            return res

        holidays = parse(raw.get("holidays"))
        workdays = parse(raw.get("workdays"))
    except Exception:  # a broken file must not crash deadlines: fall back to computed
        return None
    return _YearTable(SOURCE_FILE, holidays, workdays)


@lru_cache(maxsize=256)
def _year_table(year: int) -> _YearTable:
    try:
        import chinese_calendar as cc

        start = _dt.date(year, 1, 1)
        end = _dt.date(year, 12, 31)
        cc.is_workday(start)  # raises NotImplementedError when the year is unknown
        hol: dict = {}
        for d in cc.get_holidays(start, end, include_weekends=True):
            _, name = cc.get_holiday_detail(d)
            if name:  # skip ordinary weekends
                hol[d] = _EN_TO_ZH.get(str(name), str(name))
        work: dict = {}
        for d in cc.get_workdays(start, end, include_weekends=True):
            if d.weekday() >= 5:
                work[d] = "调休上班"
        return _YearTable(SOURCE_PUBLISHED, hol, work)
    except NotImplementedError:
        pass
    except Exception:
        pass
    table = _load_file(year)
    if table is not None:
        return table
    return _YearTable(SOURCE_COMPUTED, computed_holidays(year), {})


def year_source(year: int) -> str:
    """Where the calendar of ``year`` comes from: 'published', 'file' or 'computed'."""
    return _year_table(year).source


def is_provisional(day: _dt.date) -> bool:
    """True when ``day``'s year uses computed holidays (no official arrangement known yet)."""
    return year_source(day.year) == SOURCE_COMPUTED


def is_working_day(day: _dt.date) -> bool:
    """Official working day: Mon–Fri unless a public holiday; Sat/Sun only when a 调休 day."""
    if isinstance(day, _dt.datetime):
        day = day.date()
    t = _year_table(day.year)
    if day in t.workdays:
        return True
    if day in t.holidays:
        return False
    return day.weekday() < 5


def holiday_name(day: _dt.date) -> str | None:
    """Chinese name of the holiday on ``day`` (None for ordinary days and weekends)."""
    if isinstance(day, _dt.datetime):
        day = day.date()
    return _year_table(day.year).holidays.get(day)


@dataclass(frozen=True)
class Deadline:
    due_on: _dt.date
    provisional: bool  # some day counted relied on computed holidays


def deadline(start: _dt.date, n: int) -> Deadline:
    """The n-th working day after ``start`` (before it when n < 0), and whether it is provisional."""
    if isinstance(start, _dt.datetime):
        start = start.date()
    step = 1 if n >= 0 else -1
    remaining = abs(int(n))
    day = start
    provisional = False
    while remaining:
        try:
            day = day + _dt.timedelta(days=step)
        except OverflowError as exc:
            raise ValueError(f"工作日期限超出可表示的日期范围 / deadline out of range: {start} {n:+d}") from exc
        if is_working_day(day):
            remaining -= 1
        if not provisional and is_provisional(day):
            provisional = True
    return Deadline(day, provisional)


def add_working_days(start: _dt.date, n: int) -> _dt.date:
    """Return the n-th working day after ``start`` (n=0 returns ``start``)."""
    return deadline(start, n).due_on


def working_days_between(start: _dt.date, end: _dt.date) -> int:
    """Working days in (start, end]; negative (minus those in (end, start]) when end < start.

    ``working_days_between(today, due_on)`` is the countdown shown next to a deadline: 0 means it is
    due today (or on the next non-working stretch), negative means overdue by that many working days.
    """
    if isinstance(start, _dt.datetime):
        start = start.date()
    if isinstance(end, _dt.datetime):
        end = end.date()
    if end == start:
        return 0
    sign = 1
    a, b = start, end
    if end < start:
        a, b, sign = end, start, -1
    count = 0
    d = a
    while d < b:
        d = d + _dt.timedelta(days=1)
        if is_working_day(d):
            count += 1
    return sign * count
