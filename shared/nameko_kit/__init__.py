"""The service kit: everything nameko, written once for every service.

A service's ``service.py`` subclasses :class:`ServiceKit`, names its declaration and its
application, and lists its entrypoints as a table of ``command``/``query`` bindings; the kit
adds the entrypoints every service shares and, from the declared upstreams, the consumer of
each upstream's events (queue, dead-lettering, pull timer, feed). Services import nameko only
in ``service.py``; everything else nameko lives in this package (docs/architecture.md).
"""

from shared.nameko_kit.config import service_config
from shared.nameko_kit.entrypoints import command, query
from shared.nameko_kit.providers import ApplicationProvider
from shared.nameko_kit.service import ServiceKit

__all__ = ["ApplicationProvider", "ServiceKit", "command", "query", "service_config"]
