"""The livelihood-fund supervision platform (惠民资金监管平台): units enrolled, fund programmes,
the money's path, the disbursement ledger, public lists, complaints and warning rules
(docs/funds.md)."""

from shared.declaration import ServiceDeclaration

DECLARATION = ServiceDeclaration(
    name="funds",
    title="Livelihood funds (惠民资金)",
    service_class="services.funds.service:FundsService",
    upstreams=("responsibility",),
    metrics_port=9103,
    relay_metrics_port=9203,
)
