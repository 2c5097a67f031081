"""Read a roster file into parsed rows, reporting every problem (shared by the roster importers)."""
from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlalchemy import insert

from grid import audit
from grid.access import Actor
from grid.imports.report import ImportReport, Progress
from grid.imports.tables import UnreadableFile, parse_rows, read_table
from grid.imports.templates import example_row


def read_rows(path: Path, kind: str, report: ImportReport, *, today: date | None,
              progress: Progress | None = None) -> list[dict]:
    """Parsed rows of `path` (read as a stream: at the problem cap the rest is not read), or []
    when the file cannot be read or holds no usable row."""
    try:
        table = read_table(path)
    except UnreadableFile as exc:
        report.add(None, "", str(exc), exc.en)
        return []
    with table:  # read row by row while checking; closed even if checking fails
        rows = parse_rows(table, kind, report, today=today, progress=progress,
                          example=example_row(kind))
    if report.problems and not rows:
        return []
    if not rows:
        if report.skipped_example_rows:
            report.add(None, "", "文件中除模板示例行外没有数据行",
                       "the file has no data rows besides the template's example row")
        else:
            report.add(None, "", "文件中没有数据行", "the file has no data rows")
    return rows


CHUNK = 1000


def insert_rows(session, model, records: list[dict], report: ImportReport, *, actor: Actor,
                action: str, reason: str, progress: Progress | None = None) -> ImportReport:
    """Insert validated records in chunks inside the caller's transaction, with one audit row."""
    for i in range(0, len(records), CHUNK):
        session.execute(insert(model), records[i:i + CHUNK])
        if progress:
            progress("写入", min(i + CHUNK, len(records)), len(records))
    report.created = len(records)
    audit.record(session, actor=actor, action=action, entity=model.__tablename__,
                 after={"file": report.source, "created": report.created, "by_grid": report.by_grid},
                 reason=reason)
    return report
