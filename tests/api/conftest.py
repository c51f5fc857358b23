"""API fixtures: personal tokens and clients that send them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from caseapp import clock
from caseapp.models import Case, User
from caseapp.services import tokens


class ApiClient:
    """A test client that sends ``Authorization: Bearer <secret>`` with every request."""

    def __init__(self, client: FlaskClient, secret: str) -> None:
        self.client = client
        self.secret = secret

    def _headers(self, headers: dict[str, str] | None, if_match: Any) -> dict[str, str]:
        sent = {"Authorization": f"Bearer {self.secret}", **(headers or {})}
        if if_match is not None:
            sent["If-Match"] = (f'"{if_match.version}"' if isinstance(if_match, Case)
                                else str(if_match))
        return sent

    def open(self, method: str, path: str, *, headers: dict[str, str] | None = None,
             if_match: Any = None, **kwargs: Any) -> TestResponse:
        return self.client.open(path, method=method, headers=self._headers(headers, if_match),
                                **kwargs)

    def get(self, path: str, **kwargs: Any) -> TestResponse:
        return self.open("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> TestResponse:
        return self.open("POST", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> TestResponse:
        return self.open("PATCH", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> TestResponse:
        return self.open("PUT", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> TestResponse:
        return self.open("DELETE", path, **kwargs)


@pytest.fixture
def make_token(app: Flask) -> Callable[..., str]:
    """A new token's secret for ``user`` (working for ``days`` days)."""

    def make(user: User, name: str = "Test integration", days: int = 30) -> str:
        return tokens.create_token(user, user, name, clock.today() + timedelta(days=days)).secret

    return make


@pytest.fixture
def api_for(app: Flask, make_token: Callable[..., str]) -> Callable[[User], ApiClient]:
    counter = iter(range(1, 10_000))
    return lambda user: ApiClient(app.test_client(),
                                  make_token(user, name=f"Token {next(counter)}"))


@pytest.fixture
def consultant_api(api_for: Callable[[User], ApiClient], consultant: User) -> ApiClient:
    return api_for(consultant)


@pytest.fixture
def manager_api(api_for: Callable[[User], ApiClient], manager: User) -> ApiClient:
    return api_for(manager)


@pytest.fixture
def admin_api(api_for: Callable[[User], ApiClient], admin: User) -> ApiClient:
    return api_for(admin)
