"""The rule types a policy file may use: one file per rule, one registration line each."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from policies.rules.allowed_models import AllowedModelsSettings
from policies.rules.approved_prompts_only import ApprovedPromptsOnlySettings
from policies.rules.base import RuleSettings
from policies.rules.deny_list import DenyListSettings
from policies.rules.experiment_limits import ExperimentLimitsSettings
from policies.rules.input_pii import InputPiiSettings
from policies.rules.max_input_tokens import MaxInputTokensSettings
from policies.rules.max_output_tokens import MaxOutputTokensSettings
from policies.rules.model_card_data import ModelCardDataSettings
from policies.rules.prompt_injection import PromptInjectionSettings
from policies.rules.request_parameters import RequestParametersSettings
from policies.rules.system_prompt import SystemPromptSettings
from policies.rules.use_case_stage import UseCaseStageSettings
from policies.rules.withhold_flags import WithholdFlagsSettings

RULE_TYPES: Mapping[str, type[RuleSettings]] = MappingProxyType(
    {
        AllowedModelsSettings.type_name: AllowedModelsSettings,
        RequestParametersSettings.type_name: RequestParametersSettings,
        MaxOutputTokensSettings.type_name: MaxOutputTokensSettings,
        MaxInputTokensSettings.type_name: MaxInputTokensSettings,
        ApprovedPromptsOnlySettings.type_name: ApprovedPromptsOnlySettings,
        DenyListSettings.type_name: DenyListSettings,
        PromptInjectionSettings.type_name: PromptInjectionSettings,
        InputPiiSettings.type_name: InputPiiSettings,
        SystemPromptSettings.type_name: SystemPromptSettings,
        UseCaseStageSettings.type_name: UseCaseStageSettings,
        ExperimentLimitsSettings.type_name: ExperimentLimitsSettings,
        ModelCardDataSettings.type_name: ModelCardDataSettings,
        WithholdFlagsSettings.type_name: WithholdFlagsSettings,
    }
)
