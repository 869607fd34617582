"""How every process logs: one line per record, plain and tagged or JSON
(``DUTYTRAIL_LOG_FORMAT=json``), each with the trace id of the command or reaction it is
about (field ``trace_id``; ``trace=<id>`` in text), and a refused command is one INFO line,
not a traceback.

nameko logs every exception an entrypoint declares as expected at WARNING with its
traceback; for this system those are refusals a clerk caused (a named domain error) and
operations must not wade through them (docs/operations.md).
"""

from __future__ import annotations

import logging
import sys

from pythonjsonlogger.json import JsonFormatter

from shared.settings import log_format, log_level
from shared.tracing import TraceLogFilter

EXPECTED_PREFIX = "(expected)"


class RefusalsAtInfo(logging.Filter):
    """Turns nameko's "(expected) error handling worker" warnings into one INFO line."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno == logging.WARNING and str(record.msg).startswith(EXPECTED_PREFIX):
            error = record.exc_info[1] if record.exc_info else None
            worker = record.args[0] if isinstance(record.args, tuple) and record.args else None
            entrypoint = getattr(worker, "entrypoint", None)
            name = getattr(entrypoint, "method_name", "?")
            record.levelno, record.levelname = logging.INFO, "INFO"
            record.msg = "refused %s: %s: %s"
            record.args = (name, type(error).__name__, error)
            record.exc_info = None
            record.exc_text = None
            return logging.getLogger().isEnabledFor(logging.INFO)
        return True


def configure_logging(tag: str) -> None:
    """Set up the root logger of one process (a service, a relay, the command line)."""
    handler = logging.StreamHandler(sys.stderr)
    if log_format() == "json":
        handler.setFormatter(JsonFormatter(
            "%(asctime)s %(levelname)s %(name)s %(trace_id)s %(message)s",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            static_fields={"process": tag},
        ))
    else:
        handler.setFormatter(
            logging.Formatter(f"%(asctime)s {tag} %(levelname)s %(name)s%(trace)s: %(message)s")
        )
    handler.addFilter(RefusalsAtInfo())
    # The trace of the command or reaction being handled, on every line (docs/tracing.md).
    handler.addFilter(TraceLogFilter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(log_level())
    logging.getLogger("amqp").setLevel(logging.WARNING)
