"""Casework's part in the demo year: declared and running, no use cases yet. It answers the
clock like every service and reports what its store holds (nothing yet)."""

from __future__ import annotations

from datetime import date

from dutytrail_ops.demo.timeline import Scenario


class CaseworkScenario(Scenario):
    service = "casework"

    def report(self, as_of: date) -> list[str]:
        stored = len(self.audit.events_after({"after": 0, "limit": 500}))
        return [
            "",
            f"== {self.ctx.year}年 **区纪委执纪审查 (casework service) ==",
            f"  declared and running; events stored so far: {stored} (use cases to come)",
        ]


SCENARIO = CaseworkScenario
