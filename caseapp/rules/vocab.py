"""The QMAS vocabulary: the fixed answers a consultant records.

Plain string enums so that the rules, the models (stored as their ``value``) and the
forms share one spelling of every answer.
"""

from __future__ import annotations

from enum import StrEnum


class Answer(StrEnum):
    """A declaration or proficiency that may not be known yet."""

    YES = "yes"
    NO = "no"
    UNKNOWN = "unknown"

    @property
    def label(self) -> str:
        return {"yes": "Yes", "no": "No", "unknown": "Not yet known"}[self.value]


class Qualification(StrEnum):
    """Highest academic qualification, lowest first."""

    NONE = "none"
    SECONDARY = "secondary"
    SUB_DEGREE = "sub_degree"
    BACHELOR = "bachelor"
    MASTER = "master"
    DOCTORATE = "doctorate"

    @property
    def label(self) -> str:
        return {
            "none": "None",
            "secondary": "Secondary",
            "sub_degree": "Sub-degree (diploma, associate)",
            "bachelor": "Bachelor's degree",
            "master": "Master's degree",
            "doctorate": "Doctorate",
        }[self.value]

    @property
    def is_degree(self) -> bool:
        return self in (Qualification.BACHELOR, Qualification.MASTER, Qualification.DOCTORATE)


class Relationship(StrEnum):
    SPOUSE = "spouse"
    CHILD = "child"
    PARENT = "parent"
    OTHER = "other"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class MaritalStatus(StrEnum):
    SINGLE = "single"
    MARRIED = "married"
    DIVORCED = "divorced"
    WIDOWED = "widowed"

    @property
    def label(self) -> str:
        return self.value.capitalize()

    @property
    def is_married(self) -> bool:
        return self is MaritalStatus.MARRIED


class EvidenceStatus(StrEnum):
    """Review state of a piece of deposit evidence; only verified evidence counts."""

    PENDING = "pending"
    VERIFIED = "verified"
    REJECTED = "rejected"

    @property
    def label(self) -> str:
        return self.value.capitalize()
