"""The command line manages keys, teams and the database without loading what serving needs: each
`gateway keys create` would otherwise spend a second or two importing Presidio, spaCy and litellm."""

from __future__ import annotations

import subprocess
import sys

SERVING_ONLY = ("presidio_analyzer", "spacy", "litellm", "sklearn", "fastapi", "uvicorn")


def test_the_cli_loads_none_of_the_serving_libraries() -> None:
    probe = f"import sys, gateway.cli; print(','.join(m for m in {SERVING_ONLY!r} if m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == ""
