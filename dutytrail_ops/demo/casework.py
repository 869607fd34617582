"""Casework's part in the demo year: declared and running, no use cases yet. It answers the
clock like every service and reports what its store holds (nothing yet)."""

from __future__ import annotations

from datetime import date

from dutytrail_ops.demo.timeline import Scenario

# The seed's sentence on casework (§二(二)), in the seed's own 2014 terms.
SEED_CASEWORK = "1－11月，**区纪委受理信访举报件**件，初核**件，立案**件**人，已结案**件，处分**人"
# The seed's terms and today's (one era of terms: today's everywhere but in seed quotations).
TERMS = "区纪委 → 区纪委监委; 监察局 → 区纪委监委; 政纪处分 → 政务处分"


class CaseworkScenario(Scenario):
    service = "casework"

    def report(self, as_of: date) -> list[str]:
        stored = len(self.audit.events_after({"after": 0, "limit": 500}))
        return [
            "",
            f"== {self.ctx.year}年 **区纪委监委执纪审查 (casework service) ==",
            f"  declared and running; events stored so far: {stored} (use cases to come)",
            # The seed's words, quoted as the seed wrote them (2014), then today's names.
            f"  seed (2014): “{SEED_CASEWORK}”",
            f"  术语 today's names (docs/glossary.md): {TERMS}",
        ]


SCENARIO = CaseworkScenario
