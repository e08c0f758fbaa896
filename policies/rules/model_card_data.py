"""Rule `model_card_data`: the requested model's card must allow the use case's data classification
(the default policy applies it to restricted data)."""

from __future__ import annotations

from typing import ClassVar

from gateway.core.types import Action
from policies.request import PolicyRequest
from policies.rules.base import CompiledRule, Finding, Reach, RuleSettings, Stage
from policies.services import PolicyServices


class ModelCardDataSettings(RuleSettings):
    """No keys of its own: the card says which data classifications the model may receive."""

    type_name: ClassVar[str] = "model_card_data"

    def build(self, name: str, services: PolicyServices) -> ModelCardData:
        return ModelCardData(name, self)


class ModelCardData(CompiledRule):
    stage = Stage.ACCESS
    reach = Reach.CALLER

    def check(self, request: PolicyRequest) -> Finding | None:
        use_case = request.use_case
        if use_case is None or use_case.data_classification in use_case.model_allows:
            return None
        return Finding(
            Action.BLOCK,
            f"the card of model {request.model!r} does not allow {use_case.data_classification.value} data",
            param="model",
            details={"use_case": use_case.id, "data_classification": use_case.data_classification.value},
            refusal="forbidden",
        )
