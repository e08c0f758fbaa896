"""The fast lane inside a FastAPI app wired as create_app wires it: errors come out as on any route."""

from __future__ import annotations

import pytest
from fastapi import APIRouter, FastAPI
from fastapi.testclient import TestClient
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from gateway.app import install_error_handlers
from gateway.core.errors import GatewayError, PermissionDenied
from gateway.core.outages import DatabaseOutages
from gateway.fast_lane import FastLane, FastRoute


async def refused(request: Request) -> Response:
    raise PermissionDenied("not for your team", param="model")


async def crashed(request: Request) -> Response:
    raise RuntimeError("a bug")


async def fast(request: Request) -> Response:
    return PlainTextResponse(f"fast {request.method} {request.url.path}")


def own_format(error: GatewayError) -> Response:
    return PlainTextResponse(f"own format: {error}", status_code=error.status_code)


def _app(with_fast_lane: bool) -> TestClient:
    router = APIRouter()
    for path, endpoint in (("/refused", refused), ("/crashed", crashed), ("/fast", fast)):
        router.routes.append(FastRoute(path, endpoint, methods=["POST"]))
    router.routes.append(FastRoute("/refused-in-own-format", refused, methods=["POST"], errors=own_format))

    @router.get("/elsewhere")
    async def elsewhere() -> Response:
        return PlainTextResponse("through FastAPI")

    app = FastAPI()
    outages = DatabaseOutages()
    install_error_handlers(app, outages)
    app.include_router(router)
    if with_fast_lane:
        app.add_middleware(FastLane, routes=router.routes, outages=outages)
    return TestClient(app, raise_server_exceptions=False)


@pytest.fixture(params=[True, False], ids=["fast-lane", "fastapi-routing"])
def client(request: pytest.FixtureRequest) -> TestClient:
    """A fast route is an ordinary route: the same answers with the fast lane and without it."""
    return _app(with_fast_lane=request.param)


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


def test_a_fast_route_answers_its_method_and_path(client: TestClient) -> None:
    assert client.post("/fast").text == "fast POST /fast"


def test_a_fast_route_writes_its_errors_in_its_apis_format(client: TestClient) -> None:
    response = client.post("/refused-in-own-format")
    assert (response.status_code, response.text) == (403, "own format: not for your team")


def test_a_fast_route_has_a_fixed_path() -> None:
    with pytest.raises(ValueError, match="fixed path"):
        FastRoute("/items/{id}", fast, methods=["POST"])
