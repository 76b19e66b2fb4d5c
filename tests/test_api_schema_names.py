"""spectree names each schema of the OpenAPI document by its class name alone: two request or
response models of the same name in different modules silently share one schema (the document
then describes one of them wrongly — found when a second ``EvidenceForm`` hid the employer's)."""
from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections import defaultdict

from pydantic import BaseModel

import app.api as api_package



def test_every_api_model_name_is_unique(app):
    where = defaultdict(set)
    for info in pkgutil.iter_modules(api_package.__path__):
        module = importlib.import_module(f"app.api.{info.name}")
        for value in vars(module).values():
            if inspect.isclass(value) and issubclass(value, BaseModel) and value.__module__ == module.__name__:
                where[value.__name__].add(module.__name__)
    clashes = {name: sorted(mods) for name, mods in where.items() if len(mods) > 1}
    assert clashes == {}
