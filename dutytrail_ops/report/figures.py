"""The seed report's statistics for a period, as pure functions of the recorded facts.

Each figure's counting rule (which act's date counts; within the period or cumulative up to
its last day) is written beside it here and in docs/report.md; the rules are the services'
own (docs/casework.md and docs/funds.md, "Figures"), so the report agrees with what each
service answers.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from decimal import Decimal

from dutytrail_ops.report.facts import Fact, History, Period

WAN = Decimal(10_000)
# Notices are counted by the kind of their recipient, in the seed's order (区直单位、镇街、社区、
# 干部); "unit" is how a notice to a department, town or subdistrict was once recorded, counted
# by its unit's kind.
RECIPIENT_KINDS = ("district_department", "town_or_subdistrict", "community", "cadre")
_UNIT_KIND_AS_RECIPIENT = {"district_department": "district_department",
                           "town": "town_or_subdistrict", "subdistrict": "town_or_subdistrict",
                           "community": "community"}
SANCTIONS = ("party_sanction", "government_sanction")
BULLETIN_KINDS = ("special_report", "circular", "meeting_circular")


@dataclass(frozen=True)
class CaseworkCounts:
    petitions_accepted: int
    preliminary_verifications: int
    cases_filed: int
    persons_filed: int
    cases_closed: int
    persons_sanctioned: int
    admonishments: int
    confiscated_yuan: Decimal


@dataclass(frozen=True)
class Figures(CaseworkCounts):
    """Every masked number of the seed report, for one period; casework's, the last of
    二、监督责任, are those :func:`casework` counts."""

    period: Period
    district: str
    # 一、主体责任
    letters_signed: int
    units_covered: int
    warning_education_participants: int
    education_activities: int
    education_participant_times: int
    communities: int
    communities_with_board: int
    model_community: str | None
    # 二、监督责任
    units_enrolled: int
    programmes: int
    amount_supervised_wan: Decimal
    person_times: int
    special_reports: int
    circulars: int
    meeting_circulars: int
    notices: dict[str, int]
    notice_recipients: dict[str, int]

    @property
    def person_times_wan(self) -> Decimal:
        """受益群众约…万人次: to one decimal place, as the seed rounds."""
        return (Decimal(self.person_times) / WAN).quantize(Decimal("0.1"))


def within(facts: Iterable[Fact], period: Period) -> list[Fact]:
    """The facts whose act happened in the period (by business time)."""
    return [f for f in facts if period.contains(f.day)]


def district_name(history: History) -> str:
    """The district as its party committee is named ("**区委" → "**区")."""
    for unit in history.units().values():
        if unit.kind == "party_committee":
            return unit.name.removesuffix("委") or unit.name
    return "**区"


def party_committees(history: History) -> set[str]:
    return {u.unit_id for u in history.units().values() if u.kind == "party_committee"}


# 一、主体责任


def letters_signed(history: History, period: Period) -> list[Fact]:
    """Letters signed (签字背书) in the period: by the date of the second signature, the act
    that signs the letter (``letter_signed``)."""
    return within(history.of("letter_signed"), period)


def units_covered(history: History, period: Period) -> int:
    """Units that signed a letter with the party committee in the period (the committee's own
    letters to its members left out); every issuer when no party committee is registered."""
    drafts = {f.subject: f for f in history.of("letter_drafted")}
    committees = party_committees(history)
    covered: set[str] = set()
    for signed in letters_signed(history, period):
        draft = drafts.get(signed.subject)
        if draft is None:
            continue
        issuer, signatory = draft.text("issuer_unit_id"), draft.text("signatory_unit_id")
        if (not committees or issuer in committees) and signatory != issuer:
            covered.add(signatory)
    return len(covered)


def education(history: History, period: Period) -> tuple[int, int, int]:
    """(participants of warning-education visits, activities, participant-times of every
    activity) held in the period, by the day each was held (``held_on``)."""
    held = [f for f in history.of("education_activity_recorded")
            if period.contains(f.on("held_on"))]
    visits = sum(int(f.data.get("participant_count", 0)) for f in held
                 if f.data.get("kind") == "warning_education_visit")
    return visits, len(held), sum(int(f.data.get("participant_count", 0)) for f in held)


def disclosure(history: History, period: Period) -> tuple[list[str], list[str], str | None]:
    """Communities registered by the period's last day, those with a disclosure board
    installed by then (cumulative: a board stays), and the first community to get one."""
    communities = [u.unit_id for u in history.units().values()
                   if u.kind == "community" and period.by_end(u.registered_on)]
    installed = sorted((f for f in history.of("disclosure_board_installed")
                        if period.by_end(f.day)), key=lambda f: (f.time, f.subject))
    boarded = {f.text("community_id") for f in installed}
    names = history.units()
    first = names.get(installed[0].text("community_id")) if installed else None
    return communities, [c for c in communities if c in boarded], first.name if first else None


# 二、监督责任: the livelihood-fund platform (目前…累计: cumulative up to the period's end).


def funds(history: History, period: Period) -> tuple[int, int, Decimal, int]:
    """(units enrolled, programmes, amount supervised in 万元, beneficiary person-times), each
    cumulative up to the period's last day: units by their enrolment day, programmes (and
    their budgets) by the day they start, payments by the day paid, net of those reversed by
    then."""
    enrolled = sum(1 for f in history.of("unit_enrolled") if period.by_end(f.on("enrolled_on")))
    programmes = [f for f in history.of("programme_opened") if period.by_end(f.on("starts_on"))]
    budget = sum((f.amount("budget") for f in programmes), Decimal(0))
    reversed_ids = {f.text("payment_id") for f in history.of("payment_reversed")
                    if period.by_end(f.on("reversed_on"))}
    paid = sum(1 for f in history.of("payment_recorded")
               if period.by_end(f.on("paid_on")) and f.subject not in reversed_ids)
    return enrolled, len(programmes), (budget / WAN).quantize(Decimal("0.01")), paid


def bulletins(history: History, period: Period) -> dict[str, int]:
    """Bulletins issued in the period, by kind (督查专报, 督查通报, 会议形式通报)."""
    issued = within(history.of("bulletin_issued"), period)
    return {k: sum(1 for f in issued if f.data.get("kind") == k) for k in BULLETIN_KINDS}


def recipient_kind(fact: Fact, unit_kinds: dict[str, str]) -> str:
    kind = fact.text("recipient_kind")
    if kind != "unit":
        return kind
    return _UNIT_KIND_AS_RECIPIENT.get(unit_kinds.get(fact.text("recipient_unit_id"), ""), "unit")


def notices(history: History, period: Period) -> tuple[dict[str, int], dict[str, int]]:
    """Rectification notices issued in the period (by the day issued), and their distinct
    recipients, by kind of recipient: a cadre for a notice to a cadre, else the unit."""
    unit_kinds = {u.unit_id: u.kind for u in history.units().values()}
    counts = dict.fromkeys(RECIPIENT_KINDS, 0)
    recipients: dict[str, set[str]] = {k: set() for k in RECIPIENT_KINDS}
    for fact in within(history.of("rectification_notice_issued"), period):
        kind = recipient_kind(fact, unit_kinds)
        counts[kind] = counts.get(kind, 0) + 1
        who = fact.text("recipient_cadre_id") if kind == "cadre" else ""
        recipients.setdefault(kind, set()).add(who or fact.text("recipient_unit_id"))
    return counts, {k: len(v) for k, v in recipients.items()}


# 二、监督责任: casework, each act by its own date, within the period.


def casework(history: History, period: Period) -> CaseworkCounts:
    """Petitions accepted (a repeat of a matter not counted again), preliminary verifications
    (by the commission's approval), cases filed and their persons (by the filing), closed,
    persons sanctioned (党纪 or 政务处分 decided; a person once), admonishments (诫勉, each
    decision once, whatever its source) and money confiscated (yuan, by the outcome's
    decision)."""
    repeats = {f.subject for f in history.of("petition_received") if f.data.get("repeat_of")}
    accepted = [f for f in within(history.of("petition_accepted"), period)
                if f.subject not in repeats]
    persons = {f.subject: len(f.data.get("persons") or []) for f in history.of("case_proposed")}
    filed = within(history.of("case_filed"), period)
    # An outcome decided again for the same person replaces the earlier one.
    outcomes = {f"{f.subject}:{f.text('person_id')}": f
                for f in history.of("case_outcome_decided")}
    decided = [f for f in outcomes.values() if period.contains(f.day)]
    admonished = {f"case:{key}" for key, f in outcomes.items()
                  if f.data.get("kind") == "admonishment" and period.contains(f.day)}
    admonished |= {f"inquiry:{f.subject}" for f in within(history.of("inquiry_concluded"), period)
                   if f.data.get("outcome") == "admonishment"}
    admonished |= {f"accountability:{f.subject}:{f.text('cadre_id')}"
                   for f in within(history.of("accountability_decided"), period)
                   if f.data.get("form") == "admonishment"}
    admonished |= {f"assessment:{f.subject}"
                   for f in within(history.of("admonishment_recorded"), period)}
    return CaseworkCounts(
        petitions_accepted=len(accepted),
        preliminary_verifications=len(within(history.of("verification_approved"), period)),
        cases_filed=len(filed),
        persons_filed=sum(persons.get(f.subject, 0) for f in filed),
        cases_closed=len(within(history.of("case_closed"), period)),
        persons_sanctioned=len({f.text("person_id") for f in decided
                                if f.data.get("kind") in SANCTIONS}),
        admonishments=len(admonished),
        confiscated_yuan=sum((f.amount("confiscated") for f in decided), Decimal(0)),
    )


def compute_figures(history: History, period: Period) -> Figures:
    visits, activities, participant_times = education(history, period)
    communities, boarded, model = disclosure(history, period)
    enrolled, programmes, amount, person_times = funds(history, period)
    issued = bulletins(history, period)
    notice_counts, recipients = notices(history, period)
    return Figures(
        period=period, district=district_name(history),
        letters_signed=len(letters_signed(history, period)),
        units_covered=units_covered(history, period),
        warning_education_participants=visits, education_activities=activities,
        education_participant_times=participant_times,
        communities=len(communities), communities_with_board=len(boarded),
        model_community=model,
        units_enrolled=enrolled, programmes=programmes, amount_supervised_wan=amount,
        person_times=person_times,
        special_reports=issued["special_report"], circulars=issued["circular"],
        meeting_circulars=issued["meeting_circular"],
        notices=notice_counts, notice_recipients=recipients,
        **asdict(casework(history, period)),
    )
