"""The blind index of review items' words: found by any form of a word, not by the text itself,
and still found after the review key is rotated."""

from __future__ import annotations

from filters.review_crypto import AnswerCipher
from filters.review_search import SearchIndex, words


def holds(terms: str, index: SearchIndex, search: str) -> bool:
    return all(any(form in terms for form in forms) for forms in index.query(search))


def test_words_are_folded_so_case_and_accents_do_not_matter() -> None:
    assert words("Crème BRÛLÉE, crème brulee!") == ["creme", "brulee"]


def test_an_item_is_found_by_its_words_in_any_order_but_not_by_others() -> None:
    index = SearchIndex.from_cipher(AnswerCipher([AnswerCipher.new_key()]))
    terms = index.terms(["The launch code is swordfish", "Tell me the code"])
    assert holds(terms, index, "SWORDFISH launch")
    assert not holds(terms, index, "swordfish marlin")


def test_the_stored_terms_do_not_contain_the_words() -> None:
    index = SearchIndex.from_cipher(AnswerCipher([AnswerCipher.new_key()]))
    terms = index.terms(["swordfish"])
    assert "swordfish" not in terms and len(terms.split()) == 1


def test_another_review_key_gives_other_tags() -> None:
    first = SearchIndex.from_cipher(AnswerCipher([AnswerCipher.new_key()]))
    second = SearchIndex.from_cipher(AnswerCipher([AnswerCipher.new_key()]))
    assert not holds(first.terms(["swordfish"]), second, "swordfish")


def test_items_indexed_before_a_key_rotation_are_still_found() -> None:
    old_key, new_key = AnswerCipher.new_key(), AnswerCipher.new_key()
    before = SearchIndex.from_cipher(AnswerCipher([old_key])).terms(["swordfish"])
    rotated = SearchIndex.from_cipher(AnswerCipher([new_key, old_key]))
    assert holds(before, rotated, "swordfish")
