"""One Presidio analyzer + anonymizer per process, shared by the output PII filter and input policies.

`PiiEngine.analyze(text, entities)` finds PII as `Finding`s (known false positives cut);
`analyze_batch` runs the NLP model once over many texts; `anonymize(text, findings, operators)`
replaces, masks or hashes them. The hash operator gets a fixed salt so equal values hash equally.
"""

from __future__ import annotations

from filters import presidio_loading  # noqa: F401  (before spaCy and Presidio: see there)

# isort: split
import hashlib
import logging
from collections.abc import Collection, Mapping, Sequence
from dataclasses import replace

from presidio_analyzer import AnalyzerEngine, RecognizerResult
from presidio_anonymizer import AnonymizerEngine
from presidio_anonymizer.entities import OperatorConfig
from presidio_anonymizer.entities import RecognizerResult as AnonymizerInput

from filters.base import Finding, Replacement, apply_replacements
from filters.config import MaskSettings, PiiEngineSettings, PiiOperator
from filters.pii_overlap import resolve_overlaps
from filters.pii_prefilter import candidate_entities
from filters.pii_recognizers import NER_ENTITIES, build_nlp_engine, build_registry, supported_entities
from gateway.core.text import NormalisedText, unmask

log = logging.getLogger(__name__)

FILTER_NAME = "pii"
# Entities searched for whenever NER labels are, only so that their findings can overrule NER ones.
GUARD_ENTITIES = frozenset({"EMAIL_ADDRESS", "IP_ADDRESS", "CREDIT_CARD", "IBAN_CODE", "PHONE_NUMBER", "URL"})


def _in_original(findings: list[Finding], unmasked: NormalisedText | None) -> list[Finding]:
    """Findings in an unmasked text, as spans of the text it came from."""
    if unmasked is None:
        return findings
    out = []
    for finding in findings:
        start, end = unmasked.original_span(finding.start, finding.end)
        out.append(replace(finding, start=start, end=end))
    return out


class PiiEngine:
    """Presidio analyzer and anonymizer, configured once; thread-safe for concurrent scans."""

    def __init__(self, settings: PiiEngineSettings) -> None:
        self.settings = settings
        self.mode = settings.mode
        self.language = settings.language
        self._prefilter = settings.prefilter
        self.model_name = settings.spacy_model if settings.mode == "ner" else None
        nlp_engine = build_nlp_engine(settings.mode, settings.spacy_model, settings.language)
        nlp_engine.load()
        self._nlp_engine = nlp_engine
        self._analyzer = AnalyzerEngine(
            registry=build_registry(settings.mode, settings.language),
            nlp_engine=nlp_engine,
            supported_languages=[settings.language],
        )
        self._anonymizer = AnonymizerEngine()
        self._salt = settings.hash_salt.get_secret_value()
        # Presidio's hash operator refuses salts under 16 bytes (and salts randomly without one).
        self.can_hash = len(self._salt.encode("utf-8")) >= 16
        self.entities = supported_entities(settings.mode)
        # The spaCy pipes loaded (NER's alone, see pii_recognizers.NerOnlySpacyNlpEngine); none in patterns mode.
        self.pipes: list[str] = nlp_engine.get_nlp(self.language).pipe_names if settings.mode == "ner" else []  # type: ignore[attr-defined]
        log.info("PII engine: mode=%s spaCy model=%s", self.mode, self.model_name or "none (patterns only)")

    def describe(self) -> dict[str, object]:
        """What is active, for /readyz and the start-up log."""
        return {
            "mode": self.mode,
            "spacy_model": self.model_name,
            "spacy_pipes": self.pipes,
            "entities": sorted(self.entities),
        }

    def _search_set(self, entities: Collection[str]) -> list[str]:
        wanted = set(entities) & self.entities
        if wanted & NER_ENTITIES:
            wanted |= GUARD_ENTITIES
        return sorted(wanted)

    def _to_findings(
        self, results: list[RecognizerResult], entities: Collection[str], score_threshold: float
    ) -> list[Finding]:
        findings = [
            Finding(r.entity_type, r.start, r.end, float(r.score), FILTER_NAME)
            for r in results
            if r.score >= score_threshold
        ]
        return [f for f in resolve_overlaps(findings) if f.entity_type in entities]

    def analyze(self, text: str, entities: Collection[str], score_threshold: float = 0.4) -> list[Finding]:
        """PII in `text` of the given entity types, overlaps resolved, sorted by position. A value
        disguised with full-width forms, invisible characters or look-alike letters is found too,
        as a span of `text` itself."""
        search = self._search_set(entities)
        if not search or not text:
            return []
        unmasked = None if text.isascii() else unmask(text)
        scanned = text if unmasked is None else unmasked.text
        if self._prefilter:
            search = candidate_entities(scanned, search)
            if not search:
                return []
        results = self._analyzer.analyze(text=scanned, language=self.language, entities=search)
        return _in_original(self._to_findings(results, entities, score_threshold), unmasked)

    def analyze_batch(
        self, texts: Sequence[str], entities: Collection[str], score_threshold: float = 0.4
    ) -> list[list[Finding]]:
        """`analyze` over many texts; in `ner` mode spaCy processes them as one batch."""
        search = self._search_set(entities)
        if not search:
            return [[] for _ in texts]
        if self.mode == "patterns":
            return [self.analyze(text, entities, score_threshold) for text in texts]
        unmasked = [None if text.isascii() else unmask(text) for text in texts]
        scanned = [text if u is None else u.text for text, u in zip(texts, unmasked, strict=True)]
        artifacts = self._nlp_engine.process_batch(scanned, self.language, batch_size=max(1, len(texts)))
        out: list[list[Finding]] = []
        for text, disguise, (_, nlp_artifacts) in zip(scanned, unmasked, artifacts, strict=True):
            candidates = candidate_entities(text, search) if self._prefilter else search
            if not candidates or not text:  # Presidio reads an empty entity list as "all of them"
                out.append([])
                continue
            results = self._analyzer.analyze(
                text=text, language=self.language, entities=candidates, nlp_artifacts=nlp_artifacts
            )
            out.append(_in_original(self._to_findings(results, entities, score_threshold), disguise))
        return out

    def hash_value(self, value: str) -> str:
        """The salted SHA-256 of `value`, as the hash operator writes it."""
        return hashlib.sha256((value + self._salt).encode("utf-8")).hexdigest()

    def _operator(self, operator: PiiOperator, entity: str, mask: MaskSettings) -> OperatorConfig | None:
        if operator in (PiiOperator.REPLACE, PiiOperator.BLOCK):
            # A blocked answer is withheld, but the text kept for review still gets no raw PII shown.
            return OperatorConfig("replace", {"new_value": f"<{entity}>"})
        if operator is PiiOperator.MASK:
            return OperatorConfig(
                "mask",
                {"masking_char": mask.masking_char, "chars_to_mask": mask.chars_to_mask, "from_end": mask.from_end},
            )
        if operator is PiiOperator.HASH:
            return OperatorConfig("hash", {"hash_type": "sha256", "salt": self._salt})
        return None  # FLAG: leave the text as it is

    def replacements(
        self,
        text: str,
        findings: Sequence[Finding],
        operators: Mapping[str, PiiOperator | str],
        mask: MaskSettings | None = None,
    ) -> list[Replacement]:
        """What each finding becomes under its type's operator (by Presidio's anonymizer), as spans of `text`."""
        mask = mask or MaskSettings()
        replacements = []
        for finding in resolve_overlaps(findings):
            # PiiOperator(...) also accepts plain strings ("mask"), for callers outside this package.
            operator = PiiOperator(operators.get(finding.entity_type, PiiOperator.REPLACE))
            config = self._operator(operator, finding.entity_type, mask)
            if config is None:
                continue
            # One value at a time: on a whole text Presidio merges same-type entities separated only
            # by whitespace into one, which would lose the span of each.
            value = text[finding.start : finding.end]
            result = AnonymizerInput(finding.entity_type, 0, len(value), finding.score)
            new = self._anonymizer.anonymize(value, [result], {finding.entity_type: config}).text
            replacements.append(Replacement(finding.start, finding.end, new))
        return replacements

    def anonymize(
        self,
        text: str,
        findings: Sequence[Finding],
        operators: Mapping[str, PiiOperator | str],
        mask: MaskSettings | None = None,
    ) -> str:
        """`text` with each finding replaced, masked or hashed as `operators` says for its type."""
        return apply_replacements(text, self.replacements(text, findings, operators, mask))
