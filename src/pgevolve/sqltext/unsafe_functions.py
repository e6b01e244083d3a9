"""Functions that a schema expression must not call: they reach past the row they are computed for.

An expression from the YAML is one expression, but PostgreSQL evaluates it with the
privileges of whoever runs pgevolve: ``ADD COLUMN ... DEFAULT`` evaluates a non-volatile
default once at ALTER time, ``VALIDATE CONSTRAINT`` evaluates a CHECK on every existing
row, and apply's pre-checks count violating rows with the same expression. A function
that runs SQL text (``query_to_xml('SELECT dblink_exec(...)', ...)``), opens another
connection (dblink), reads or writes server files (``pg_read_file``, ``lo_export``) or
acts on other sessions or the server would let the author of a pull request do, with
the DBA's credentials, what the DBA never reviewed as SQL. None of them has a place in
a default, a CHECK, a generated column or an index, so they are refused by name.
"""

from __future__ import annotations

_RUNS_SQL = "runs SQL text of its own"
_CONNECTS = "opens a connection to a database"
_FILES = "reads or writes files or large objects on the database server"
_SERVER = "acts on other sessions or on the server itself"
_WAITS = "waits or takes locks"
_SETTINGS = "changes settings of the session that runs pgevolve"
_SEQUENCES = "moves a sequence"

_BY_NAME = {
    **dict.fromkeys(("query_to_xml", "query_to_xmlschema", "query_to_xml_and_xmlschema", "cursor_to_xml",
                     "cursor_to_xmlschema", "table_to_xml", "table_to_xmlschema", "table_to_xml_and_xmlschema",
                     "schema_to_xml", "schema_to_xmlschema", "schema_to_xml_and_xmlschema", "database_to_xml",
                     "database_to_xmlschema", "database_to_xml_and_xmlschema", "ts_stat", "ts_rewrite"), _RUNS_SQL),
    **dict.fromkeys(("pg_read_file", "pg_read_binary_file", "pg_stat_file", "pg_logdir_ls"), _FILES),
    **dict.fromkeys(("pg_terminate_backend", "pg_cancel_backend", "pg_reload_conf", "pg_rotate_logfile",
                     "pg_promote", "pg_switch_wal", "pg_switch_xlog", "pg_create_restore_point", "pg_notify",
                     "pg_log_backend_memory_contexts", "pg_import_system_collations", "pg_drop_replication_slot",
                     "pg_copy_physical_replication_slot", "pg_copy_logical_replication_slot",
                     "pg_start_backup", "pg_stop_backup", "pg_backup_start", "pg_backup_stop"), _SERVER),
    **dict.fromkeys(("set_config",), _SETTINGS),
    **dict.fromkeys(("setval",), _SEQUENCES),
}
_BY_PREFIX = (
    ("dblink", _CONNECTS),
    ("lo_", _FILES),
    ("pg_ls_", _FILES),
    ("pg_file_", _FILES),  # adminpack
    ("pg_sleep", _WAITS),
    ("pg_advisory", _WAITS),
    ("pg_try_advisory", _WAITS),
    ("pg_create_", _SERVER),  # replication slots
    ("pg_replication_", _SERVER),
    ("pg_wal_replay_", _SERVER),
    ("pg_stat_reset", _SERVER),
)


def why_unsafe(function: str) -> str | None:
    """Why a call to ``function`` (its name, without schema) is refused, or None when it is allowed."""
    name = function.lower()
    if name in _BY_NAME:
        return _BY_NAME[name]
    return next((reason for prefix, reason in _BY_PREFIX if name.startswith(prefix)), None)
