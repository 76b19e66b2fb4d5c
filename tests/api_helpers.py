"""Calling the API as the mini-program does: a bearer token per account."""
from __future__ import annotations

from typing import Any


class ApiClient:
    def __init__(self, client, account) -> None:
        self.client = client
        response = client.post("/api/v1/_test/token", json={"account_id": account.id})
        assert response.status_code == 200, response.get_data(as_text=True)
        self.headers = {"Authorization": f"Bearer {response.get_json()['token']}"}

    def get(self, path: str, **kw: Any):
        return self.client.get(f"/api/v1{path}", headers={**self.headers, **kw.pop("headers", {})}, **kw)

    def post(self, path: str, json: Any = None, **kw: Any):
        return self.client.post(f"/api/v1{path}", json=json,
                                headers={**self.headers, **kw.pop("headers", {})}, **kw)

    def put(self, path: str, json: Any = None, **kw: Any):
        return self.client.put(f"/api/v1{path}", json=json,
                               headers={**self.headers, **kw.pop("headers", {})}, **kw)

    def delete(self, path: str, json: Any = None, **kw: Any):
        return self.client.delete(f"/api/v1{path}", json=json,
                                  headers={**self.headers, **kw.pop("headers", {})}, **kw)


def terms_json(**overrides: Any) -> dict[str, Any]:
    from tests.conftest import World

    return World.terms(**overrides).model_dump(mode="json")
