"""The discipline commission's (区纪委监委) casework (信访举报 → 问题线索 → 初核 → 立案 → 审理 →
处分: 党纪处分 or 政务处分, docs/glossary.md): declared, still empty — it answers the
entrypoints every service shares and stores nothing yet."""

from shared.declaration import ServiceDeclaration

DECLARATION = ServiceDeclaration(
    name="casework",
    title="Casework (执纪审查)",
    service_class="services.casework.service:CaseworkService",
    upstreams=(),
    metrics_port=9102,
    relay_metrics_port=9202,
)
