"""What the API offers, known at collection time: the /api/v1 routes and the OpenAPI operations.

pytest parametrizes tests before any fixture exists, so a throwaway application, built exactly as
the tests build theirs but never connected to a database, is asked for its URL map and its served
OpenAPI document. Tests compare it with the real application (a route added later is covered by
the next run without anyone editing a list).
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass

API = "/api/v1"
EXCLUDED = ("/api/v1/_test/", "/api/v1/openapi.json")

_PARAM = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")


@dataclass(frozen=True)
class Route:
    rule: str
    method: str
    endpoint: str
    params: tuple[tuple[str, str], ...]  # (converter, name)

    @property
    def label(self) -> str:
        return f"{self.method} {self.rule.removeprefix(API)}"

    @property
    def id_params(self) -> list[str]:
        return [name for converter, name in self.params if converter == "int"]


@functools.cache
def probe_app():
    from app import create_app
    from tests.conftest import test_config

    return create_app(test_config("sqlite://"))


def routes_of(flask_app) -> list[Route]:
    """Every (rule, method) under /api/v1 except the test-only and the document itself."""
    routes = []
    for rule in flask_app.url_map.iter_rules():
        if not rule.rule.startswith(API + "/") or rule.rule.startswith(EXCLUDED):
            continue
        params = tuple((converter or "default", name) for converter, name in _PARAM.findall(rule.rule))
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            routes.append(Route(rule.rule, method, rule.endpoint, params))
    return sorted(routes, key=lambda r: (r.rule, r.method))


@functools.cache
def api_routes() -> tuple[Route, ...]:
    return tuple(routes_of(probe_app()))


def operations_of(document: dict) -> list[tuple[str, str]]:
    """(METHOD, path) of every operation in an OpenAPI document."""
    methods = {"get", "put", "post", "delete", "patch"}
    return sorted((method.upper(), path) for path, item in document["paths"].items()
                  for method in item if method in methods)


@functools.cache
def openapi_operations() -> tuple[tuple[str, str], ...]:
    response = probe_app().test_client().get(f"{API}/openapi.json")
    assert response.status_code == 200, response.get_data(as_text=True)
    return tuple(operations_of(response.get_json()))
