"""The live database in: bulk catalog queries (queries/*.sql) into the model."""

from pgevolve.catalog.introspect import QueryStats, introspect
from pgevolve.catalog.unmanaged import UnmanagedObject, unmanaged_objects

__all__ = ["QueryStats", "UnmanagedObject", "introspect", "unmanaged_objects"]
