"""The cipher for reviewed answers: keys from the configuration, or a generated local key file."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from filters.review_crypto import AnswerCipher
from gateway.core.settings import GatewaySettings

log = logging.getLogger(__name__)
KEY_FILE = "review.key"


def answer_cipher(settings: GatewaySettings) -> AnswerCipher:
    """Configured keys (GATEWAY_REVIEW_KEYS) win; the embedded default generates one on first use."""
    if settings.review_keys:
        return AnswerCipher([key.get_secret_value() for key in settings.review_keys])
    path = Path(settings.state_dir) / KEY_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(AnswerCipher.new_key())
    log.warning(
        "reviewed answers are encrypted with the generated key in %s; set GATEWAY_REVIEW_KEYS in production", path
    )
    return AnswerCipher([path.read_text().strip()])
