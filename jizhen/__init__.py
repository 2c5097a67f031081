"""The platform under grid/, risk/ and cases/: settings, database, users, sessions, audit,
privacy, backup, migrations and the `jizhen` command."""
