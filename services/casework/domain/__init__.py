"""The discipline commission's casework: petitions, reporters (identities sealed), leads,
cases, accountability examinations, and what it learns from the responsibility service. One
module per aggregate; the named errors live beside each. Every event records who acted
(``actor``) and the business time of the act (``occurred_at``)."""

from __future__ import annotations

from services.casework.domain.accountability import AccountabilityExamination
from services.casework.domain.admonishments import Admonishment
from services.casework.domain.cases import Case
from services.casework.domain.files import CadreFile, LetterFile
from services.casework.domain.leads import Lead
from services.casework.domain.petitions import Petition
from services.casework.domain.reporters import Reporter

AGGREGATES = (
    Reporter, Petition, Lead, Case, AccountabilityExamination, Admonishment, CadreFile,
    LetterFile,
)

__all__ = [
    "AGGREGATES",
    "AccountabilityExamination",
    "Admonishment",
    "CadreFile",
    "Case",
    "Lead",
    "LetterFile",
    "Petition",
    "Reporter",
]
