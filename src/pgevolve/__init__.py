"""pgevolve: a declarative schema compiler for PostgreSQL."""

__version__ = "0.1.0"
