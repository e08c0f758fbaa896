"""Loads spaCy and Presidio without the torch and transformers stacks they would pull in.

presidio_analyzer imports transformers when it is installed (for its Hugging Face NER engine),
and spaCy's thinc imports torch when that is: 6-9 s of start-up and a few hundred MB in the
gateway and in every filter worker. The PII engines here are patterns and spaCy's own `ner` pipe,
which need neither, so both stay hidden while these two load (each treats a failed import as "not
installed"). Detoxify, which does need them, imports them afterwards as usual. Import this module
before spaCy or Presidio.
"""

from __future__ import annotations

import sys

HIDDEN = ("torch", "transformers")


def _load() -> None:
    hidden = [name for name in HIDDEN if name not in sys.modules]
    for name in hidden:
        sys.modules[name] = None  # type: ignore[assignment]  # `import name` raises ImportError now
    try:
        import presidio_analyzer  # noqa: F401
        import spacy  # noqa: F401
    finally:
        for name in hidden:
            if name in sys.modules and sys.modules[name] is None:
                del sys.modules[name]


_load()
