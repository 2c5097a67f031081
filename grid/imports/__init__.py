"""Importing real-world files: grid boundaries, household rosters, home visits.

Every importer validates the whole file first and raises `InvalidImport` carrying every problem
(row, column, reason in Chinese and in English: `Problem.line(unit, lang)`); only a fully valid
file is written, inside the caller's transaction (`grid.db.session_scope`), with one audit entry
per import.
"""
from grid.imports.report import ImportReport, InvalidImport, Problem, Reason, format_problems

__all__ = ["ImportReport", "InvalidImport", "Problem", "Reason", "format_problems"]
