"""Problems found in an import file, the import summary, and how both are printed (Chinese; the
problems also in English: `Problem.line(unit, "en")`, `format_problems(..., lang="en")`).

Row numbers are the ones the user sees in Excel or a text editor: the header is row 1, the first
data row is row 2. For grid files the "row" is the feature number (1 = first feature).
`row=None` means the problem concerns the whole file (a missing column, an unreadable encoding).

Each reason is made in both languages where it is found: `report.add(row, column, zh, en)`, or a
`Reason` (the Chinese text, with its English in `.en`) from the cell validators
(grid.imports.values), or an error carrying `.zh` / `.en` (jizhen.errors.Bilingual). Column names
are the file's own headers and user values are quoted as they are, in both languages.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterable

from jizhen.errors import Reason  # noqa: F401  (re-exported: a problem's reason in two languages)

# progress(stage_zh, done, total): called while validating and while writing.
Progress = Callable[[str, int, int], None]


def english_of(reason: object) -> str:
    """The English of a reason (a Reason, or an error carrying `.en`), '' when it has none."""
    return str(getattr(reason, "en", "") or "")


# How rows are called in English ("行" -> row, "要素" -> feature, as ImportReport.unit).
UNITS_EN = {"行": "row", "要素": "feature"}


@dataclass(frozen=True, order=True)
class Problem:
    row: int | None
    column: str
    reason_zh: str
    # English of the reason ('' when none was given); not part of equality or ordering.
    reason_en: str = field(default="", compare=False)

    def line(self, unit: str = "行", lang: str = "zh") -> str:
        """`行 N，列 X：原因` (Chinese), or in English `row N, column X: reason` (`feature N` for
        grid features, `file: reason` for the whole file). English falls back to the Chinese line
        when the reason has no English."""
        if lang == "en" and self.reason_en:
            return self._line_en(unit)
        col = f"列 {self.column}" if self.column else "整行"
        if self.row is None:
            return f"文件，{col}：{self.reason_zh}" if self.column else f"文件：{self.reason_zh}"
        if unit == "行":
            return f"行 {self.row}，{col}：{self.reason_zh}"
        return f"第 {self.row} 个{unit}，{col}：{self.reason_zh}"

    def _line_en(self, unit: str) -> str:
        if self.row is None:
            where = f"file, column {self.column}" if self.column else "file"
        else:
            where = f"{UNITS_EN.get(unit, 'item')} {self.row}, "
            where += f"column {self.column}" if self.column else "whole row"
        return f"{where}: {self.reason_en}"


def _max_problems() -> int:
    from jizhen.settings import get_settings

    return get_settings().import_max_problems


def _sort_key(p: Problem):
    return (p.row is not None, p.row or 0)


@dataclass
class ImportReport:
    kind: str  # grids | households | visits
    source: str  # file name
    unit: str = "行"  # how rows are called when printed ("行", or "要素" for grid features)
    rows: int = 0  # data rows (or features) read
    created: int = 0
    updated: int = 0
    skipped_example_rows: list[int] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    strays: list[Problem] = field(default_factory=list)  # also in problems; households only
    by_grid: dict[str, int] = field(default_factory=dict)
    details: dict = field(default_factory=dict)
    # At most this many problems are kept; then checking stops (stopped_at: the row it stopped at).
    # From the settings (JIZHEN_IMPORT_MAX_PROBLEMS): a 300k-row file of errors is not 300k lines.
    max_problems: int = field(default_factory=lambda: _max_problems())
    stopped_at: int | None = None

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def stopped(self) -> bool:
        return self.stopped_at is not None

    def add(self, row: int | None, column: str, reason_zh: str, reason_en: str = "") -> Problem:
        """Record a problem. `reason_en`: its English; by default the `.en` of `reason_zh` (a
        Reason from the validators, or an error carrying `.zh` / `.en`)."""
        problem = Problem(row, column, str(reason_zh), str(reason_en or english_of(reason_zh)))
        if len(self.problems) < self.max_problems:
            self.problems.append(problem)
        if len(self.problems) >= self.max_problems and self.stopped_at is None:
            self.stopped_at = row if row is not None else 0
        return problem

    def sorted_problems(self) -> list[Problem]:
        return sorted(self.problems, key=_sort_key)

    def summary_zh(self) -> str:
        names = {"grids": "网格", "households": "住户", "visits": "走访记录"}
        what = names.get(self.kind, self.kind)
        text = f"{self.source}：读取 {self.rows} {'个要素' if self.unit != '行' else '行'}，"
        text += f"新增{what} {self.created} 条"
        if self.kind == "grids":
            text += f"，更新 {self.updated} 个"
            if "households_moved" in self.details:
                text += (f"；按新边界重新归属住户 {self.details['households_moved']} 户，"
                         f"落在所有网格之外 {self.details['households_outside']} 户")
        if self.skipped_example_rows:
            rows = "、".join(str(r) for r in self.skipped_example_rows)
            text += f"；已跳过模板示例行（第 {rows} 行）"
        if self.ignored_columns:
            text += "；未识别、已忽略的列：" + "、".join(self.ignored_columns)
        lines = [text]
        for code, n in sorted(self.by_grid.items()):
            lines.append(f"  {code}：{n}")
        return "\n".join(lines)


class InvalidImport(Exception):
    """The file has problems; nothing was written. `.problems` lists them all."""

    def __init__(self, report: ImportReport):
        self.report = report
        self.problems = report.sorted_problems()
        super().__init__(f"{report.source}：发现 {len(self.problems)} 个问题，未写入任何数据")

    def __str__(self) -> str:
        return self.text()

    def text(self, lang: str = "zh") -> str:
        """Every problem, one a line, with a heading and a closing line, in `lang` (zh: str())."""
        return format_problems(self.problems, source=self.report.source, unit=self.report.unit,
                               stopped_at=self.report.stopped_at, lang=lang)


def format_problems(problems: Iterable[Problem], *, source: str = "", unit: str = "行",
                    stopped_at: int | None = None, lang: str = "zh") -> str:
    """One line per problem, in file order: `行 N，列 X：原因`, with a heading and a closing line.
    `stopped_at`: checking stopped there after the maximum number of problems. `lang="en"`: the
    same in English (`row N, column X: reason`)."""
    problems = sorted(problems, key=_sort_key)
    if lang == "en":
        return _format_problems_en(problems, source=source, unit=unit, stopped_at=stopped_at)
    head = f"{source}：" if source else ""
    if stopped_at is None:
        lines = [f"{head}发现 {len(problems)} 个问题，未写入任何数据。"]
    else:
        lines = [f"{head}问题过多：已列出前 {len(problems)} 个，在第 {stopped_at} {unit}停止检查"
                 f"（其后的{unit}未检查），未写入任何数据。"]
    lines += [p.line(unit) for p in problems]
    lines.append("请修改文件后重新导入（整个文件通过校验后才会一次性写入）。")
    return "\n".join(lines)


def _format_problems_en(problems: list[Problem], *, source: str, unit: str,
                        stopped_at: int | None) -> str:
    head = f"{source}: " if source else ""
    n = len(problems)
    if stopped_at is None:
        lines = [f"{head}{n} problem{'' if n == 1 else 's'} found; nothing was written."]
    else:
        what = UNITS_EN.get(unit, "item")
        lines = [f"{head}too many problems: the first {n} are listed; checking stopped at {what} "
                 f"{stopped_at} (the {what}s after it were not checked); nothing was written."]
    lines += [p.line(unit, "en") for p in problems]
    lines.append("Please correct the file and import it again (it is written all at once, only "
                 "after the whole file passes the checks).")
    return "\n".join(lines)
