"""The case search document and search patterns: one folding for what is stored and typed.

A case's ``search_text`` holds its reference, the applicant's and dependants' names (Latin and
Chinese) and the applicant's e-mail, folded: lower case, accents removed ("Müller" is stored as
"muller"), each CJK character a word of its own. It starts and ends with a space, so that a
word can be matched from its start (" li") or whole (" 陳 ") by a plain substring. Both
databases index it by trigrams (pg_trgm on PostgreSQL, an FTS5 trigram table on SQLite), which
need three characters: a short term is matched as the start of a word, which makes it three.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

__all__ = ["MIN_TERM_LENGTH", "SearchTerm", "fold", "search_document", "search_term"]

MIN_TERM_LENGTH = 3  # what a trigram index can serve
_SPACES = re.compile(r"\s+")


def _is_cjk(char: str) -> bool:
    return unicodedata.east_asian_width(char) in ("W", "F") and char.isalnum()


def fold(text: str) -> str:
    """Lower case without accents, CJK characters spaced apart, whitespace collapsed."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    spaced = "".join(f" {c} " if _is_cjk(c) else c for c in plain)
    return _SPACES.sub(" ", spaced).strip()


def search_document(parts: Iterable[str | None]) -> str:
    """The folded text stored in ``cases.search_text`` for ``parts``."""
    words = " ".join(fold(part) for part in parts if part)
    return f" {_SPACES.sub(' ', words).strip()} "


class SearchTerm:
    """What the user typed, folded, as the substring to look for in ``search_text``."""

    def __init__(self, typed: str) -> None:
        self.typed = typed
        folded = fold(typed)
        self.folded = folded
        if len(folded) >= MIN_TERM_LENGTH:
            self.needle = folded
        elif folded and _is_cjk(folded[-1]):
            self.needle = f" {folded} "  # one CJK character: the whole word
        elif folded:
            self.needle = f" {folded}"  # a short Latin term: the start of a word
        else:
            self.needle = ""

    @property
    def usable(self) -> bool:
        return len(self.needle) >= MIN_TERM_LENGTH

    def like_pattern(self) -> str:
        """A LIKE pattern with ``%`` and ``_`` taken literally (escape character ``\\``)."""
        escaped = (self.needle.replace("\\", "\\\\").replace("%", "\\%")
                   .replace("_", "\\_"))
        return f"%{escaped}%"

    def fts_phrase(self) -> str:
        """An FTS5 phrase: the trigram tokenizer matches it as a substring."""
        return '"' + self.needle.replace('"', '""') + '"'


def search_term(typed: str) -> SearchTerm:
    return SearchTerm(typed)
