"""Use cases and queries of the livelihood-fund supervision platform (惠民资金监管平台).

Each use case takes, by keyword, exactly the fields of the command bound to it in
``service.py``. A payment's warning rules run as it is recorded, against the read model's
indexes (services/funds/domain/rules.py), and its warnings are stored in the same transaction
as the payment: a payment is never on the ledger without what the rules found about it.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, ClassVar
from uuid import UUID, uuid4

from eventsourcing.persistence import IntegrityError, RecordConflictError
from eventsourcing.utils import EnvType

from services.funds import metrics
from services.funds.answers import (
    BudgetUse,
    Figures,
    OwnPayment,
    ProgrammeLine,
    RecipientLine,
)
from services.funds.commands import LedgerLine, ReferenceLine
from services.funds.domain import (
    EXCLUDABLE,
    LEVELS,
    WARNING_RULES,
    Allocation,
    Complaint,
    DuplicatePaymentError,
    Finding,
    FundsWarning,
    InvalidReferenceFileError,
    LedgerTooLongError,
    Payment,
    PaymentAlreadyReversedError,
    PaymentFacts,
    PaymentNotFoundError,
    PendingLines,
    PlatformUnit,
    Programme,
    ProgrammeFacts,
    ProgrammeNotFoundError,
    ReferenceFileAlreadyImportedError,
    ReferenceImport,
    Referral,
    Reversal,
    UnitNotKnownError,
    check_amount,
    check_enrolled,
    check_hop,
    check_in_period,
    check_programme,
    check_reversal,
    hop_late,
    in_wan,
    mask_name,
    payment_findings,
    period_key,
)
from services.funds.pseudonyms import Pseudonymiser
from services.funds.settings import FundsSettings
from services.funds.views import FundsView, ProgrammeRecord, UnitRecord
from shared.actors import SYSTEM_ACTOR, Actor
from shared.application import ServiceApplication
from shared.clock import as_aware
from shared.contracts.funds import Hop, PaymentPeriod, ReferenceKind
from shared.contracts.responsibility import UnitRegistered
from shared.errors import NotPermittedError
from shared.policy import UpstreamEvent, reacts_to

FOUR_PLACES = Decimal("0.0001")


class Funds(ServiceApplication[FundsView]):
    """The funds service's eventsourcing application."""

    service_name: ClassVar[str] = "funds"
    projection = FundsView

    def __init__(
        self, env: EnvType | None = None, settings: FundsSettings | None = None,
        pseudonyms: Pseudonymiser | None = None,
    ) -> None:
        self.settings = settings or FundsSettings.from_environ()
        self.pseudonyms = pseudonyms or Pseudonymiser.configured()
        super().__init__(env)

    # What the responsibility service tells us.

    @reacts_to(UnitRegistered)
    def learn_unit(self, event: UpstreamEvent[UnitRegistered]) -> list[PlatformUnit]:
        unit = event.data
        if PlatformUnit.create_id(unit.unit_id) in self.repository:
            return []  # learning twice changes nothing
        return [PlatformUnit(
            unit_id=unit.unit_id, name=unit.name, kind=unit.kind,
            parent_unit_id=unit.parent_unit_id, upstream_event_id=event.id,
            actor=event.actor, occurred_at=event.time,
        )]

    # Units and programmes.

    def enrol_unit(
        self, *, unit_id: UUID, enrolled_on: date, actor: Actor,
        occurred_at: datetime | None = None,
    ) -> None:
        unit = self.load(PlatformUnit.create_id(unit_id), PlatformUnit)
        unit.enrol(enrolled_on, actor, as_aware(occurred_at))
        self.save_changes(unit)

    def open_programme(
        self, *, name: str, managing_unit_id: UUID, budget: Decimal, starts_on: date,
        ends_on: date, period: PaymentPeriod, eligibility: str,
        excludes: Sequence[ReferenceKind] = (), exclusive_with: Sequence[UUID] = (),
        hop_days: int = 15, pay_days: int = 30, actor: Actor,
        occurred_at: datetime | None = None, programme_id: UUID | None = None,
    ) -> UUID:
        view, moment = self.as_of(), as_aware(occurred_at)
        _acting_for(actor, managing_unit_id, "open a programme")
        unit = self._unit(view, managing_unit_id)
        check_enrolled(unit.name, unit.enrolled_on, moment.date())
        check_programme(name, budget, starts_on, ends_on, list(excludes), hop_days, pay_days)
        for other in exclusive_with:
            self._programme(view, other)
        programme = Programme(
            id=programme_id or uuid4(), name=name, managing_unit_id=managing_unit_id,
            budget=budget, starts_on=starts_on, ends_on=ends_on, period=period,
            eligibility=eligibility, excludes=list(dict.fromkeys(excludes)),
            exclusive_with=list(dict.fromkeys(exclusive_with)), hop_days=hop_days,
            pay_days=pay_days, actor=actor, occurred_at=moment,
        )
        self.save_changes(programme)
        return programme.id

    def allocate(
        self, *, programme_id: UUID, hop: Hop, from_unit_id: UUID, to_unit_id: UUID,
        amount: Decimal, made_on: date, actor: Actor, occurred_at: datetime | None = None,
        allocation_id: UUID | None = None,
    ) -> UUID:
        """One hop of the money's path, by the sending unit's clerk; late is a warning."""
        view = self.as_of()
        programme = self._programme(view, programme_id)
        _acting_for(actor, from_unit_id, "pass on money")
        sender, receiver = self._unit(view, from_unit_id), self._unit(view, to_unit_id)
        check_enrolled(sender.name, sender.enrolled_on, made_on)
        check_enrolled(receiver.name, receiver.enrolled_on, made_on)
        check_hop(hop, receiver.kind, receiver.name, to_unit_id, programme.managing_unit_id)
        check_in_period(programme.name, programme.starts_on, programme.ends_on, made_on,
                        "a hop")
        check_amount(amount)
        moment = as_aware(occurred_at)
        allocation = Allocation(
            id=allocation_id or uuid4(), programme_id=programme_id, hop=hop,
            from_unit_id=from_unit_id, to_unit_id=to_unit_id, amount=amount, made_on=made_on,
            actor=actor, occurred_at=moment,
        )
        finding = None
        if hop != "finance_to_department":
            finding = hop_late(allocation.id, _facts(programme, view), from_unit_id, made_on,
                               view.arrival(programme_id, from_unit_id))
        elif view.arrival(programme_id, to_unit_id) is None:
            # The first tranche is due within the time limit of the programme's start; the
            # finance bureau's later tranches follow its own schedule.
            finding = hop_late(allocation.id, _facts(programme, view), from_unit_id, made_on,
                               None)
        warnings = [] if finding is None else [_warning(finding, moment)]
        self.save_changes(allocation, *warnings)
        return allocation.id

    # The ledger.

    def record_payment(
        self, *, line: LedgerLine, actor: Actor, occurred_at: datetime | None = None
    ) -> UUID:
        [payment_id] = self._record_lines(
            [line], actor, as_aware(occurred_at), line.payment_id is not None)
        return payment_id

    def record_ledger(
        self, *, lines: Sequence[LedgerLine], actor: Actor, occurred_at: datetime | None = None
    ) -> list[UUID]:
        """A ledger of payments, stored in one transaction with every warning they fire."""
        if len(lines) > self.settings.max_ledger_lines:
            msg = (f"A ledger carries at most {self.settings.max_ledger_lines} lines; "
                   f"this one has {len(lines)}: send it in parts.")
            raise LedgerTooLongError(msg)
        return self._record_lines(lines, actor, as_aware(occurred_at), True)

    def _record_lines(
        self, lines: Sequence[LedgerLine], actor: Actor, moment: datetime, ids_given: bool
    ) -> list[UUID]:
        view = self.as_of()
        pending = PendingLines(view)
        stored: list[Any] = []
        ids: list[UUID] = []
        facts_of: dict[UUID, ProgrammeFacts] = {}
        for line in lines:
            programme = self._programme(view, line.programme_id)
            _acting_for(actor, line.paying_unit_id, "record a payment")
            unit = self._unit(view, line.paying_unit_id)
            check_enrolled(unit.name, unit.enrolled_on, line.paid_on)
            check_in_period(programme.name, programme.starts_on, programme.ends_on,
                            line.paid_on, "a payment")
            check_amount(line.amount)
            if line.programme_id not in facts_of:
                facts_of[line.programme_id] = _facts(programme, view)
            payment_id = line.payment_id or uuid4()
            facts = PaymentFacts(
                payment_id=payment_id, programme_id=line.programme_id,
                beneficiary_id=self.pseudonyms.person_id(line.national_id),
                amount=line.amount, paid_on=line.paid_on,
                period=period_key(programme.period, line.paid_on),  # type: ignore[arg-type]
                paying_unit_id=line.paying_unit_id, method=line.method,
                handler_id=self.pseudonyms.person_id(line.handler_national_id),
            )
            findings = payment_findings(facts, facts_of[line.programme_id], pending)
            pending.add(facts, findings)
            stored.append(Payment(
                id=payment_id, programme_id=facts.programme_id,
                beneficiary_id=facts.beneficiary_id, masked_name=mask_name(line.name),
                amount=facts.amount, paid_on=facts.paid_on, period=facts.period,
                paying_unit_id=facts.paying_unit_id, method=line.method,
                handler_id=facts.handler_id, actor=actor, occurred_at=moment,
            ))
            stored += [_warning(f, moment) for f in findings]
            ids.append(payment_id)
        if len(set(ids)) != len(ids):
            raise DuplicatePaymentError("The ledger lists the same payment id twice.")
        try:
            self.save(*stored)
        except (RecordConflictError, IntegrityError):
            if not ids_given:
                raise
            raise DuplicatePaymentError(
                "The ledger holds one of these payments already: nothing was recorded."
            ) from None
        self.refresh_totals()
        return ids

    def reverse_payment(
        self, *, payment_id: UUID, reversed_on: date, reason: str, actor: Actor,
        occurred_at: datetime | None = None,
    ) -> UUID:
        """A reversing entry citing the payment; the payment itself is never changed."""
        payment = self.load(payment_id, Payment)
        _acting_for(actor, payment.paying_unit_id, "reverse a payment")
        check_reversal(payment.paid_on, reversed_on)
        reversal = Reversal(
            payment_id=payment_id, programme_id=payment.programme_id, amount=payment.amount,
            reversed_on=reversed_on, reason=reason, actor=actor,
            occurred_at=as_aware(occurred_at),
        )
        self.save_new(reversal, PaymentAlreadyReversedError(
            f"Payment {payment_id} was reversed already."))
        self.refresh_totals()
        return reversal.id

    # Reference data.

    def import_reference(
        self, *, kind: ReferenceKind, source: str, rows: Sequence[ReferenceLine],
        actor: Actor, occurred_at: datetime | None = None,
    ) -> UUID:
        """A reference file as another department provided it: one event with its source
        and row count; the same rows of the same kind twice are refused."""
        stored_rows = [self._reference_row(kind, number, row)
                       for number, row in enumerate(rows, 1)]
        digest = hashlib.sha256(json.dumps(
            [{k: str(v) for k, v in r.items()} for r in stored_rows], sort_keys=True,
        ).encode()).hexdigest()
        reference = ReferenceImport(
            kind=kind, source=source, digest=digest, row_count=len(stored_rows),
            rows=stored_rows, actor=actor, occurred_at=as_aware(occurred_at),
        )
        self.save_new(reference, ReferenceFileAlreadyImportedError(
            f"These {len(stored_rows)} {kind} rows were imported before; nothing was added."))
        return reference.id

    def _reference_row(
        self, kind: ReferenceKind, number: int, row: ReferenceLine
    ) -> dict[str, Any]:
        if kind == "deaths" and row.on is None:
            raise InvalidReferenceFileError(f"Row {number} of a deaths file has no date.")
        if kind == "relations" and row.official_national_id is None:
            msg = f"Row {number} of a relations file names no official."
            raise InvalidReferenceFileError(msg)
        official = (None if row.official_national_id is None
                    else self.pseudonyms.person_id(row.official_national_id))
        return {"row": number, "person_id": self.pseudonyms.person_id(row.national_id),
                "on": row.on, "official_id": official, "note": row.note}

    # Warnings, complaints and referrals to casework.

    def clear_warning(
        self, *, warning_id: UUID, reason: str, actor: Actor,
        occurred_at: datetime | None = None,
    ) -> None:
        warning = self.load(warning_id, FundsWarning)
        warning.clear(reason, actor, as_aware(occurred_at))
        self.save_changes(warning)
        self.refresh_totals()

    def transfer_warning(
        self, *, warning_id: UUID, summary: str, actor: Actor,
        occurred_at: datetime | None = None,
    ) -> UUID:
        """Hand a warning to casework as a lead (``Referral.Made``)."""
        warning = self.load(warning_id, FundsWarning)
        moment = as_aware(occurred_at)
        referral = Referral(
            source="warning", source_id=warning_id, programme_id=warning.programme_id,
            unit_id=warning.unit_id, payment_ids=list(warning.payment_ids), summary=summary,
            actor=actor, occurred_at=moment,
        )
        warning.transfer(referral.id, actor, moment)
        self.save_changes(referral, warning)
        self.refresh_totals()
        return referral.id

    def receive_complaint(
        self, *, channel: str, programme_id: UUID | None = None, text: str, actor: Actor,
        occurred_at: datetime | None = None, complaint_id: UUID | None = None,
    ) -> UUID:
        if programme_id is not None:
            self._programme(self.as_of(), programme_id)
        moment = as_aware(occurred_at)
        answer_by = moment.date() + timedelta(days=self.settings.complaint_answer_days)
        complaint = Complaint(
            id=complaint_id or uuid4(), channel=channel, programme_id=programme_id, text=text,
            answer_by=answer_by, actor=actor, occurred_at=moment,
        )
        self.save_changes(complaint)
        return complaint.id

    def answer_complaint(
        self, *, complaint_id: UUID, answer: str, actor: Actor,
        occurred_at: datetime | None = None,
    ) -> None:
        complaint = self.load(complaint_id, Complaint)
        complaint.answer(answer, actor, as_aware(occurred_at))
        self.save_changes(complaint)

    def transfer_complaint(
        self, *, complaint_id: UUID, summary: str, actor: Actor,
        occurred_at: datetime | None = None,
    ) -> UUID:
        complaint = self.load(complaint_id, Complaint)
        unit_id = None
        if complaint.programme_id is not None:
            unit_id = self._programme(self.as_of(), complaint.programme_id).managing_unit_id
        moment = as_aware(occurred_at)
        referral = Referral(
            source="complaint", source_id=complaint_id, programme_id=complaint.programme_id,
            unit_id=unit_id, payment_ids=[], summary=summary, actor=actor, occurred_at=moment,
        )
        complaint.transfer(referral.id, actor, moment)
        self.save_changes(referral, complaint)
        return referral.id

    # The clock.

    def check_deadlines(self, as_of: datetime) -> list[UUID]:
        """Record each complaint past its answer deadline as overdue, once."""
        marked: list[UUID] = []
        view = self.as_of()
        due = [c.complaint_id for c in view.complaints.values()
               if c.outcome == "open" and not c.overdue_recorded
               and c.answer_by < as_of.date()]
        for complaint_id in due:
            complaint = self.clock_load(complaint_id, Complaint)
            if complaint is None:
                continue  # damaged: skipped, and reported in the clock's answer
            if complaint.mark_overdue(SYSTEM_ACTOR, as_of) and self.save_if_uncontested(
                    complaint):
                marked.append(complaint_id)
        return marked

    def refresh_gauges(self, as_of: date) -> None:
        self.refresh_totals()

    def refresh_totals(self) -> None:
        totals = self.as_of().totals
        service = self.service_name
        metrics.PAYMENTS_RECORDED.labels(service).set(totals.payments)
        metrics.AMOUNT_DISBURSED.labels(service).set(float(totals.amount))
        for rule in WARNING_RULES:
            metrics.WARNINGS_OPEN.labels(service, rule).set(totals.open_warnings.get(rule, 0))

    # Queries. Each answers as the store says now, or as of a date (business time).

    def list_units(self, *, as_of: date | None = None) -> list[UnitRecord]:
        view = self.as_of(as_of)
        return sorted((u for u in view.units.values() if u.enrolled_on is not None
                       and (as_of is None or u.enrolled_on <= as_of)), key=lambda u: u.name)

    def list_programmes(self, *, as_of: date | None = None) -> list[ProgrammeLine]:
        return [
            ProgrammeLine(p.programme_id, p.name, p.managing_unit_id, p.budget, p.starts_on,
                          p.ends_on, p.period, p.paid, p.payments)
            for p in sorted(self.as_of(as_of).programmes.values(), key=lambda p: p.starts_on)
        ]

    def recipient_list(
        self, *, programme_id: UUID, as_of: date | None = None
    ) -> list[RecipientLine]:
        """A programme's public list (公示): masked names and amounts, reversals left out."""
        view = self.as_of(as_of)
        self._programme(view, programme_id)
        lines = [
            RecipientLine(p.masked_name, p.amount, p.paid_on, view.units[p.paying_unit_id].name)
            for p in view.payments.values()
            if p.programme_id == programme_id and p.reversed_on is None
        ]
        return sorted(lines, key=lambda r: (r.paid_on, r.masked_name))

    def own_payments(self, *, national_id: str) -> list[OwnPayment]:
        """A beneficiary's own payments, looked up by their id (the answer is masked)."""
        view = self.as_of()
        person = self.pseudonyms.person_id(national_id)
        answer = []
        for payment_id in view.payments_of.get(person, []):
            p = view.payments[payment_id]
            answer.append(OwnPayment(view.programmes[p.programme_id].name, p.masked_name,
                                     p.amount, p.paid_on, p.method, p.reversed_on is not None))
        return sorted(answer, key=lambda o: o.paid_on)

    def list_warnings(
        self, *, rule: str | None = None, outcome: str | None = None,
        as_of: date | None = None,
    ) -> list[Any]:
        found = [w for w in self.as_of(as_of).warnings.values()
                 if (rule is None or w.rule == rule)
                 and (outcome is None or w.outcome == outcome)]
        return sorted(found, key=lambda w: (w.raised_at, str(w.warning_id)))

    def list_complaints(
        self, *, outcome: str | None = None, as_of: date | None = None
    ) -> list[Any]:
        found = [c for c in self.as_of(as_of).complaints.values()
                 if outcome is None or c.outcome == outcome]
        return sorted(found, key=lambda c: c.received_at)

    def figures(self, *, start: date | None = None, end: date) -> Figures:
        """The seed's figures and those beyond it for ``start``–``end``; with no start,
        cumulatively since the platform began."""
        view = self.as_of(end)

        def within(day: date) -> bool:
            return (start is None or day >= start) and day <= end

        programmes = [p for p in view.programmes.values()
                      if p.starts_on <= end and (start is None or p.ends_on >= start)]
        supervised = sum((p.budget for p in programmes), Decimal(0))
        paid = [p for p in view.payments.values() if within(p.paid_on) and (
            p.reversed_on is None or p.reversed_on > end)]
        disbursed = sum((p.amount for p in paid), Decimal(0))
        warnings: dict[str, dict[str, int]] = {}
        for w in view.warnings.values():
            if within(w.raised_at.date()):
                by_outcome = warnings.setdefault(w.rule, {})
                by_outcome[w.outcome] = by_outcome.get(w.outcome, 0) + 1
        complaints = [c for c in view.complaints.values() if within(c.received_at.date())]
        answered = [c for c in complaints if c.outcome == "answered" and c.settled_at]
        mean_days = None
        if answered:
            days = sum((Decimal((c.settled_at - c.received_at).days)  # type: ignore[operator]
                        for c in answered), Decimal(0))
            mean_days = (days / len(answered)).quantize(Decimal("0.1"))
        held: dict[str, Decimal] = {level: Decimal(0) for level in LEVELS}
        for (_, level), money in view.money_at.items():
            held[level] += money.held
        return Figures(
            start=start, end=end,
            units_enrolled=sum(1 for u in view.units.values()
                               if u.enrolled_on is not None and within(u.enrolled_on)),
            programmes_supervised=len(programmes),
            amount_supervised_yuan=supervised, amount_supervised_wan=in_wan(supervised),
            amount_disbursed_yuan=disbursed, person_times=len(paid),
            person_times_wan=(Decimal(len(paid)) / 10_000).quantize(Decimal("0.1")),
            warnings=warnings,
            complaints=dict(Counter(c.outcome for c in complaints)),
            complaints_overdue=sum(1 for c in complaints if c.overdue_recorded),
            mean_days_to_answer=mean_days,
            budget_use=[
                BudgetUse(p.programme_id, p.name, p.budget, p.paid,
                          (p.paid / p.budget).quantize(FOUR_PLACES))
                for p in sorted(programmes, key=lambda p: p.name)
            ],
            held_up=held,
        )

    # Helpers.

    def _programme(self, view: FundsView, programme_id: UUID) -> ProgrammeRecord:
        found = view.programmes.get(programme_id)
        if found is None:
            raise Programme.not_found(programme_id)
        return found

    def _unit(self, view: FundsView, unit_id: UUID) -> UnitRecord:
        found = view.units.get(unit_id)
        if found is None:
            raise UnitNotKnownError(
                f"No unit {unit_id} is known to the funds platform (units come from the "
                "responsibility service)."
            )
        return found


def _acting_for(actor: Actor, unit_id: UUID, what: str) -> None:
    if actor.unit_id != unit_id:
        msg = f"A clerk may {what} for their own unit only."
        raise NotPermittedError(msg)


def _facts(programme: ProgrammeRecord, view: FundsView) -> ProgrammeFacts:
    return ProgrammeFacts(
        programme_id=programme.programme_id, name=programme.name, budget=programme.budget,
        excludes=tuple(k for k in programme.excludes if k in EXCLUDABLE),
        exclusive_with=view.exclusive_of(programme.programme_id),
        starts_on=programme.starts_on, hop_days=programme.hop_days,
        pay_days=programme.pay_days,
    )


def _warning(finding: Finding, moment: datetime) -> FundsWarning:
    """The warning a rule's finding raises; the system raises it, at the act's time."""
    return FundsWarning(
        id=FundsWarning.id_for(finding.rule, finding.subject_id), rule=finding.rule,
        programme_id=finding.programme_id, unit_id=finding.unit_id,
        payment_ids=list(finding.payment_ids), allocation_id=finding.allocation_id,
        references=[r.cited() for r in finding.references], detail=finding.detail,
        actor=SYSTEM_ACTOR, occurred_at=moment,
    )


__all__ = ["Funds", "PaymentNotFoundError", "ProgrammeNotFoundError"]
