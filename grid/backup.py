"""Public API, kept for good: backup and restore live in jizhen.backup."""
from jizhen.backup import BackupError, RestoreReport, backup, restore, restore_with_report  # noqa: F401
