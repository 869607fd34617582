"""A nameko RPC client for the command line that leaves nothing behind on the broker.

nameko's ``ClusterRpcProxy`` declares a reply queue ``rpc.reply-standalone_rpc_proxy-<uuid>``
and, when stopped, only lets it expire five minutes later; a script calling the command line
in a loop would pile them up. :class:`TidyClusterRpcProxy` deletes its reply queue when it
stops (a killed process still leaves it to expire)."""

from __future__ import annotations

from typing import Any

from kombu.connection import Connection
from nameko.exceptions import RpcTimeout
from nameko.standalone.rpc import ClusterRpcProxy

from shared.nameko_kit.config import service_config
from shared.nameko_kit.providers import AUTHORIZATION


class TidyClusterRpcProxy(ClusterRpcProxy):
    """``ClusterRpcProxy`` whose reply queue is deleted when it stops."""

    def __init__(self, config: dict[str, Any], **kwargs: Any) -> None:
        super().__init__(config, **kwargs)
        self._uri = str(config["AMQP_URI"])

    def stop(self) -> None:
        queue = getattr(self._reply_listener, "queue", None)
        super().stop()
        if queue is None:
            return
        with Connection(self._uri, connect_timeout=5) as connection:
            connection.default_channel.queue_delete(queue.name)


class RpcClient:
    """Calls one service's RPC with a caller's token; :meth:`close` deletes the reply queue."""

    def __init__(self, service: str, token: str, timeout: float = 30) -> None:
        context = {AUTHORIZATION: f"Bearer {token}"}
        self._proxy = TidyClusterRpcProxy(service_config(), timeout=timeout, context_data=context)
        self._service = getattr(self._proxy.start(), service)

    def call(self, method: str, *args: Any) -> Any:
        """The answer of ``method``; ``TimeoutError`` if none came in time."""
        try:
            return getattr(self._service, method)(*args)
        except RpcTimeout as error:
            raise TimeoutError(str(error)) from None

    def close(self) -> None:
        self._proxy.stop()
