"""Problems found in an import file, the import summary, and how both are printed (Chinese).

Row numbers are the ones the user sees in Excel or a text editor: the header is row 1, the first
data row is row 2. For grid files the "row" is the feature number (1 = first feature).
`row=None` means the problem concerns the whole file (a missing column, an unreadable encoding).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterable

# progress(stage_zh, done, total): called while validating and while writing.
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True, order=True)
class Problem:
    row: int | None
    column: str
    reason_zh: str

    def line(self, unit: str = "行") -> str:
        col = f"列 {self.column}" if self.column else "整行"
        if self.row is None:
            return f"文件，{col}：{self.reason_zh}" if self.column else f"文件：{self.reason_zh}"
        if unit == "行":
            return f"行 {self.row}，{col}：{self.reason_zh}"
        return f"第 {self.row} 个{unit}，{col}：{self.reason_zh}"


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

    def add(self, row: int | None, column: str, reason_zh: str) -> Problem:
        problem = Problem(row, column, reason_zh)
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
        return format_problems(self.problems, source=self.report.source, unit=self.report.unit,
                               stopped_at=self.report.stopped_at)


def format_problems(problems: Iterable[Problem], *, source: str = "", unit: str = "行",
                    stopped_at: int | None = None) -> str:
    """One line per problem, in file order: `行 N，列 X：原因`, with a heading and a closing line.
    `stopped_at`: checking stopped there after the maximum number of problems."""
    problems = sorted(problems, key=_sort_key)
    head = f"{source}：" if source else ""
    if stopped_at is None:
        lines = [f"{head}发现 {len(problems)} 个问题，未写入任何数据。"]
    else:
        lines = [f"{head}问题过多：已列出前 {len(problems)} 个，在第 {stopped_at} {unit}停止检查"
                 f"（其后的{unit}未检查），未写入任何数据。"]
    lines += [p.line(unit) for p in problems]
    lines.append("请修改文件后重新导入（整个文件通过校验后才会一次性写入）。")
    return "\n".join(lines)
