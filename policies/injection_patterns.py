"""The built-in prompt-injection detector: known attack phrasings, each with a weight.

Weights add up per distinct pattern, and a rule compares the sum with its threshold. Strong,
unambiguous phrasings ("ignore all previous instructions", "do anything now") weigh at least the
default threshold on their own; weaker signals ("jailbreak", "developer mode", "no restrictions")
only block together, so a question *about* jailbreaks or prompt injection passes.

Patterns run on normalised text (lower case, one space between words; see policies.normalise).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from policies.prefilter import PrefilteredPattern
from policies.services import InjectionScore

_TARGETS = (
    r"(?:instructions?|prompts?|rules|directions|directives|guidelines|commands|guardrails|constraints|programming)"
)
_SCOPE = r"(?:previous|prior|above|earlier|preceding|former|all|any|your|the|these|those|initial|original|system)"


@dataclass(frozen=True, slots=True)
class InjectionPattern:
    """One weighted phrasing; `name` is what verdicts report (never the matched text)."""

    name: str
    pattern: str
    weight: float
    # Literal substrings of which any match needs one: the regex runs only when one is present.
    triggers: tuple[str, ...] = ()


BUILTIN_PATTERNS: tuple[InjectionPattern, ...] = (
    InjectionPattern(
        "ignore_instructions",
        rf"\b(?:ignore|disregard|forget|bypass|override)\b(?: (?:all|any|of|the|your|my|these|those)\b)*"
        rf" {_SCOPE}\b(?: [\w-]+){{0,2}}? {_TARGETS}\b",
        1.0,
        ("ignore", "disregard", "forget", "bypass", "override"),
    ),
    InjectionPattern(
        "forget_everything", r"\bforget (?:everything|all) (?:you were told|above|before|so far)\b", 0.8, ("forget",)
    ),
    InjectionPattern(
        "new_persona",
        r"\byou are (?:now|no longer)\b(?: [\w-]+){0,3}? (?:dan|unrestricted|unfiltered|uncensored|jailbroken|evil"
        r"|bound by|free from|restricted)\b",
        0.9,
        ("you are",),
    ),
    InjectionPattern("do_anything_now", r"\bdo anything now\b", 0.9, ("anything",)),
    InjectionPattern("named_jailbreak_mode", r"\b(?:dan|stan|dude|aim|evil|god) mode\b", 0.6, (" mode",)),
    InjectionPattern("developer_mode", r"\bdeveloper mode\b", 0.5, ("developer",)),
    InjectionPattern("jailbreak_word", r"\bjailbr(?:eak|oken|eaking)\b", 0.3, ("jailbr",)),
    InjectionPattern(
        "reveal_system_prompt",
        r"\b(?:reveal|print|show|repeat|output|display|leak|tell me|give me|write out)\b(?: [\w-]+){0,3}?"
        r" (?:system prompt|initial (?:prompt|instructions)|hidden (?:prompt|instructions)|original instructions"
        r"|instructions (?:above|you were given))\b",
        0.6,
        ("prompt", "instructions"),
    ),
    InjectionPattern(
        "no_restrictions",
        r"\b(?:without|no|free of|free from|bypass(?:ing)?|ignor(?:e|ing))"
        r" (?:any |all |your |the )?(?:ethical |moral |safety |content )?"
        r"(?:restrictions|filters|limitations|censorship|guardrails)\b",
        0.4,
        ("restrictions", "filters", "limitations", "censorship", "guardrails"),
    ),
    InjectionPattern(
        "unrestricted_roleplay",
        r"\b(?:pretend|act|roleplay|role-play|imagine)\b(?: [\w-]+){0,4}? (?:unrestricted|unfiltered|uncensored"
        r"|without (?:any )?(?:rules|restrictions|limits))\b",
        0.5,
        ("unrestricted", "unfiltered", "uncensored", "without"),
    ),
    InjectionPattern(
        "fake_system_marker", r"(?:^| )(?:#{2,}|\[|<\|?) ?(?:system|im_start|inst)\b", 0.5, ("##", "[", "<")
    ),
    InjectionPattern("new_instructions", r"\bnew (?:system )?instructions ?:", 0.5, ("instructions",)),
    InjectionPattern("from_now_on", r"\bfrom now on,? you (?:will|must|are|shall)\b", 0.3, ("now",)),
    InjectionPattern(
        "override_safety",
        # "your": addressed to the model; "override the safety settings of my router" stays benign.
        r"\b(?:override|disable|turn off|deactivate) (?:all (?:of )?)?your (?:safety|content|ethical)"
        r" ?(?:settings|policy|policies|filters?|guidelines|protocols)?\b",
        0.9,
        ("override", "disable", "turn off", "deactivate"),
    ),
)


class PatternInjectionDetector:
    """Scores a normalised text by the summed weights of the distinct patterns it matches."""

    def __init__(self, patterns: Iterable[InjectionPattern] = BUILTIN_PATTERNS) -> None:
        self._patterns = [(p, PrefilteredPattern(p.pattern)) for p in patterns]

    def score(self, text: str) -> InjectionScore:
        signals = [
            (pattern.name, pattern.weight)
            for pattern, regex in self._patterns
            if (not pattern.triggers or any(t in text for t in pattern.triggers)) and regex.search(text)
        ]
        return InjectionScore(round(sum(weight for _, weight in signals), 6), tuple(name for name, _ in signals))
