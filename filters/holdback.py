"""What a streamed text must still hold back: the trailing fragment that could grow into a finding.

Each inline filter says, for the text received so far, from which index on a finding could still
form as more text arrives; everything before that index can be scanned and released now. These
are the shared rules:

- the last token, unless whitespace follows it: the next chunk may continue the word
  ("proj" + "ect"), the e-mail address or the URL;
- the run of number-like tokens before it (digits, `+()-./` and capital letters only): phone,
  card, IBAN and SSN formats span spaces ("+1 (415) 555-0132", "GB82 WEST 1234 ...").
"""

from __future__ import annotations

_NUMBER_PUNCTUATION = frozenset("+()-./")
_SENTENCE_PUNCTUATION = ".,;:!?"


def last_token_start(text: str, start: int) -> int:
    """Where the last token of `text` begins if no whitespace ends it (else the end); not before `start`."""
    end = len(text)
    if end == start or text[end - 1].isspace():
        return end
    position = end - 1
    while position > start and not text[position - 1].isspace():
        position -= 1
    return position


def _number_like(token: str) -> bool:
    """Digits, number punctuation and capital letters only (IBAN groups, vanity numbers), with a
    digit or short: "+1", "(415)", "555-0132.", "GB82", "WEST"; not "word12" or "Monday"."""
    core = token.rstrip(_SENTENCE_PUNCTUATION) or token
    if not all(char.isdigit() or char in _NUMBER_PUNCTUATION or "A" <= char <= "Z" for char in core):
        return False
    return any(char.isdigit() for char in core) or len(core) <= 4


def number_run_start(text: str, start: int) -> int:
    """Where the trailing run of number-like tokens begins (the last token always counts, finished
    or not, when it is number-like or unfinished); not before `start`."""
    position = last_token_start(text, start)
    if position < len(text) and not _number_like(text[position:].strip()):
        return position  # an unfinished word: held alone
    cursor = position
    while cursor > start:
        token_end = cursor
        while token_end > start and text[token_end - 1].isspace():
            token_end -= 1
        token_start = token_end
        while token_start > start and not text[token_start - 1].isspace():
            token_start -= 1
        if token_start == token_end or not _number_like(text[token_start:token_end]):
            break
        cursor = position = token_start
    return position
