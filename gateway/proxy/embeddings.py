"""An embeddings request from request to ledger: the checks (the model, the use case, the policy's
rules for the model and the input text), limits, the upstream call, the books."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from gateway.core.errors import ContentFiltered
from gateway.ledger.tokens import TokenCounter, TokenUsage, provider_usage
from gateway.proxy.access import Access
from gateway.proxy.accounting import END_USER_HEADER, Accounting
from gateway.proxy.admission import Admission
from gateway.proxy.embedding_input import input_as_chat, input_from_chat
from gateway.proxy.http_body import json_response, read_json_body
from gateway.proxy.openai_requests import check_embeddings_request, model_of
from gateway.upstream.router import Router
from policies.rules.base import EMBEDDINGS_DOOR


class Embeddings:
    def __init__(
        self,
        *,
        access: Access,
        admission: Admission,
        router: Router,
        counter: TokenCounter,
        accounting: Accounting,
        max_request_bytes: int,
    ) -> None:
        self._access = access
        self._admission = admission
        self._router = router
        self._counter = counter
        self._accounting = accounting
        self._max_request_bytes = max_request_bytes

    async def handle(self, request: Request) -> Response:
        books = self._accounting.open("embeddings")
        with books.kept():
            principal = await self._access.principal(request)
            books.identify(principal)
            body = await read_json_body(request, self._max_request_bytes)
            books.describe_request(body, request.headers.get(END_USER_HEADER))
            group = check_embeddings_request(body, self._router.extra_params(model_of(body)))
            self._access.authorise_model(principal, group)
            deployment = self._router.require_group(group)[0]  # the group's first: the price budgets reserve at
            model = deployment.params.upstream_model
            tokenizer = self._counter.encoding_for(model)
            try:
                principal, screened = await self._admission.admit_without_chat(
                    books, request, principal, input_as_chat(body, tokenizer), group, EMBEDDINGS_DOOR
                )
            except ContentFiltered as refusal:
                if refusal.param == "messages":  # the text rules read the input as messages
                    refusal.param = "input"
                raise
            body = input_from_chat(body, screened, tokenizer)
            await books.reserve(
                principal, body, deployment, lambda: self._counter.count_embedding_input(body["input"], model)
            )
            result = await self._router.embeddings(group, body, books.route)
            usage = provider_usage(result) or TokenUsage(
                self._counter.count_embedding_input(body["input"], model), 0, counted=True
            )
            books.used(usage, books.route.deployment)
            return json_response(result, books.headers)
