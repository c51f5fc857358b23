"""What the lists read from a case row instead of its parts: the search text, whether any
deposit evidence is verified, and the date the case needs attention. Recomputed in the
transaction of every change (``cases.change_case``) and of every check run, so a list never
evaluates rules or joins the parts per row."""

from __future__ import annotations

from datetime import date
from typing import Any

from caseapp.rules import CaseFacts, RuleSet
from caseapp.rules.attention import attention
from caseapp.rules.vocab import EvidenceStatus
from caseapp.textsearch import search_document


def search_parts(case: Any) -> list[str | None]:
    """What the search box finds a case by: reference, names, Chinese names, e-mail."""
    applicant = case.applicant
    parts: list[str | None] = [case.reference, applicant.given_name, applicant.family_name,
                               applicant.chinese_name, applicant.email]
    for dependant in case.dependants:
        parts += [dependant.given_name, dependant.family_name]
    return parts


def row_values(case: Any) -> dict[str, Any]:
    """``search_text`` and ``has_verified_deposit`` for ``case`` (a Case, or plain rows with
    the same attributes)."""
    return {
        "search_text": search_document(search_parts(case)),
        "has_verified_deposit": any(
            EvidenceStatus(e.status) is EvidenceStatus.VERIFIED for e in case.deposits),
    }


def attention_values(facts: CaseFacts, rule_set: RuleSet) -> dict[str, Any]:
    """``attention_on`` and ``attention_reasons`` (JSON-ready) for a case's facts."""
    found = attention(facts, rule_set)
    return {
        "attention_on": found.on,
        "attention_reasons": [[since.isoformat(), text] for since, text in found.reasons],
    }


def due_reasons(stored: list[Any], today: date) -> list[str]:
    """The stored attention reasons whose date has come."""
    return [text for since, text in stored if date.fromisoformat(since) <= today]
