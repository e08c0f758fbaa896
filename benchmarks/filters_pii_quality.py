"""Precision and recall of the PII filter, per mode and per entity type, on tests/filters/pii_corpus.yaml.

Run: .venv/bin/python benchmarks/filters_pii_quality.py [--mode patterns|ner|both] [--show-errors]

A found entity counts as correct when it overlaps a labelled entity of the same type (ADDRESS,
which Presidio has no recognizer for, is matched by LOCATION). Entity types: the filter's defaults.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gateway.offline import apply_offline_defaults  # noqa: E402

apply_offline_defaults()

from filters.config import DEFAULT_PII_ENTITIES, PiiEngineSettings  # noqa: E402
from filters.pii_engine import PiiEngine  # noqa: E402

CORPUS = ROOT / "tests" / "filters" / "pii_corpus.yaml"
FOUND_AS = {"ADDRESS": "LOCATION"}


@dataclass(frozen=True)
class Span:
    type: str
    start: int
    end: int

    def overlaps(self, other: Span) -> bool:
        return self.start < other.end and other.start < self.end


def gold_spans(item: dict) -> list[Span]:
    spans = []
    cursor: dict[str, int] = {}
    for entity_type, value in item["entities"]:
        value = str(value)
        start = item["text"].find(value, cursor.get(value, 0))
        cursor[value] = start + len(value)
        spans.append(Span(entity_type, start, start + len(value)))
    return spans


def evaluate(engine: PiiEngine, corpus: list[dict], show_errors: bool = False) -> dict[str, Counter]:
    """Per gold type: tp (gold found), fn (gold missed); per found type: fp (found, not labelled)."""
    counts: dict[str, Counter] = {}
    entities = set(DEFAULT_PII_ENTITIES)
    for item in corpus:
        text = item["text"]
        gold = gold_spans(item)
        found = [Span(f.entity_type, f.start, f.end) for f in engine.analyze(text, entities)]
        for g in gold:
            hit = any(f.type == FOUND_AS.get(g.type, g.type) and f.overlaps(g) for f in found)
            counts.setdefault(g.type, Counter())["tp" if hit else "fn"] += 1
            if not hit and show_errors:
                print(f"  missed {g.type:14} {text[g.start : g.end]!r:40} in {text!r}")
        for f in found:
            if not any(f.type == FOUND_AS.get(g.type, g.type) and f.overlaps(g) for g in gold):
                counts.setdefault(f.type, Counter())["fp"] += 1
                if show_errors:
                    print(f"  false  {f.type:14} {text[f.start : f.end]!r:40} in {text!r}")
    return counts


def ratio(a: int, b: int) -> str:
    return f"{a / b:.3f}" if b else "  -  "


def report(mode: str, counts: dict[str, Counter], detectable: set[str]) -> None:
    print(f"\nmode={mode}")
    print(f"{'type':16}{'gold':>6}{'found ok':>10}{'missed':>8}{'false +':>9}{'precision':>11}{'recall':>8}")
    total: Counter[str] = Counter()
    scoped: Counter[str] = Counter()
    for entity_type in sorted(counts):
        c = counts[entity_type]
        # A gold item found is a true positive for precision too (one found span per gold span).
        print(
            f"{entity_type:16}{c['tp'] + c['fn']:>6}{c['tp']:>10}{c['fn']:>8}{c['fp']:>9}"
            f"{ratio(c['tp'], c['tp'] + c['fp']):>11}{ratio(c['tp'], c['tp'] + c['fn']):>8}"
        )
        total.update(c)
        if FOUND_AS.get(entity_type, entity_type) in detectable:
            scoped.update(c)
    for label, c in (("all types", total), ("types this mode finds", scoped)):
        print(
            f"{label:26}precision {ratio(c['tp'], c['tp'] + c['fp'])}  recall {ratio(c['tp'], c['tp'] + c['fn'])}"
            f"  (tp {c['tp']}, fp {c['fp']}, fn {c['fn']})"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=["patterns", "ner", "both"], default="both")
    parser.add_argument("--show-errors", action="store_true")
    args = parser.parse_args()
    corpus = yaml.safe_load(CORPUS.read_text(encoding="utf-8"))
    negatives = sum(1 for item in corpus if not item["entities"])
    print(f"corpus: {len(corpus)} sentences ({negatives} without PII), {CORPUS.relative_to(ROOT)}")
    for mode in ("patterns", "ner") if args.mode == "both" else (args.mode,):
        engine = PiiEngine(PiiEngineSettings(mode=mode))
        counts = evaluate(engine, corpus, args.show_errors)
        report(mode, counts, set(engine.entities))


if __name__ == "__main__":
    main()
