"""The discipline commission's (区纪委监委) casework: 信访举报 → 问题线索 → 谈话函询 / 初步核实
→ 立案 → 审查调查 → 审理 → 处分 (党纪处分 or 政务处分), 问责 and 一案双查 (docs/casework.md).
Reporters' identities are sealed with a key per person (services/casework/sealing.py)."""

from shared.declaration import ServiceDeclaration

DECLARATION = ServiceDeclaration(
    name="casework",
    title="Casework (执纪审查)",
    service_class="services.casework.service:CaseworkService",
    upstreams=("responsibility", "supervision", "funds"),
    metrics_port=9102,
    relay_metrics_port=9202,
)
