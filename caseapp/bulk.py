"""Bulk seeding for benchmarks: ``flask seed-bulk`` fills an empty database with many cases.

The cases look like three years of a consultancy's work: Latin and Chinese names, families and
singles, deposits in several currencies at every review state, documents, statuses across the
whole case life with their history (older cases further along), planned submissions, passports
expiring at various dates, and check runs. The check runs are real: the facts are built with
``services.checks.case_facts`` exactly as the app builds them and evaluated by the rules with
the configured rule set; the case rows carry the derived columns (search text, attention,
latest verdict) computed by the same functions the services use.

Speed: rows go in through SQLAlchemy Core ``executemany`` in batches, one commit per batch,
with ids assigned here (the facts a check run reads name dependants and deposits by id, so
they must be known before the rules run). Building, evaluating and inserting cost about the
same; with ``workers`` > 1 each worker process does all three for whole batches, after a quick
first pass has counted the ids each batch takes. Everything is drawn from ``random.Random``
seeded per case and dated from the start of today, so a seed gives the same database all day,
whatever the batch size or number of workers.
"""

from __future__ import annotations

import bisect
import itertools
import multiprocessing
import random
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import Connection, Engine, Table, create_engine, func, insert, select, text

from caseapp import clock
from caseapp.extensions import db
from caseapp.models import (
    Applicant,
    AuditEntry,
    Case,
    CheckRun,
    Deadline,
    Dependant,
    DepositEvidence,
    Document,
    DocumentKind,
    ReferenceCounter,
    Role,
    StatusChange,
    User,
)
from caseapp.rules import RuleSet, evaluate, load_rule_set
from caseapp.rules.facts import to_hkd
from caseapp.rules.vocab import (
    Answer,
    EvidenceStatus,
    MaritalStatus,
    Qualification,
    Relationship,
)
from caseapp.rules.workflow import CaseStatus, is_allowed
from caseapp.services.checks import case_facts, configured_rule_set, facts_fingerprint
from caseapp.services.deadlines import derive
from caseapp.services.derived import attention_values, row_values
from caseapp.services.users import hash_password
from caseapp.textsearch import fold

__all__ = ["BULK_EMAIL_DOMAIN", "BULK_PASSWORD", "DEFAULT_SEED", "BulkSeedRefused",
           "seed_bulk"]

BULK_PASSWORD = "bulk-password-2026"
BULK_EMAIL_DOMAIN = "bulk.caseapp.test"
DEFAULT_SEED = 2026
BATCH_CASES = 2000
YEARS = 3
# Below this many cases a process pool costs more to start than it saves.
POOL_MIN_CASES = 4000

S = CaseStatus
TABLES: dict[str, Table] = {
    model.__tablename__: model.__table__  # type: ignore[misc]
    for model in (User, Case, Applicant, Dependant, DepositEvidence, Document, StatusChange,
                  CheckRun, AuditEntry)
}


class BulkSeedRefused(Exception):
    """The database is not empty: bulk data is only ever added to an empty one."""


# ---- the vocabulary the cases are drawn from -----------------------------------------------

# (Latin spelling, character): Mandarin, Cantonese and Hokkien spellings of the same names.
CHINESE_FAMILY = [
    ("Chan", "陳", 9), ("Chen", "陳", 9), ("Wong", "黃", 7), ("Huang", "黃", 4),
    ("Wang", "王", 7), ("Li", "李", 6), ("Lee", "李", 5), ("Zhang", "張", 6),
    ("Cheung", "張", 4), ("Liu", "劉", 4), ("Lau", "劉", 3), ("Ng", "吳", 3), ("Wu", "吳", 3),
    ("Ho", "何", 2), ("He", "何", 2), ("Lam", "林", 3), ("Lin", "林", 3), ("Yang", "楊", 3),
    ("Yeung", "楊", 2), ("Zhao", "趙", 2), ("Chiu", "趙", 1), ("Zhou", "周", 2),
    ("Chow", "周", 2), ("Xu", "徐", 2), ("Tsui", "徐", 1), ("Sun", "孫", 1), ("Ma", "馬", 2),
    ("Zhu", "朱", 1), ("Chu", "朱", 1), ("Guo", "郭", 1), ("Kwok", "郭", 1), ("Luo", "羅", 1),
    ("Law", "羅", 1), ("Zheng", "鄭", 2), ("Cheng", "鄭", 1), ("Liang", "梁", 2),
    ("Leung", "梁", 2), ("Xie", "謝", 1), ("Tse", "謝", 1), ("Ye", "葉", 1), ("Yip", "葉", 1),
    ("Tang", "鄧", 1), ("Feng", "馮", 1), ("Fung", "馮", 1), ("Cai", "蔡", 1),
    ("Choi", "蔡", 1), ("Mak", "麥", 1), ("Kwan", "關", 1), ("Tan", "陳", 2), ("Lim", "林", 2),
    ("Goh", "吳", 1), ("Ong", "王", 1), ("Teo", "張", 1),
]
CHINESE_GIVEN = [
    ("Mei Ling", "美玲"), ("Wei", "偉"), ("Xiaoming", "小明"), ("Jiahui", "嘉慧"),
    ("Zihan", "子涵"), ("Hao", "浩"), ("Yuxuan", "宇軒"), ("Ka Yan", "嘉欣"),
    ("Siu Ming", "少明"), ("Wing Yee", "詠儀"), ("Jun", "俊"), ("Lei", "磊"), ("Ying", "穎"),
    ("Tao", "濤"), ("Xin", "欣"), ("Chun Kit", "俊傑"), ("Hoi Yan", "凱欣"),
    ("Tsz Ching", "芷晴"), ("Yiming", "一鳴"), ("Shu Fen", "淑芬"), ("Zhiwei", "志偉"),
    ("Jing", "靜"), ("Mingyu", "明宇"), ("Kai", "凱"), ("Yu", "宇"), ("Wai Man", "偉文"),
    ("Lok Yi", "樂怡"), ("Ruoxi", "若曦"), ("Haoran", "浩然"), ("Yifan", "一帆"),
    ("Xiuying", "秀英"), ("Guoqiang", "國強"), ("Jianhua", "建華"), ("Li Na", "麗娜"),
    ("Suk Yee", "淑儀"), ("Ka Ho", "家豪"), ("Pui Shan", "佩珊"), ("Yan Ting", "欣婷"),
]
ENGLISH_GIVEN = ["Michelle", "Kelvin", "Winnie", "Jason", "Ivy", "Eric", "Vivian", "Kenneth",
                 "Cherry", "Raymond", "Yvonne", "Alan", "Candy", "Terence", "Fiona", "Derek"]


@dataclass(frozen=True)
class Culture:
    given: tuple[str, ...]
    family: tuple[str, ...]
    nationalities: tuple[str, ...]
    weight: int


LATIN_CULTURES = [
    Culture(("James", "Emma", "Oliver", "Charlotte", "Daniel", "Olivia", "Thomas", "Sarah",
             "Liam", "Grace"),
            ("Smith", "Brown", "O'Brien", "Taylor", "Whitfield", "Clarke", "Evans", "Wilson",
             "Chandler", "Wong"),
            ("GBR", "GBR", "USA", "USA", "AUS", "CAN", "NZL", "IRL"), 10),
    Culture(("Priya", "Arjun", "Ravi", "Ananya", "Vikram", "Deepa", "Rahul", "Kavya"),
            ("Sharma", "Patel", "Iyer", "Reddy", "Gupta", "Nair", "Menon", "Chandrasekhar"),
            ("IND",), 9),
    Culture(("Jürgen", "Anna", "Lukas", "Sophie", "Jörg", "Katrin", "Maximilian", "Lena"),
            ("Müller", "Schröder", "Weiß", "Köhler", "Becker", "Groß", "Schmidt", "Mueller"),
            ("DEU", "DEU", "AUT", "CHE"), 4),
    Culture(("José", "María", "Lucía", "Andrés", "Sofía", "Martín", "Íñigo", "Inés"),
            ("García", "Fernández", "Martínez", "Núñez", "Pérez", "Gómez", "López", "Chávez"),
            ("ESP", "ESP", "MEX", "ARG", "COL"), 4),
    Culture(("Søren", "Åsa", "Bjørn", "Ingrid", "Øyvind", "Linnéa", "Astrid", "Mikkel"),
            ("Øster", "Ångström", "Nørgaard", "Lindqvist", "Sørensen", "Bergström",
             "Håkansson", "Østergaard"),
            ("NOR", "DNK", "SWE"), 3),
    Culture(("François", "Zoë", "Hélène", "Émile", "Chloé", "Théo", "Anaïs", "Noël"),
            ("Lefèvre", "Dubois", "Moreau", "Girard", "Béranger", "Lemaître", "Rousseau",
             "Chanel"),
            ("FRA", "FRA", "BEL", "CAN"), 3),
    Culture(("Łukasz", "Małgorzata", "Paweł", "Agnieszka", "Tomáš", "Zuzana"),
            ("Dvořák", "Wiśniewski", "Kowalczyk", "Nowak", "Szymański", "Novák"),
            ("POL", "POL", "CZE"), 2),
    Culture(("Hiroshi", "Yuki", "Takumi", "Aiko", "Sōta", "Haruka"),
            ("Tanaka", "Satō", "Suzuki", "Takahashi", "Itō", "Watanabe"), ("JPN",), 3),
    Culture(("Ji-woo", "Min-jun", "Seo-yeon", "Hyun-woo", "Ha-eun"),
            ("Kim", "Park", "Choi", "Jung", "Kang"), ("KOR",), 3),
    Culture(("João", "Ana", "Gonçalo", "Inês", "Thiago", "Beatriz"),
            ("Gonçalves", "Araújo", "Simões", "Conceição", "Magalhães", "Chaves"),
            ("PRT", "BRA", "BRA"), 2),
    Culture(("Çağlar", "Gülşen", "Ömer", "Şebnem", "Emre"),
            ("Yılmaz", "Öztürk", "Çelik", "Şahin", "Kaya"), ("TUR",), 2),  # noqa: RUF001
    Culture(("Minh", "Thảo", "Huy", "Lan", "Quốc"),
            ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng"), ("VNM",), 2),
    Culture(("Aisha", "Omar", "Layla", "Karim", "Yasmin"),
            ("Haddad", "Al-Masri", "Khoury", "Nasser", "Saleh"), ("JOR", "LBN", "EGY"), 2),
    Culture(("Sita", "Ram", "Anil", "Sunita"),
            ("Shrestha", "Gurung", "Thapa", "Rai"), ("NPL",), 1),
]
CHINESE_WEIGHT = 50  # of 100: a good share of the applicants have Chinese names
CHINESE_NATIONALITIES = ("CHN",) * 16 + ("TWN", "MYS", "MYS", "SGP", "CAN", "USA", "AUS", "GBR")

# HKD per unit, roughly; each statement's rate moves a little around it.
RATES = {
    "HKD": Decimal("1"), "USD": Decimal("7.8"), "CNY": Decimal("1.08"), "GBP": Decimal("9.9"),
    "EUR": Decimal("8.45"), "CHF": Decimal("8.85"), "AUD": Decimal("5.15"),
    "CAD": Decimal("5.7"), "NZD": Decimal("4.7"), "SGD": Decimal("5.8"),
    "MYR": Decimal("1.66"), "TWD": Decimal("0.24"), "JPY": Decimal("0.052"),
    "KRW": Decimal("0.0057"), "INR": Decimal("0.093"), "NOK": Decimal("0.72"),
    "DKK": Decimal("1.13"), "SEK": Decimal("0.74"), "PLN": Decimal("1.95"),
    "CZK": Decimal("0.34"), "BRL": Decimal("1.4"), "MXN": Decimal("0.43"),
}
HOME_CURRENCY = {
    "CHN": "CNY", "TWN": "TWD", "MYS": "MYR", "SGP": "SGD", "GBR": "GBP", "USA": "USD",
    "AUS": "AUD", "CAN": "CAD", "NZL": "NZD", "IRL": "EUR", "DEU": "EUR", "AUT": "EUR",
    "CHE": "CHF", "ESP": "EUR", "FRA": "EUR", "BEL": "EUR", "PRT": "EUR", "NOR": "NOK",
    "DNK": "DKK", "SWE": "SEK", "POL": "PLN", "CZE": "CZK", "IND": "INR", "JPN": "JPY",
    "KOR": "KRW", "BRA": "BRL", "MEX": "MXN",
}
HK_BANKS = ["HSBC Hong Kong", "Bank of China (Hong Kong)", "Standard Chartered Hong Kong",
            "Hang Seng Bank", "DBS Bank (Hong Kong)", "Citibank N.A.", "ICBC (Asia)",
            "Bank of East Asia"]
HOME_BANKS = {
    "CNY": ["China Merchants Bank", "Bank of China", "ICBC", "China Construction Bank"],
    "GBP": ["Barclays", "Lloyds Bank", "HSBC UK"], "EUR": ["Deutsche Bank", "BNP Paribas",
                                                        "BBVA", "Santander"],
    "INR": ["State Bank of India", "HDFC Bank"], "JPY": ["MUFG Bank", "Mizuho Bank"],
    "USD": ["Bank of America", "JPMorgan Chase", "Wells Fargo"],
}
OTHER_BANKS = ["HSBC", "Citibank", "Standard Chartered", "DBS Bank", "UBS", "Nordea"]
REJECTIONS = ["The statement is not in the applicant's name.",
              "Pages are missing from the statement.",
              "The statement is older than three months.",
              "The balance is not legible on the scan."]
WITHDRAWN_REASONS = ["The client accepted a job offer in Singapore.",
                     "The client decided to apply next year.",
                     "Family reasons: the client no longer wants to relocate.",
                     "The client moved to another consultancy.",
                     "The client stopped answering our e-mails."]
REFUSED_REASONS = ["ImmD refused: not enough points under the General Points Test.",
                   "ImmD refused: financial capability not shown to its satisfaction.",
                   "ImmD refused the application without giving reasons.",
                   "ImmD refused: the degree was not recognised."]
ON_HOLD_REASONS = ["Waiting for the client's police certificate.",
                   "The client is travelling for two months.",
                   "Waiting for the degree to be recognised.",
                   "The client asked us to pause while they change jobs."]
OVERRIDE_REASON = ("Manager's override: the outstanding point was discussed with ImmD "
                   "and the evidence follows with the application.")
DOCUMENT_NAMES = {
    DocumentKind.PASSPORT: ("passport_scan", "Passport bio page", "IMG_2231"),
    DocumentKind.PHOTO: ("photo", "passport photo", "IMG_0457"),
    DocumentKind.DEGREE_CERTIFICATE: ("degree_certificate", "Master diploma", "transcript"),
    DocumentKind.BANK_STATEMENT: ("bank_statement", "Statement March", "eStatement"),
    DocumentKind.POLICE_CERTIFICATE: ("police_certificate", "certificate of no criminal record",
                                      "police_clearance"),
    DocumentKind.OTHER: ("employment_letter", "reference_letter", "CV", "marriage_certificate",
                         "birth_certificate"),
}
REQUIRED_KINDS = (DocumentKind.PASSPORT, DocumentKind.PHOTO, DocumentKind.DEGREE_CERTIFICATE,
                  DocumentKind.BANK_STATEMENT, DocumentKind.POLICE_CERTIFICATE)
FILE_TYPES = (("pdf", "application/pdf"), ("pdf", "application/pdf"), ("jpg", "image/jpeg"),
              ("png", "image/png"))
EMAIL_DOMAINS = ("example.com", "example.org", "example.net", "mail.example.com")

# The final status a case reached, by its age in days: older cases are further along.
STATUS_BY_AGE: list[tuple[int, dict[CaseStatus, int]]] = [
    (14, {S.INTAKE: 55, S.COLLECTING_DOCUMENTS: 37, S.READY_FOR_REVIEW: 3, S.ON_HOLD: 3,
          S.WITHDRAWN: 2}),
    (60, {S.INTAKE: 8, S.COLLECTING_DOCUMENTS: 50, S.READY_FOR_REVIEW: 18, S.SUBMITTED: 8,
          S.ON_HOLD: 8, S.WITHDRAWN: 8}),
    (180, {S.INTAKE: 2, S.COLLECTING_DOCUMENTS: 18, S.READY_FOR_REVIEW: 8, S.SUBMITTED: 17,
           S.UNDER_ASSESSMENT: 28, S.APPROVED_IN_PRINCIPLE: 6, S.REFUSED: 3, S.ON_HOLD: 8,
           S.WITHDRAWN: 10}),
    (365, {S.COLLECTING_DOCUMENTS: 5, S.READY_FOR_REVIEW: 2, S.SUBMITTED: 4,
           S.UNDER_ASSESSMENT: 28, S.APPROVED_IN_PRINCIPLE: 22, S.VISA_ISSUED: 18,
           S.REFUSED: 8, S.ON_HOLD: 4, S.WITHDRAWN: 9}),
    (10**6, {S.COLLECTING_DOCUMENTS: 2, S.UNDER_ASSESSMENT: 4, S.APPROVED_IN_PRINCIPLE: 6,
             S.VISA_ISSUED: 56, S.REFUSED: 14, S.ON_HOLD: 3, S.WITHDRAWN: 15}),
]
MAIN_PATH = (S.INTAKE, S.COLLECTING_DOCUMENTS, S.READY_FOR_REVIEW, S.SUBMITTED,
             S.UNDER_ASSESSMENT, S.APPROVED_IN_PRINCIPLE, S.VISA_ISSUED)
# Days a move takes after the one before it: (low, high).
MOVE_DAYS = {
    S.COLLECTING_DOCUMENTS: (0.2, 6), S.READY_FOR_REVIEW: (10, 70), S.SUBMITTED: (1, 12),
    S.UNDER_ASSESSMENT: (5, 30), S.APPROVED_IN_PRINCIPLE: (45, 200), S.VISA_ISSUED: (10, 60),
    S.REFUSED: (30, 200), S.WITHDRAWN: (3, 60), S.ON_HOLD: (3, 40), S.INTAKE: (5, 30),
}
RESUME_DAYS = (10, 90)  # on hold -> back to work
# Share of cases (by final status, never submitted) that had their checks run.
RUN_SHARE = {S.INTAKE: 0.08, S.COLLECTING_DOCUMENTS: 0.5, S.READY_FOR_REVIEW: 0.9,
             S.ON_HOLD: 0.45, S.WITHDRAWN: 0.35}
# The consultancy has run its checks in caseapp for the last 15 months: work done before then
# came over from the old system with its history but without check runs ("unchecked"). This
# also keeps the volume sane: a stored result is about 4 KB of JSON.
CHECKS_IN_APP_DAYS = 456
EARLIER_RUN_SHARE = 0.12  # of checked cases: an earlier run on the facts as they were then
SYSTEM_RUN_SHARE = 0.05  # latest runs made by the nightly ``checks run --all`` job


def _weighted(rng: random.Random, weights: dict[Any, int]) -> Any:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _days(rng: random.Random, low: float, high: float) -> timedelta:
    return timedelta(seconds=rng.uniform(low, high) * 86400)


def _years_before(day: date, years: float) -> date:
    return day - timedelta(days=round(years * 365.25))


# ---- what is decided up front, in order ----------------------------------------------------

@dataclass(frozen=True)
class _Context:
    """What every case's builder needs: the clock, the staff, the rule set's time zone."""

    seed: int
    now: datetime
    today: date
    tz: ZoneInfo
    consultants: tuple[tuple[int, str], ...]  # (id, name)
    managers: tuple[int, ...]
    excluded_nationalities: frozenset[str]
    # An eligible check's last day to submit on (SUBMISSION_CHECK_MAX_AGE_DAYS): a deadline.
    check_max_age_days: int = 7


@dataclass(frozen=True)
class _Slot:
    """One case as decided before it is built: its place, id, reference and consultant."""

    index: int
    case_id: int
    reference: str
    opened_at: datetime
    consultant: int  # index into _Context.consultants


class _Ids:
    """The next id for each table: rows are numbered here, in the order they happened."""

    def __init__(self, starts: dict[str, int]) -> None:
        self._start = dict(starts)
        self._next = dict(starts)

    def take(self, table: str) -> int:
        value = self._next[table]
        self._next[table] = value + 1
        return value

    def taken(self) -> dict[str, int]:
        return {table: self._next[table] - start for table, start in self._start.items()}

    def following(self) -> dict[str, int]:
        """The next id of every table."""
        return dict(self._next)


# ---- one case ------------------------------------------------------------------------------

@dataclass
class _Deposit:
    row: dict[str, Any]
    recorded_at: datetime
    reviewed_at: datetime | None  # when it was verified or rejected


@dataclass
class _PlannedRun:
    run_id: int
    run_at: datetime
    run_by_id: int | None
    case_version: int
    check_date: date
    case: SimpleNamespace  # the case as the app would have loaded it then


@dataclass
class _BuiltCase:
    case: dict[str, Any]
    applicant: dict[str, Any]
    dependants: list[dict[str, Any]]
    deposits: list[dict[str, Any]]
    documents: list[dict[str, Any]]
    moves: list[dict[str, Any]]
    audit: dict[str, Any]
    runs: list[_PlannedRun]
    now: SimpleNamespace  # the case as the app loads it today
    submission: dict[str, Any] | None  # the move to "submitted", overridden if not eligible
    last_event_is_submission: bool


@dataclass
class _Events:
    """Every change that moved the case's version: (when, who)."""

    items: list[tuple[datetime, int]] = field(default_factory=list)

    def add(self, at: datetime, actor: int) -> None:
        self.items.append((at, actor))

    def version_at(self, at: datetime) -> int:
        return 1 + sum(1 for when, _ in self.items if when <= at)


class _CaseBuilder:
    """Draws one case with its parts and history from its own seeded random stream."""

    def __init__(self, ctx: _Context, slot: _Slot, ids: _Ids) -> None:
        self.ctx = ctx
        self.slot = slot
        self.ids = ids
        self.rng = random.Random(ctx.seed * 1_000_003 + slot.index)
        self.consultant_id, self.consultant_name = ctx.consultants[slot.consultant]
        self.events = _Events()

    def local_date(self, at: datetime) -> date:
        return at.astimezone(self.ctx.tz).date()

    # -- the status path -------------------------------------------------------------------

    def status_path(self) -> list[CaseStatus]:
        rng = self.rng
        age = (self.ctx.now - self.slot.opened_at).days
        final = _weighted(rng, next(w for limit, w in STATUS_BY_AGE if age < limit))
        if final in MAIN_PATH:
            path = list(MAIN_PATH[: MAIN_PATH.index(final) + 1])
        elif final is S.REFUSED:
            last = _weighted(rng, {S.SUBMITTED: 15, S.UNDER_ASSESSMENT: 70,
                                   S.APPROVED_IN_PRINCIPLE: 15})
            path = [*MAIN_PATH[: MAIN_PATH.index(last) + 1], S.REFUSED]
        elif final is S.WITHDRAWN:
            last = _weighted(rng, {S.INTAKE: 15, S.COLLECTING_DOCUMENTS: 40,
                                   S.READY_FOR_REVIEW: 10, S.SUBMITTED: 5,
                                   S.UNDER_ASSESSMENT: 10, S.ON_HOLD: 20})
            if last is S.ON_HOLD:
                path = [S.INTAKE, S.COLLECTING_DOCUMENTS, S.ON_HOLD, S.WITHDRAWN]
            else:
                path = [*MAIN_PATH[: MAIN_PATH.index(last) + 1], S.WITHDRAWN]
        else:  # on hold
            last = _weighted(rng, {S.INTAKE: 15, S.COLLECTING_DOCUMENTS: 70,
                                   S.READY_FOR_REVIEW: 15})
            path = [*MAIN_PATH[: MAIN_PATH.index(last) + 1], S.ON_HOLD]
        # Detours: a pause while collecting, a file sent back from review.
        if S.READY_FOR_REVIEW in path and rng.random() < 0.12:
            at = path.index(S.READY_FOR_REVIEW)
            path[at:at] = [S.ON_HOLD, S.COLLECTING_DOCUMENTS]
        if S.SUBMITTED in path and rng.random() < 0.10:
            at = path.index(S.READY_FOR_REVIEW) + 1
            path[at:at] = [S.COLLECTING_DOCUMENTS, S.READY_FOR_REVIEW]
        return path

    def move_times(self, path: list[CaseStatus]) -> list[datetime]:
        """When the case entered each status of ``path`` (the first is its opening)."""
        rng = self.rng
        offsets = [timedelta(0)]
        for before, status in itertools.pairwise(path):
            low, high = RESUME_DAYS if before is S.ON_HOLD else MOVE_DAYS[status]
            if before is S.READY_FOR_REVIEW and status is S.COLLECTING_DOCUMENTS:
                low, high = 1, 7
            offsets.append(offsets[-1] + _days(rng, low, high))
        room = self.ctx.now - self.slot.opened_at
        if offsets[-1] > room * 0.97:  # squeeze the history into the case's life so far
            scale = room * rng.uniform(0.5, 0.97) / offsets[-1]
            offsets = [offset * scale for offset in offsets]
        return [self.slot.opened_at + offset for offset in offsets]

    # -- the applicant ---------------------------------------------------------------------

    def person(self, like: dict[str, Any] | None = None) -> dict[str, Any]:
        """A name and nationality; family members mostly share the applicant's culture."""
        rng = self.rng
        same = like is not None and rng.random() < 0.85
        chinese = (like["culture"] is None) if same and like else (
            rng.randrange(100) < CHINESE_WEIGHT)
        if chinese:
            family, family_char, _ = rng.choices(
                CHINESE_FAMILY, weights=[w for _, _, w in CHINESE_FAMILY])[0]
            given, given_chars = rng.choice(CHINESE_GIVEN)
            if rng.random() < 0.25:
                given = rng.choice(ENGLISH_GIVEN)
            return {"culture": None, "given_name": given, "family_name": family,
                    "chinese_name": family_char + given_chars,
                    "nationality": rng.choice(CHINESE_NATIONALITIES)}
        culture = (like["culture"] if same and like else
                   rng.choices(LATIN_CULTURES, weights=[c.weight for c in LATIN_CULTURES])[0])
        return {"culture": culture, "given_name": rng.choice(culture.given),
                "family_name": rng.choice(culture.family), "chinese_name": "",
                "nationality": rng.choice(culture.nationalities)}

    def applicant(self, person: dict[str, Any], strong: bool, facts_end: datetime
                  ) -> dict[str, Any]:
        rng = self.rng
        opened = self.local_date(self.slot.opened_at)
        chinese = person["culture"] is None
        nationality = person["nationality"]
        if strong and nationality in self.ctx.excluded_nationalities:
            nationality = rng.choice(("AUS", "USA", "CAN", "FRA", "GBR"))  # the diaspora
        age = rng.uniform(24, 44) if strong else rng.uniform(20, 60)
        # A few fall short: incomplete answers, low points or a failing prerequisite.
        gaps = 0 if strong else rng.choice((0, 1, 1, 2, 3))
        failing = not strong and rng.random() < 0.15
        qualification = _weighted(rng, {Qualification.BACHELOR: 45, Qualification.MASTER: 40,
                                         Qualification.DOCTORATE: 15} if strong else
                                  {Qualification.SECONDARY: 20, Qualification.SUB_DEGREE: 15,
                                   Qualification.BACHELOR: 40, Qualification.MASTER: 20,
                                   Qualification.DOCTORATE: 5})
        doctorates = 1 if qualification is Qualification.DOCTORATE else 0
        masters = (rng.choice((1, 1, 1, 2)) if qualification in (Qualification.MASTER,
                                                                  Qualification.DOCTORATE)
                   else 0)
        bachelors = (rng.choice((1, 1, 1, 2)) if qualification.is_degree else 0)
        work = rng.randint(5, 18) if strong else rng.randint(0, 20)
        senior = rng.randint(2, min(work, 10)) if strong else rng.randint(0, min(work, 8))
        english = Answer.YES if (strong or rng.random() < 0.7) else Answer.NO
        unknown_fields = set(rng.sample(
            ["criminal_record", "adverse_immigration_record", "english_spoken",
             "qualification_recognised", "graduate_work_years", "senior_work_years",
             "date_of_birth"], gaps))
        values: dict[str, Any] = {
            "id": self.ids.take("applicants"),
            "case_id": self.slot.case_id,
            "given_name": person["given_name"],
            "family_name": person["family_name"],
            "chinese_name": person["chinese_name"],
            "date_of_birth": _years_before(opened, age) - timedelta(days=rng.randrange(365)),
            "nationality": nationality,
            "passport_number": f"{rng.choice('EGKPX')}{rng.randrange(10**7, 10**8)}",
            "passport_expiry": self.passport_expiry(facts_end),
            "email": self.email(person),
            # E.164, as the services store it; 61, 63 and 94 are all-valid HK mobile blocks.
            "phone": (f"+8613{rng.randrange(10)}{rng.randrange(1000, 9999)}"
                      f"{rng.randrange(1000, 9999)}" if person["nationality"] == "CHN"
                      else f"+852{rng.choice(('61', '63', '94'))}{rng.randrange(10, 99)}"
                           f"{rng.randrange(1000, 9999)}"),
            "criminal_record": Answer.YES if failing and rng.random() < 0.2 else Answer.NO,
            "adverse_immigration_record": Answer.NO,
            "english_written": english,
            "english_spoken": english,
            "chinese_written": Answer.YES if chinese else Answer.NO,
            "putonghua_spoken": (Answer.YES if chinese and rng.random() < 0.8 else Answer.NO),
            "cantonese_spoken": (Answer.YES if chinese and rng.random() < 0.35 else Answer.NO),
            "highest_qualification": qualification,
            "qualification_recognised": (Answer.NO if failing and rng.random() < 0.4
                                         else Answer.YES),
            "doctorate_count": doctorates,
            "master_count": masters,
            "bachelor_count": bachelors,
            "professional_qualification": rng.random() < 0.1,
            "graduate_work_years": work,
            "senior_work_years": senior,
            "other_foreign_language": Answer.YES if rng.random() < 0.2 else Answer.NO,
            "hk_permanent_resident_family": Answer.YES if rng.random() < 0.08 else Answer.NO,
            "achievement_claim": Answer.YES if rng.random() < 0.004 else Answer.NO,
            "achievement_description": "",
        }
        if values["achievement_claim"] is Answer.YES:
            values["achievement_description"] = (
                "Award-winning researcher; prize certificate and press coverage on file.")
        for name in unknown_fields:
            values[name] = (None if name in ("graduate_work_years", "senior_work_years",
                                             "date_of_birth") else Answer.UNKNOWN)
        return values

    def passport_expiry(self, facts_end: datetime) -> date:
        rng = self.rng
        today = self.ctx.today
        if rng.random() < 0.06:  # expiring within six months of today
            return today + timedelta(days=rng.randint(1, 180))
        # Valid for the application when it was prepared, expiring anywhere in ten years.
        return self.local_date(facts_end) + timedelta(days=rng.randint(200, 3650))

    def email(self, person: dict[str, Any]) -> str:
        local = fold(f"{person['given_name']}.{person['family_name']}")
        local = "".join(c for c in local if c.isascii() and (c.isalnum() or c == "."))
        return f"{local}{self.rng.randrange(1, 999)}@{self.rng.choice(EMAIL_DOMAINS)}"

    # -- family ----------------------------------------------------------------------------

    def dependants(self, person: dict[str, Any], facts_end: datetime
                   ) -> list[tuple[datetime, dict[str, Any]]]:
        rng = self.rng
        shape = _weighted(rng, {"single": 45, "couple": 25, "family": 25, "large": 5})
        if shape == "single":
            return []
        opened = self.local_date(self.slot.opened_at)
        other = self.person(like=person)
        spouse_family = (other["family_name"] if person["culture"] is None
                         else person["family_name"])
        people: list[dict[str, Any]] = [{
            "relationship": Relationship.SPOUSE, "given_name": other["given_name"],
            "family_name": spouse_family,
            "date_of_birth": _years_before(opened, rng.uniform(24, 50)),
            "marital_status": MaritalStatus.MARRIED, "nationality": person["nationality"],
            "spouse_has_degree": _weighted(rng, {Answer.YES: 6, Answer.NO: 3,
                                                 Answer.UNKNOWN: 1}),
        }]
        children = {"couple": 0, "family": rng.choice((1, 1, 2)), "large": 3}[shape]
        for _ in range(children):
            kid = self.person(like=person)
            # Some children are close to 18: their age matters for the planned submission.
            age = rng.uniform(16.5, 17.99) if rng.random() < 0.12 else rng.uniform(0.5, 16)
            people.append({
                "relationship": Relationship.CHILD, "given_name": kid["given_name"],
                "family_name": person["family_name"],
                "date_of_birth": _years_before(opened, age),
                "marital_status": MaritalStatus.SINGLE, "nationality": person["nationality"],
                "spouse_has_degree": Answer.UNKNOWN,
            })
        if shape == "large" and rng.random() < 0.5:
            people.append({
                "relationship": Relationship.PARENT,
                "given_name": self.person(like=person)["given_name"],
                "family_name": person["family_name"],
                "date_of_birth": _years_before(opened, rng.uniform(65, 80)),
                "marital_status": MaritalStatus.WIDOWED, "nationality": person["nationality"],
                "spouse_has_degree": Answer.UNKNOWN,
            })
        span = (facts_end - self.slot.opened_at) * 0.3
        added = sorted(self.slot.opened_at + span * rng.random() for _ in people)
        built = []
        for at, values in zip(added, people, strict=True):
            built.append((at, {"id": self.ids.take("dependants"),
                               "case_id": self.slot.case_id, **values}))
            self.events.add(at, self.consultant_id)
        return built

    # -- money -----------------------------------------------------------------------------

    def deposits(self, person: dict[str, Any], family: bool, strong: bool,
                 facts_end: datetime, review_until: datetime) -> list[_Deposit]:
        """Statements recorded before ``facts_end`` (the check), reviewed before
        ``review_until``: a review after the check leaves the check behind the case."""
        rng = self.rng
        opened = self.slot.opened_at
        if not strong and rng.random() < 0.25:
            return []  # not recorded yet
        needed = Decimal(450_000 if family else 250_000)
        factor = rng.uniform(1.05, 2.5) if strong else rng.uniform(0.5, 1.6)
        total = needed * Decimal(str(round(factor, 3)))
        count = _weighted(rng, {1: 60, 2: 30, 3: 10})
        shares = [rng.uniform(0.5, 1.5) for _ in range(count)]
        home = HOME_CURRENCY.get(person["nationality"], "USD")
        first = max(opened + timedelta(hours=2),
                    facts_end - _days(rng, 3, 40 if strong else 120))
        recorded = sorted(first + (facts_end - first) * rng.uniform(0, 0.5)
                          for _ in range(count))
        holder = f"{person['given_name']} {person['family_name']}"
        made: list[_Deposit] = []
        for share, at in zip(shares, recorded, strict=True):
            currency = _weighted(rng, {"HKD": 45, home: 40, "USD": 15})
            hkd = total * Decimal(share / sum(shares))
            review = _weighted(rng, {EvidenceStatus.VERIFIED: 92,
                                     EvidenceStatus.REJECTED: 8} if strong else
                               {EvidenceStatus.VERIFIED: 55, EvidenceStatus.PENDING: 30,
                                EvidenceStatus.REJECTED: 15})
            reviewed = at + _days(rng, 0.1, 5)
            if strong:  # a well-run file has its statements reviewed before the check
                reviewed = min(reviewed, at + (facts_end - at) * 0.5)
            if reviewed >= review_until:
                review = EvidenceStatus.PENDING
            made.append(self.statement(hkd, currency, at, review, reviewed, holder))
            if review is EvidenceStatus.REJECTED:
                # The client brings a proper statement for the same money.
                again = reviewed + _days(rng, 0.1, 4)
                if again < facts_end:
                    second = again + _days(rng, 0.1, 3)
                    if strong:
                        second = min(second, again + (facts_end - again) * 0.5)
                    status = (EvidenceStatus.VERIFIED if strong or rng.random() < 0.6
                              else EvidenceStatus.PENDING)
                    if second >= review_until:
                        status = EvidenceStatus.PENDING
                    made.append(self.statement(hkd, currency, again, status, second, holder))
        return made

    def statement(self, hkd: Decimal, currency: str, at: datetime, review: EvidenceStatus,
                  reviewed: datetime, holder: str) -> _Deposit:
        rng = self.rng
        rate = RATES[currency]
        if currency != "HKD":
            rate *= Decimal(str(round(rng.uniform(0.98, 1.02), 4)))
        # At the columns' scale, as the app reads them back: the facts must hash the same.
        rate = rate.quantize(Decimal("0.00000001"))
        amount = (hkd / rate).quantize(Decimal("0.01"))
        statement_date = self.local_date(at) - timedelta(days=rng.randint(1, 25))
        manager = rng.choice(self.ctx.managers)
        row = {
            "id": self.ids.take("deposit_evidence"),
            "case_id": self.slot.case_id,
            "amount": amount,
            "currency": currency,
            "rate_to_hkd": rate,
            "amount_hkd": to_hkd(amount, rate),
            "statement_date": statement_date,
            "bank": rng.choice(HK_BANKS if currency == "HKD"
                               else HOME_BANKS.get(currency, OTHER_BANKS)),
            "account_holder": holder,
            "status": review,
            "verified_by_id": manager if review is EvidenceStatus.VERIFIED else None,
            "verified_at": reviewed if review is EvidenceStatus.VERIFIED else None,
            "rejected_by_id": manager if review is EvidenceStatus.REJECTED else None,
            "rejected_at": reviewed if review is EvidenceStatus.REJECTED else None,
            "rejection_reason": (rng.choice(REJECTIONS) if review is EvidenceStatus.REJECTED
                                 else ""),
            "recorded_by_id": self.consultant_id,
            "recorded_at": at,
        }
        reviewed_at = reviewed if review is not EvidenceStatus.PENDING else None
        return _Deposit(row, at, reviewed_at)

    # -- documents -------------------------------------------------------------------------

    def documents(self, path: list[CaseStatus], until: datetime) -> list[dict[str, Any]]:
        rng = self.rng
        final = path[-1]
        if S.READY_FOR_REVIEW in path:
            kinds = list(REQUIRED_KINDS) + [DocumentKind.OTHER] * rng.choice((0, 1, 1, 2))
        elif S.COLLECTING_DOCUMENTS in path:
            kinds = rng.sample(REQUIRED_KINDS, rng.randint(1, 4))
        else:
            kinds = rng.sample(REQUIRED_KINDS[:2], rng.randint(0, 2))
        if final is S.INTAKE and not kinds:
            return []
        opened = self.slot.opened_at
        uploads: list[tuple[datetime, DocumentKind, bool]] = []
        for kind in kinds:
            at = opened + (until - opened) * rng.uniform(0.05, 0.95)
            uploads.append((at, kind, False))
            if rng.random() < 0.08:  # replaced by a better scan later
                uploads.append((at + (until - at) * rng.uniform(0.1, 0.9), kind, True))
        uploads.sort(key=lambda item: item[0])
        rows: list[dict[str, Any]] = []
        current: dict[DocumentKind, dict[str, Any]] = {}
        for at, kind, replaces in uploads:
            doc_id = self.ids.take("documents")
            extension, content_type = rng.choice(FILE_TYPES)
            row = {
                "id": doc_id,
                "case_id": self.slot.case_id,
                "kind": kind,
                "original_filename": f"{rng.choice(DOCUMENT_NAMES[kind])}.{extension}",
                # Unique by construction: the id in hex, then random hex digits.
                "stored_name": f"{doc_id:010x}{rng.getrandbits(88):022x}.{extension}",
                "content_type": content_type,
                "size_bytes": rng.randint(40_000, 4_000_000),
                "sha256": f"{rng.getrandbits(256):064x}",
                "uploaded_by_id": self.consultant_id,
                "uploaded_at": at,
                "replaced_by_id": None,
            }
            if replaces and kind in current:
                current[kind]["replaced_by_id"] = doc_id
            current[kind] = row
            rows.append(row)
            self.events.add(at, self.consultant_id)
        return rows

    # -- the whole case --------------------------------------------------------------------

    def build(self) -> _BuiltCase:
        rng = self.rng
        slot = self.slot
        path = self.status_path()
        times = self.move_times(path)
        entered = dict(zip(path, times, strict=True))  # the last entry wins for repeats
        submitted_at = entered.get(S.SUBMITTED)
        final = path[-1]
        last_move = times[-1]
        # Until when the facts could change: the submission, a closing move, or now.
        work_ends = submitted_at or (last_move if final.is_closed else self.ctx.now)

        checked = submitted_at is not None or rng.random() < RUN_SHARE.get(final, 0.5)
        run_at = work_ends
        if submitted_at is not None:
            run_at = max(slot.opened_at + (submitted_at - slot.opened_at) * 0.5,
                         submitted_at - _days(rng, 0.05, 6))
        elif checked:
            run_at = slot.opened_at + (work_ends - slot.opened_at) * rng.uniform(0.6, 0.98)
        facts_end = run_at if checked else work_ends
        strong = rng.random() < (0.95 if submitted_at is not None else 0.5)

        person = self.person()
        applicant = self.applicant(person, strong, facts_end)
        dependants = self.dependants(person, facts_end)
        deposits = self.deposits(person, bool(dependants), strong, facts_end,
                                 facts_end if submitted_at is not None else work_ends)
        for deposit in deposits:
            self.events.add(deposit.recorded_at, self.consultant_id)
            if deposit.reviewed_at is not None:
                manager = deposit.row["verified_by_id"] or deposit.row["rejected_by_id"]
                self.events.add(deposit.reviewed_at, manager)
        planned, planned_set = self.planned_date(path, entered, facts_end)
        if planned_set is not None:
            self.events.add(planned_set, self.consultant_id)
        for _ in range(rng.choice((0, 0, 1, 1, 2, 3))):  # corrections to the applicant
            self.events.add(slot.opened_at + (facts_end - slot.opened_at) * rng.random(),
                            self.consultant_id)
        documents = self.documents(path, submitted_at or work_ends)
        moves = self.moves(path, times)

        runs: list[_PlannedRun] = []
        checks_since = self.ctx.now - timedelta(days=CHECKS_IN_APP_DAYS)
        if checked and run_at >= checks_since:
            run_times = [run_at]
            earlier = slot.opened_at + (run_at - slot.opened_at) * rng.uniform(0.3, 0.9)
            if rng.random() < EARLIER_RUN_SHARE and earlier >= checks_since:
                run_times.insert(0, earlier)
            for at in run_times:
                by: int | None = self.consultant_id
                if at == run_at and rng.random() < SYSTEM_RUN_SHARE:
                    by = None  # the nightly re-check
                then = self.view(applicant, dependants, deposits, at,
                                 planned if planned_set and planned_set <= at else None)
                runs.append(_PlannedRun(self.ids.take("check_runs"), at, by,
                                        self.events.version_at(at),
                                        self.local_date(at), then))

        last_at, last_by = max(self.events.items, key=lambda item: item[0],
                               default=(slot.opened_at, self.consultant_id))
        case = {
            "id": slot.case_id,
            "reference": slot.reference,
            "consultant_id": self.consultant_id,
            "status": final,
            "planned_submission_date": planned if planned_set else None,
            "opened_at": slot.opened_at,
            "updated_at": last_at,
            "updated_by_id": last_by,
            "version": 1 + len(self.events.items),
        }
        audit = {
            "id": self.ids.take("audit_entries"), "case_id": slot.case_id,
            "user_id": self.consultant_id, "at": slot.opened_at, "action": "case_opened",
            "entity": "case",
            "changes": {"reference": [None, slot.reference],
                        "consultant": [None, self.consultant_name]},
        }
        submission = next((m for m in moves if m["to_status"] is S.SUBMITTED), None)
        return _BuiltCase(
            case=case, applicant=applicant, dependants=[row for _, row in dependants],
            deposits=[d.row for d in deposits], documents=documents, moves=moves, audit=audit,
            runs=runs, now=self.view(applicant, dependants, deposits, self.ctx.now,
                                     case["planned_submission_date"]),
            submission=submission,
            last_event_is_submission=submission is not None
            and submission["changed_at"] == last_at,
        )

    def planned_date(self, path: list[CaseStatus], entered: dict[CaseStatus, datetime],
                     facts_end: datetime) -> tuple[date | None, datetime | None]:
        """The planned submission date and when it was set (None, None: never planned)."""
        rng = self.rng
        submitted_at = entered.get(S.SUBMITTED)
        if rng.random() > (0.3 if submitted_at is not None else 0.45):
            return None, None
        opened = self.slot.opened_at
        set_at = opened + (facts_end - opened) * rng.uniform(0.2, 0.95)
        if submitted_at is not None:
            return self.local_date(submitted_at) + timedelta(days=rng.randint(-2, 4)), set_at
        if path[-1].is_closed:
            return self.local_date(set_at) + timedelta(days=rng.randint(14, 120)), set_at
        return self.ctx.today + timedelta(days=rng.randint(3, 150)), set_at

    def moves(self, path: list[CaseStatus], times: list[datetime]) -> list[dict[str, Any]]:
        rng = self.rng
        rows = []
        before: CaseStatus | None = None
        for status, at in zip(path, times, strict=True):
            if before is not None and not is_allowed(before, status):
                raise AssertionError(f"bulk path moves {before} -> {status}")
            reason = ""
            if status is S.WITHDRAWN:
                reason = rng.choice(WITHDRAWN_REASONS)
            elif status is S.REFUSED:
                reason = rng.choice(REFUSED_REASONS)
            elif status is S.ON_HOLD:
                reason = rng.choice(ON_HOLD_REASONS)
            rows.append({"id": self.ids.take("status_changes"), "case_id": self.slot.case_id,
                         "from_status": before, "to_status": status, "reason": reason,
                         "override": False, "changed_by_id": self.consultant_id,
                         "changed_at": at})
            if before is not None:  # the opening row comes with version 1
                self.events.add(at, self.consultant_id)
            before = status
        return rows

    def view(self, applicant: dict[str, Any], dependants: list[tuple[datetime, dict[str, Any]]],
             deposits: list[_Deposit], at: datetime, planned: date | None) -> SimpleNamespace:
        """The case as the app would load it at ``at``: parts added by then, in id order, each
        deposit in its review state of that moment."""
        people = []
        for added, row in dependants:
            if added <= at:
                values = {k: v for k, v in row.items() if k != "relationship"}
                people.append(SimpleNamespace(
                    **values, relation=row["relationship"],
                    full_name=f"{row['given_name']} {row['family_name']}".strip()))
        statements = []
        for deposit in deposits:
            if deposit.recorded_at <= at:
                status = deposit.row["status"]
                if deposit.reviewed_at is None or deposit.reviewed_at > at:
                    status = EvidenceStatus.PENDING
                statements.append(SimpleNamespace(**{**deposit.row, "status": status}))
        return SimpleNamespace(reference=self.slot.reference,
                               applicant=SimpleNamespace(**applicant),
                               dependants=sorted(people, key=lambda d: d.id),
                               deposits=sorted(statements, key=lambda d: d.id),
                               planned_submission_date=planned)


# ---- what the services would compute, and the rows to insert -------------------------------

# (verdict, result dict, counted HKD, facts fingerprint) for one run.
_RunOutcome = tuple[str, dict[str, Any], Decimal, str]
# (search text and attention as of today, the outcome of each run) for one case.
_CaseOutcome = tuple[dict[str, Any], list[_RunOutcome]]

INSERT_ORDER = ("cases", "applicants", "dependants", "deposit_evidence", "documents",
                "status_changes", "check_runs", "audit_entries", "deadlines")


def _evaluate_case(case: _BuiltCase, today: date, rule_set: RuleSet) -> _CaseOutcome:
    """What the services would compute for the case: its search text and attention as of
    today (``cases.refresh_derived``), and each run as ``checks.run_checks`` stores it."""
    runs: list[_RunOutcome] = []
    for planned in case.runs:
        facts = case_facts(planned.case, planned.check_date)
        result = evaluate(facts, rule_set)
        runs.append((result.verdict.value, result.to_dict(),
                     Decimal(result.prerequisite("P2").data["total_hkd"]),
                     facts_fingerprint(facts)))
    derived = {**row_values(case.now),
               **attention_values(case_facts(case.now, today), rule_set)}
    return derived, runs


def _rows(built: list[_BuiltCase], today: date, rule_set: RuleSet, managers: Sequence[int],
          check_max_age_days: int = 7) -> dict[str, list[dict[str, Any]]]:
    """Every row of a batch, with the rules' answers on the case rows and the runs."""
    rows: dict[str, list[dict[str, Any]]] = {name: [] for name in INSERT_ORDER}
    for case in built:
        derived, run_outcomes = _evaluate_case(case, today, rule_set)
        case.case.update(derived)
        case.case.update(latest_verdict="unchecked", latest_check_at=None, counted_hkd=None)
        for planned, (verdict, result, counted, fingerprint) in zip(
                case.runs, run_outcomes, strict=True):
            rows["check_runs"].append({
                "id": planned.run_id, "case_id": case.case["id"],
                "run_by_id": planned.run_by_id, "run_at": planned.run_at,
                "check_date": planned.check_date,
                "rule_set_version": result["rule_set_version"], "verdict": verdict,
                "case_version": planned.case_version, "facts_sha256": fingerprint,
                "result": result,
            })
            # As run_checks keeps them on the case: the runs come in time order.
            case.case.update(latest_verdict=verdict, latest_check_at=planned.run_at,
                             counted_hkd=counted)
        # Submitted without an eligible check: only on a manager's written override.
        if (case.submission is not None and case.runs
                and case.case["latest_verdict"] != "eligible"):
            manager = managers[case.case["id"] % len(managers)]
            case.submission.update(override=True, reason=OVERRIDE_REASON,
                                   changed_by_id=manager)
            if case.last_event_is_submission:
                case.case["updated_by_id"] = manager
        rows["cases"].append(case.case)
        # The deadlines as services.deadlines stores them (no ImmD requests, no notes here).
        facts = case_facts(case.now, today)
        for deadline in derive(SimpleNamespace(**case.case), facts, rule_set,
                               check_max_age_days=check_max_age_days, requests=[], notes=[]):
            rows["deadlines"].append({
                "case_id": case.case["id"], "kind": deadline.kind, "source": deadline.source,
                "due_on": deadline.due_on, "action": deadline.action,
                "person": deadline.person, "mark_reason": ""})
        rows["applicants"].append(case.applicant)
        rows["dependants"].extend(case.dependants)
        rows["deposit_evidence"].extend(case.deposits)
        rows["documents"].extend(case.documents)
        rows["status_changes"].extend(case.moves)
        rows["audit_entries"].append(case.audit)
    return rows


def _insert(conn: Connection, rows: dict[str, list[dict[str, Any]]]) -> None:
    for name in INSERT_ORDER:
        batch = rows[name]
        if name == "documents":
            # A replaced document points at its successor, which came later (a higher id):
            # the current ones first, then the replaced ones from the newest back.
            batch = ([r for r in batch if r["replaced_by_id"] is None]
                     + sorted((r for r in batch if r["replaced_by_id"] is not None),
                              key=lambda r: -r["id"]))
        if batch:
            # Deadlines take their ids from the database: nothing refers to them.
            table = Deadline.__table__ if name == "deadlines" else TABLES[name]
            conn.execute(insert(table), batch)


class _Store:
    """Evaluates a batch and inserts it in one transaction: in this process, or in each
    worker of a pool (which then has its own engine on the same database)."""

    def __init__(self, engine: Engine, rule_set: RuleSet, today: date,
                 managers: Sequence[int], check_max_age_days: int = 7) -> None:
        self.engine = engine
        self.rule_set = rule_set
        self.today = today
        self.managers = tuple(managers)
        self.check_max_age_days = check_max_age_days

    def save(self, built: list[_BuiltCase]) -> dict[str, int]:
        rows = _rows(built, self.today, self.rule_set, self.managers, self.check_max_age_days)
        with self.engine.connect() as conn:
            if conn.dialect.name == "sqlite":
                # SQLite's default page cache (2 MB) is far smaller than the indexes being
                # filled; a large one saves re-reading their pages for every row. Another
                # worker may hold the write lock for a batch: wait for it.
                conn.exec_driver_sql("PRAGMA cache_size = -262144")  # KiB: 256 MB
                conn.exec_driver_sql("PRAGMA busy_timeout = 120000")
                conn.commit()
            with conn.begin():
                _insert(conn, rows)
            if conn.dialect.name == "sqlite":
                conn.exec_driver_sql("PRAGMA cache_size = -2000")  # the default again
                conn.exec_driver_sql("PRAGMA busy_timeout = 5000")
                conn.commit()
        return {name: len(batch) for name, batch in rows.items()}


# ---- workers: each builds, evaluates and inserts whole batches --------------------------------

@dataclass(frozen=True)
class _WorkerSetup:
    url: str
    rule_set: dict[str, Any]  # as data: a RuleSet holds mapping proxies, which do not pickle
    ctx: _Context


_WORKER: tuple[_Context, _Store] | None = None


def _init_worker(setup: _WorkerSetup) -> None:
    """A pool worker: its own engine (never a connection inherited from the parent) and the
    rule set, loaded from data the way the app applies its overrides."""
    global _WORKER
    # hide_parameters: an error must not carry client data (passport numbers) to a log.
    engine = create_engine(setup.url, hide_parameters=True)
    store = _Store(engine, load_rule_set(setup.rule_set), setup.ctx.today,
                   setup.ctx.managers, setup.ctx.check_max_age_days)
    _WORKER = (setup.ctx, store)


def _build(ctx: _Context, slots: Sequence[_Slot], ids: _Ids) -> list[_BuiltCase]:
    return [_CaseBuilder(ctx, slot, ids).build() for slot in slots]


def _count_in_worker(slots: list[_Slot]) -> dict[str, int]:
    """How many ids of each table the batch takes (the same draws give the same counts)."""
    assert _WORKER is not None
    ids = _Ids(dict.fromkeys(TABLES, 1))
    _build(_WORKER[0], slots, ids)
    return ids.taken()


def _save_in_worker(slots: list[_Slot], starts: dict[str, int]) -> dict[str, int]:
    assert _WORKER is not None
    ctx, store = _WORKER
    return store.save(_build(ctx, slots, _Ids(starts)))


def _in_pool(url: str, rule_set: RuleSet, ctx: _Context, batches: list[list[_Slot]],
             starts: dict[str, int], workers: int) -> Iterator[tuple[int, dict[str, int]]]:
    """Save the batches in ``workers`` processes; yields (cases, rows per table) in order.

    A batch's ids must be known before its rules run (the facts name dependants and deposits
    by id), so a first, quick pass counts the ids each batch takes; then the batches are
    built, evaluated and inserted in parallel, each in its own transaction. SQLite takes one
    writer at a time: the other worker builds and evaluates meanwhile.
    """
    # spawn, not fork: a forked child would share the parent's database connections.
    context = multiprocessing.get_context("spawn")
    setup = _WorkerSetup(url, rule_set.to_dict(), ctx)
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_init_worker,
                             initargs=(setup,)) as pool:
        batch_starts = []
        for taken in pool.map(_count_in_worker, batches):
            batch_starts.append(dict(starts))
            starts = {table: starts[table] + taken[table] for table in starts}
        saving = [pool.submit(_save_in_worker, batch, first)
                  for batch, first in zip(batches, batch_starts, strict=True)]
        for batch, future in zip(batches, saving, strict=True):
            yield len(batch), future.result()


# ---- around the batches ---------------------------------------------------------------------

def _save_counters(conn: Connection, last_numbers: dict[int, int]) -> None:
    """The last reference number handed out per year, so the app's next case follows on."""
    table = ReferenceCounter.__table__
    for year, number in last_numbers.items():
        updated = conn.execute(table.update().where(table.c.year == year)  # type: ignore[attr-defined]
                               .values(last_number=number))
        if updated.rowcount == 0:
            conn.execute(insert(table), [{"year": year, "last_number": number}])


def _next_ids(conn: Connection) -> dict[str, int]:
    return {name: (conn.scalar(select(func.max(table.c.id))) or 0) + 1
            for name, table in TABLES.items()}


def _reset_sequences(conn: Connection) -> None:
    """Ids were given here: PostgreSQL's sequences must continue after the largest one."""
    if conn.dialect.name != "postgresql":
        return
    for name in TABLES:
        conn.execute(text(
            f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
            f"coalesce((SELECT max(id) FROM {name}), 0) + 1, false)"))


def _staff(consultants: int, now: datetime, ids: _Ids
           ) -> tuple[list[dict[str, Any]], list[tuple[int, str]], list[int]]:
    """User rows for the consultants, two managers and an admin; (id, name) of the
    consultants; the managers' ids."""
    rng = random.Random(consultants)
    password_hash = hash_password(BULK_PASSWORD)  # once: argon2 is slow on purpose
    names = [f"{g} {f}" for g in ("Grace", "Kevin", "Mandy", "Patrick", "Joyce", "Dennis",
                                  "Karen", "Samuel", "Bonnie", "Victor")
             for f in ("Lam", "Ng", "Fernandes", "Cheng", "Ho", "Tsang", "Pereira", "Yuen")]
    rng.shuffle(names)
    created = now - timedelta(days=365 * YEARS + 30)
    users: list[dict[str, Any]] = []

    def add(email: str, name: str, role: Role) -> int:
        user_id = ids.take("users")
        users.append({"id": user_id, "email": email, "name": name, "role": role,
                      "password_hash": password_hash, "active": True, "created_at": created})
        return user_id

    team = []
    for n in range(1, consultants + 1):
        name = names[n - 1] if n <= len(names) else f"Consultant {n:02d}"
        team.append((add(f"consultant{n:02d}@{BULK_EMAIL_DOMAIN}", name, Role.CONSULTANT),
                     name))
    managers = [add(f"manager{n}@{BULK_EMAIL_DOMAIN}", name, Role.MANAGER)
                for n, name in ((1, "Mona Mak"), (2, "Martin Lau"))]
    add(f"admin@{BULK_EMAIL_DOMAIN}", "Ada Au", Role.ADMIN)
    return users, team, managers


def _slots(conn: Connection, cases: int, consultants: int, seed: int, now: datetime,
           tz: ZoneInfo, first_case_id: int) -> tuple[list[_Slot], dict[int, int]]:
    """Opening times in order, with ids, references (numbered per year after the existing
    counters) and consultants; the last number handed out per year."""
    rng = random.Random(seed)
    span = timedelta(days=365 * YEARS).total_seconds()
    # The consultancy grows: more cases opened recently than three years ago.
    opened = sorted(now - timedelta(seconds=span * (1 - rng.random() ** 0.6) + 600)
                    for _ in range(cases))
    # Some consultants carry far more cases than others.
    weights = list(itertools.accumulate(rng.uniform(0.4, 2.0) for _ in range(consultants)))
    counters = {row.year: row.last_number for row in conn.execute(
        select(ReferenceCounter.__table__))}  # type: ignore[call-overload]
    last_numbers: dict[int, int] = {}
    slots = []
    for index, at in enumerate(opened):
        year = at.astimezone(tz).year
        number = last_numbers[year] = last_numbers.get(year, counters.get(year, 0)) + 1
        consultant = min(bisect.bisect(weights, rng.random() * weights[-1]), consultants - 1)
        slots.append(_Slot(index, first_case_id + index, f"QM-{year}-{number:06d}", at,
                           consultant))
    return slots, last_numbers


def _refuse_if_not_empty(conn: Connection) -> None:
    users = conn.scalar(select(func.count()).select_from(User.__table__)) or 0
    cases = conn.scalar(select(func.count()).select_from(Case.__table__)) or 0
    if users or cases:
        raise BulkSeedRefused(
            f"The database is not empty ({users} users, {cases} cases): bulk data is only "
            "added to an empty database. Use a new database (or empty this one) first.")


def seed_bulk(cases: int, consultants: int, seed: int = DEFAULT_SEED,
              progress: Callable[[int], None] | None = None,
              workers: int | None = None, batch_size: int = BATCH_CASES) -> dict[str, int]:
    """Fill an empty database with ``consultants`` consultants, 2 managers, an admin and
    ``cases`` cases with their parts, history and check runs. Returns rows added per table.

    ``progress`` is called with the number of cases written after every batch. ``workers``
    processes build, evaluate and insert the batches (default: 2 for large runs; 1 means
    this process alone). Raises BulkSeedRefused, writing nothing, when any user or case
    exists.
    """
    if cases < 0 or consultants < 1:
        raise ValueError("need at least one consultant and no negative number of cases")
    if workers is None:
        workers = 2 if cases >= POOL_MIN_CASES else 1
    rule_set = configured_rule_set()
    today = clock.today()
    tz = clock.business_timezone()
    # Everything happened before today began: the same seed gives the same data all day.
    now = datetime.combine(today, time(0), tz).astimezone(UTC)
    engine = db.engine
    counts: Counter[str] = Counter()
    with engine.begin() as conn:
        _refuse_if_not_empty(conn)
        starts = _next_ids(conn)
        ids = _Ids(starts)
        users, team, managers = _staff(consultants, now, ids)
        conn.execute(insert(TABLES["users"]), users)
        counts["users"] = len(users)
        # Case ids go with the opening order; the builders number the parts.
        slots, last_numbers = _slots(conn, cases, consultants, seed, now, tz, starts["cases"])
        # The references are handed out here: the counters say so from the start.
        _save_counters(conn, last_numbers)
    ctx = _Context(seed, now, today, tz, tuple(team), tuple(managers),
                   frozenset(rule_set.excluded_nationalities),
                   int(current_app.config["SUBMISSION_CHECK_MAX_AGE_DAYS"]))
    batches = [slots[i:i + batch_size] for i in range(0, len(slots), batch_size)]
    url = engine.url
    if workers > 1 and len(batches) > 1 and url.database not in (None, "", ":memory:"):
        saved = _in_pool(url.render_as_string(hide_password=False), rule_set, ctx, batches,
                         ids.following(), workers)
    else:
        store = _Store(engine, rule_set, today, managers, ctx.check_max_age_days)
        saved = ((len(batch), store.save(_build(ctx, batch, ids))) for batch in batches)
    for done, rows in saved:
        counts.update(rows)
        if progress is not None:
            progress(done)

    with engine.begin() as conn:
        _reset_sequences(conn)
    # After a bulk load: statistics for the planner (SQLite never gathers them by itself) and,
    # on PostgreSQL, what autovacuum would do some time later (visibility map for index-only
    # scans), now. VACUUM runs outside a transaction.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE" if conn.dialect.name == "postgresql" else "ANALYZE"))
    if engine.dialect.name == "sqlite":
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    return {name: counts.get(name, 0) for name in ("users", *INSERT_ORDER)}
