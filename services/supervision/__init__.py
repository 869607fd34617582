"""The discipline commission's supervision responsibility (监督责任): inspections,
rectification notices, bulletins, quarterly reports, disclosure."""

from shared.declaration import ServiceDeclaration

DECLARATION = ServiceDeclaration(
    name="supervision",
    title="Supervision responsibility (监督责任)",
    service_class="services.supervision.service:SupervisionService",
    upstreams=("responsibility",),
    metrics_port=9101,
    relay_metrics_port=9201,
)
