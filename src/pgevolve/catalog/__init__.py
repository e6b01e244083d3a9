"""The live database in: bulk catalog queries (queries/*.sql) into the model."""

from pgevolve.catalog.introspect import QueryStats, introspect
from pgevolve.catalog.unmanaged import unmanaged_objects

__all__ = ["QueryStats", "introspect", "unmanaged_objects"]
