"""Every /admin route checks the caller's role on the server: a table says who may use each one,
and a route missing from the table fails the test, so a new route cannot ship without a decision."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient

from admin.web.guard import Allow
from tests.admin.support import ADMIN_KEY, ROLE_NAMES, csrf_token, sign_in

ALL = frozenset(ROLE_NAMES)
REVIEWERS = frozenset({"admin", "reviewer"})
ADMINS = frozenset({"admin"})
FINANCE = frozenset({"admin", "finance"})
PUBLIC = "public"  # reachable signed out, on purpose

# (method, path) → the roles allowed; PUBLIC for the sign-in form and the static files.
EXPECTED: dict[tuple[str, str], frozenset[str] | str] = {
    ("GET", "/admin/login"): PUBLIC,
    ("POST", "/admin/login"): PUBLIC,
    ("GET", "/admin/static"): PUBLIC,
    ("POST", "/admin/logout"): ALL,
    ("GET", "/admin"): ALL,
    ("GET", "/admin/review"): REVIEWERS,
    ("GET", "/admin/review/{review_id}"): REVIEWERS,
    ("POST", "/admin/review/{review_id}/decision"): REVIEWERS,
    ("POST", "/admin/review/bulk"): REVIEWERS,
    ("GET", "/admin/kept/{form_id}"): ALL,
    ("POST", "/admin/kept/{form_id}/discard"): ALL,
    ("GET", "/admin/teams"): ADMINS,
    ("POST", "/admin/teams"): ADMINS,
    ("POST", "/admin/keys"): ADMINS,
    ("POST", "/admin/keys/{prefix}/revoke"): ADMINS,
    ("GET", "/admin/keys/{prefix}/revoke"): ADMINS,
    ("GET", "/admin/keys/{prefix}/created"): ADMINS,
    ("GET", "/admin/keys/{prefix}"): ADMINS,
    ("POST", "/admin/keys/{prefix}"): ADMINS,
    ("GET", "/admin/teams/{name}"): ADMINS,
    ("POST", "/admin/teams/{name}"): ADMINS,
    ("GET", "/admin/users"): ADMINS,
    ("POST", "/admin/users"): ADMINS,
    ("POST", "/admin/users/{name}"): ADMINS,
    ("GET", "/admin/audit"): ADMINS,
    ("GET", "/admin/audit.csv"): ADMINS,
    ("GET", "/admin/blocklist"): REVIEWERS,
    ("POST", "/admin/blocklist"): REVIEWERS,
    ("POST", "/admin/blocklist/{entry_id}"): REVIEWERS,
    ("GET", "/admin/blocklist/{entry_id}/delete"): REVIEWERS,
    ("POST", "/admin/blocklist/{entry_id}/delete"): REVIEWERS,
    ("GET", "/admin/finance"): FINANCE,
    ("GET", "/admin/finance/spend.csv"): FINANCE,
    ("GET", "/admin/prompts"): ALL,
    ("GET", "/admin/prompts/new"): REVIEWERS,
    ("POST", "/admin/prompts"): REVIEWERS,
    ("GET", "/admin/prompts/{name}"): ALL,
    ("POST", "/admin/prompts/{name}/versions"): REVIEWERS,
    ("POST", "/admin/prompts/{name}/versions/{version}/{step}"): REVIEWERS,
    ("GET", "/admin/policies"): ADMINS,
    ("GET", "/admin/use-cases"): ALL,
    ("GET", "/admin/use-cases/new"): ADMINS,
    ("POST", "/admin/use-cases"): ADMINS,
    ("GET", "/admin/use-cases/{use_case_id}"): ALL,
    ("POST", "/admin/use-cases/{use_case_id}/stage"): REVIEWERS,
    ("POST", "/admin/use-cases/{use_case_id}/gates/{gate_id}/approve"): ALL,
    ("GET", "/admin/models"): ALL,
    ("GET", "/admin/kpis"): FINANCE,
    ("GET", "/admin/models/{model_name}"): ALL,
    ("POST", "/admin/models/{model_name}/card"): REVIEWERS,
}
# The JSON API checks roles with require_role inside the handler (bearer key or session).
API_EXPECTED: dict[tuple[str, str], frozenset[str]] = {
    ("GET", "/admin/api/teams"): ADMINS,
    ("POST", "/admin/api/teams"): ADMINS,
    ("GET", "/admin/api/keys"): ADMINS,
    ("POST", "/admin/api/keys"): ADMINS,
    ("POST", "/admin/api/keys/{prefix}/revoke"): ADMINS,
    ("PATCH", "/admin/api/teams/{name}"): ADMINS,
    ("PATCH", "/admin/api/keys/{prefix}"): ADMINS,
    ("GET", "/admin/api/review"): REVIEWERS,
    ("GET", "/admin/api/review/{review_id}"): REVIEWERS,
    ("POST", "/admin/api/review/{review_id}/decision"): REVIEWERS,
    ("GET", "/admin/api/blocklist"): REVIEWERS,
    ("POST", "/admin/api/blocklist"): REVIEWERS,
    ("PATCH", "/admin/api/blocklist/{entry_id}"): REVIEWERS,
    ("DELETE", "/admin/api/blocklist/{entry_id}"): REVIEWERS,
    ("GET", "/admin/api/audit"): ADMINS,
    ("GET", "/admin/api/audit.csv"): ADMINS,
    ("POST", "/admin/api/review/bulk"): REVIEWERS,
    ("GET", "/admin/api/finance/spend"): FINANCE,
    ("GET", "/admin/api/finance/spend.csv"): FINANCE,
    ("GET", "/admin/api/finance/budgets"): FINANCE,
    ("POST", "/admin/api/budgets"): ADMINS,
    ("POST", "/admin/api/rate-limits"): ADMINS,
    ("GET", "/admin/api/prompts"): ALL,
    ("POST", "/admin/api/prompts/{name}/versions/{version}/approve"): REVIEWERS,
    ("POST", "/admin/api/prompts/{name}/versions/{version}/reject"): REVIEWERS,
    ("POST", "/admin/api/prompts/{name}/versions/{version}/deprecate"): REVIEWERS,
    ("POST", "/admin/api/use-cases"): ADMINS,
    ("GET", "/admin/api/use-cases"): ALL,
    ("GET", "/admin/api/use-cases/{use_case_id}"): ALL,
    ("POST", "/admin/api/use-cases/{use_case_id}/stage"): REVIEWERS,
    # Any person may try; the gate then checks they hold the role they approve for.
    ("POST", "/admin/api/use-cases/{use_case_id}/gates/{gate_id}/approve"): ALL,
    ("GET", "/admin/api/models"): ALL,
    ("PUT", "/admin/api/models/{model_name}/card"): REVIEWERS,
    ("GET", "/admin/api/kpis"): FINANCE,
    ("GET", "/admin/api/kpis.csv"): FINANCE,
}
PARAMETERS = {
    "review_id": "rev_missing",
    "prefix": "sk-gw-missing",
    "name": "nobody",
    "version": "1",
    "step": "approve",
    "use_case_id": "uc_missing",
    "gate_id": "gate_missing",
    "model_name": "no-such-model",
    "entry_id": "999999",
    "form_id": "kept_missing",
}


def admin_routes(client: TestClient) -> list[tuple[str, str, object]]:
    """(method, path, route) for every route of the app under /admin."""
    found: list[tuple[str, str, object]] = []
    for context in iter_route_contexts(client.app.routes):  # type: ignore[attr-defined]
        path = context.path or ""
        if path == "/admin" or path.startswith("/admin/"):
            for method in sorted(context.methods or {"GET"}):
                if method != "HEAD":
                    found.append((method, path, context))
    return found


def concrete(path: str) -> str:
    return re.sub(r"\{(\w+)(:\w+)?\}", lambda m: PARAMETERS[m.group(1)], path)


def test_every_admin_route_has_a_decided_role_set(ui_app: TestClient) -> None:
    routes = {(method, path) for method, path, _ in admin_routes(ui_app)}
    undecided = routes - EXPECTED.keys() - API_EXPECTED.keys()
    assert not undecided, f"routes without an entry in the role table: {sorted(undecided)}"
    assert not (EXPECTED.keys() | API_EXPECTED.keys()) - routes, "the table names routes that no longer exist"


def test_every_ui_route_declares_its_role_check(ui_app: TestClient) -> None:
    for method, path, context in admin_routes(ui_app):
        if path.startswith("/admin/api/") or EXPECTED.get((method, path)) == PUBLIC:
            continue
        dependant = getattr(context, "dependant", None)
        guards = [d.call for d in (dependant.dependencies if dependant else []) if isinstance(d.call, Allow)]
        assert len(guards) == 1, f"{method} {path} has no Allow(...) dependency"
        expected = EXPECTED[(method, path)]
        assert {role.value for role in guards[0].roles} == expected, f"{method} {path}: {guards[0]!r}"


def _call(client: TestClient, method: str, path: str, token: str | None = None, **headers: str) -> int:
    data = {"csrf_token": token} if token and method == "POST" else None
    response = client.request(method, concrete(path), data=data, headers=headers)
    if response.status_code == 303 and response.headers["location"].startswith("/admin/login?next="):
        return 401  # a signed-out browser is sent to the sign-in page
    return response.status_code


def test_signed_out_callers_are_refused_everywhere_but_the_sign_in(
    ui_app: TestClient, make_client: Callable[[], TestClient]
) -> None:
    client = make_client()
    for (method, path), roles in {**EXPECTED, **API_EXPECTED}.items():
        if roles == PUBLIC:
            continue
        assert _call(client, method, path) == 401, f"{method} {path} answered a signed-out caller"


@pytest.mark.parametrize("role", ROLE_NAMES)
def test_each_role_reaches_exactly_its_routes(role: str, make_client: Callable[[], TestClient]) -> None:
    client = make_client()
    assert sign_in(client, role).status_code == 303
    token = csrf_token(client)
    table = {**EXPECTED, **API_EXPECTED}
    # Logging out ends the session: it goes last.
    for method, path in sorted(table, key=lambda key: key == ("POST", "/admin/logout")):
        roles = table[(method, path)]
        if roles == PUBLIC:
            continue
        status = _call(client, method, path, token, **({"x-csrf-token": token} if "/api/" in path else {}))
        if role in roles:
            assert status not in {401, 403}, f"{role} was refused {method} {path} ({status})"
        else:
            assert status == 403, f"{role} was not refused {method} {path} ({status})"


def test_the_admin_key_still_works_for_the_json_api(ui_app: TestClient) -> None:
    response = ui_app.get("/admin/api/teams", headers={"authorization": f"Bearer {ADMIN_KEY}"})
    assert response.status_code == 200


def test_the_admin_key_does_not_open_the_pages(make_client: Callable[[], TestClient]) -> None:
    # Pages need a person (an audit trail with a name), not a shared key.
    response = make_client().get("/admin/teams", headers={"authorization": f"Bearer {ADMIN_KEY}"})
    assert response.status_code == 303
