"""Who may do what: the roles a caller's token names (docs/roles.md has the matrix).

Roles come from the seed's division of labour: the party committee (区委) carries the primary
responsibility, the discipline commission (纪委监委) supervises, a unit's clerk acts for that
unit only, a cadre for themself, an auditor reads and changes nothing, the system clock only
checks deadlines, a service reads another service's events, and an outside subscriber reads
published events.
"""

from __future__ import annotations

from typing import Literal, get_args

Role = Literal[
    "party_committee",
    "discipline_commission",
    "unit_clerk",
    "cadre",
    "auditor",
    "system_clock",
    "service",
    "subscriber",
]
ROLES: tuple[Role, ...] = get_args(Role)

PARTY_COMMITTEE: Role = "party_committee"
DISCIPLINE_COMMISSION: Role = "discipline_commission"
UNIT_CLERK: Role = "unit_clerk"
CADRE: Role = "cadre"
AUDITOR: Role = "auditor"
SYSTEM_CLOCK: Role = "system_clock"
SERVICE: Role = "service"
SUBSCRIBER: Role = "subscriber"

# Everyone who may read a service's records through its queries.
READERS: tuple[Role, ...] = (PARTY_COMMITTEE, DISCIPLINE_COMMISSION, UNIT_CLERK, CADRE, AUDITOR)
# Who may read a service's event log (catch-up).
EVENT_READERS: tuple[Role, ...] = (SERVICE, SUBSCRIBER, AUDITOR)
# Who may read confidential events (an unannounced visit before it happens, say).
CLEARED: tuple[Role, ...] = (DISCIPLINE_COMMISSION, AUDITOR, SERVICE)
