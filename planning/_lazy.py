"""Lazy public names for the subpackages of ``planning`` (PEP 562).

Each subpackage's ``__init__`` lists which module holds each public name; a name is imported
on first use.  Eager imports would make ``python -m planning.shiftplan.highsmip`` (a child
that must load ``highspy`` and never OR-Tools, see that module) import the whole planner.
"""
from __future__ import annotations

from importlib import import_module


def lazy_exports(package: str, modules: dict[str, list[str]]):
    """``(__getattr__, __dir__, __all__)`` for ``package`` whose ``modules`` maps a submodule
    name to the public names it defines."""
    where = {name: module for module, names in modules.items() for name in names}
    namespace = import_module(package).__dict__

    def __getattr__(name: str):
        try:
            module = where[name]
        except KeyError:
            raise AttributeError(f"module {package!r} has no attribute {name!r}") from None
        value = getattr(import_module(f"{package}.{module}"), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted(set(namespace) | set(where))

    return __getattr__, __dir__, sorted(where)
