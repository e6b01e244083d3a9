"""From changes to a reviewed plan: steps (data), ddl (the SQL text), planner (order, online forms), render.

Nothing here talks to PostgreSQL. ``planner.make_plan(actual, desired, hints)``
is the entry point; ``ddl.schema_sql(db)`` builds a whole schema from scratch.
"""
