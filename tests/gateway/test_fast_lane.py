"""The fast lane inside a FastAPI app wired as create_app wires it: errors come out as on any route."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from gateway.app import _on_gateway_error, _on_unexpected_error
from gateway.core.errors import GatewayError, PermissionDenied
from gateway.core.outages import DatabaseOutages
from gateway.fast_lane import FastLane


async def refused(request: Request) -> Response:
    raise PermissionDenied("not for your team", param="model")


async def crashed(request: Request) -> Response:
    raise RuntimeError("a bug")


@pytest.fixture
def client() -> TestClient:
    app = FastAPI()
    app.add_exception_handler(GatewayError, _on_gateway_error)
    app.add_exception_handler(Exception, _on_unexpected_error)

    @app.get("/elsewhere")
    async def elsewhere() -> Response:
        return PlainTextResponse("through FastAPI")

    app.add_middleware(
        FastLane, endpoints={("POST", "/refused"): refused, ("POST", "/crashed"): crashed}, outages=DatabaseOutages()
    )
    return TestClient(app, raise_server_exceptions=False)


def test_a_gateway_error_is_its_openai_error(client: TestClient) -> None:
    response = client.post("/refused")
    assert response.status_code == 403
    assert response.json()["error"] == {
        "message": "not for your team",
        "type": "invalid_request_error",
        "param": "model",
        "code": "model_not_allowed",
    }


def test_an_unexpected_error_is_the_apps_logged_500(client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    response = client.post("/crashed")
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "internal_error"
    assert "a bug" not in response.text
    assert "unexpected error on POST /crashed" in caplog.text


def test_other_requests_go_on_into_the_app(client: TestClient) -> None:
    assert client.get("/elsewhere").text == "through FastAPI"
    assert client.get("/refused").json()["error"]["code"] == "method_not_allowed"
