"""No redirect is followed with a provider credential, whatever HTTP client litellm builds.

litellm's own clients and the openai SDK it wraps both follow redirects, which would carry the
provider key (an `Authorization` or `api-key` header) to whatever origin a 3xx names, and litellm
may swap httpx's transport for its own. `httpx.AsyncClient.send` is the one public call that every
such client makes, so redirects are refused there: never followed, and a 3xx is an error.
"""

from __future__ import annotations

from typing import Any

import httpx


class RedirectRefused(httpx.TransportError):
    """A provider answered with a redirect; the gateway follows none."""


_original_send = httpx.AsyncClient.send


async def _send_without_redirects(self: httpx.AsyncClient, request: httpx.Request, **kwargs: Any) -> httpx.Response:
    kwargs["follow_redirects"] = False
    response = await _original_send(self, request, **kwargs)
    if response.is_redirect:
        await response.aclose()
        raise RedirectRefused(
            f"the provider answered {response.status_code}; the gateway follows no redirects", request=request
        )
    return response


def refuse_redirects() -> None:
    """Install the refusal (idempotent); called when litellm is first used."""
    client: Any = httpx.AsyncClient
    client.send = _send_without_redirects
