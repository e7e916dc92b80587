"""Importing this package registers every module in it (one file per algorithm family)."""

import importlib
import pkgutil

MODULES = [m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_")]
for _name in MODULES:
    importlib.import_module(f"{__name__}.{_name}")
