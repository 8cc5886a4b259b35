"""JSON line logs through structlog; personal data is dropped before anything is written."""

from __future__ import annotations

import logging
import sys
import traceback
from collections.abc import MutableMapping
from typing import Any

import structlog

# Keys whose values are personal data; they are replaced, never written.
PERSONAL_KEYS = frozenset(
    {"email", "phone", "name", "first_name", "last_name", "full_name", "contact", "address", "ip"}
)


def redact_personal_data(_: Any, __: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    """Replace values of personal-data keys (at any depth of dicts) with a marker."""
    return _redact(event_dict)


def _redact(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: ("[redacted]" if k.lower() in PERSONAL_KEYS else _redact(v)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_redact(v) for v in value]
    return value


def format_exception_without_messages(
    _: Any, __: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """Render exc_info as a traceback text of frames and exception types, leaving out exception messages.

    A message can quote the data that failed (a driver's error quotes the value, a validation error the input),
    so only the types along the cause chain and where they were raised are written."""
    exc_info = event_dict.pop("exc_info", None)
    if not exc_info:
        return event_dict
    if exc_info is True:
        exc_info = sys.exc_info()
    elif isinstance(exc_info, BaseException):
        exc_info = (type(exc_info), exc_info, exc_info.__traceback__)
    if exc_info[1] is not None:
        event_dict["exception"] = _traceback_text(exc_info[1])
    return event_dict


def _traceback_text(exc: BaseException) -> str:
    parts: list[str] = []
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        frames = "".join(
            f'  File "{f.filename}", line {f.lineno}, in {f.name}\n'
            for f in traceback.extract_tb(current.__traceback__)
        )
        parts.append(
            f"Traceback (most recent call last):\n{frames}{type(current).__module__}.{type(current).__qualname__}"
        )
        current = current.__cause__ or current.__context__
    return "\n\nwhich was caused by:\n\n".join(parts)


def error_name(exc: BaseException) -> str:
    """Name an error by its type and the types it was caused by, never by its message (which can quote data)."""
    names: list[str] = []
    current: BaseException | None = exc
    while current is not None and len(names) < 6:
        names.append(type(current).__name__)
        current = getattr(current, "orig", None) or current.__cause__
    return " <- ".join(dict.fromkeys(names))


def configure_logging(service: str, level: str = "INFO") -> None:
    """Send JSON lines with the service name to stderr, for our logs and the libraries' alike."""
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        redact_personal_data,
    ]
    structlog.configure(
        processors=[*shared, format_exception_without_messages, structlog.processors.JSONRenderer()],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
        cache_logger_on_first_use=True,
    )
    structlog.contextvars.bind_contextvars(service=service)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                format_exception_without_messages,
                structlog.processors.JSONRenderer(),
            ],
            foreign_pre_chain=[*shared, structlog.stdlib.add_logger_name],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("aiokafka", "uvicorn.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
