"""The party committee's primary responsibility (主体责任): organisation, letters, tasks,
integrity education."""

from shared.declaration import ServiceDeclaration

DECLARATION = ServiceDeclaration(
    name="responsibility",
    title="Primary responsibility (主体责任)",
    service_class="services.responsibility.service:ResponsibilityService",
    metrics_port=9100,
    relay_metrics_port=9200,
)
