"""Formatting shared by the displays: status colours, cell styles and plain-text values."""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone

_RESERVED_TAG_PREFIX = "qruntime-idempotency-key:"

# Status words of both services (lower case) and what they mean for the colour.
_CATEGORIES = {
    "completed": "ok",
    "done": "ok",
    "succeeded": "ok",
    "failed": "bad",
    "error": "bad",
    "running": "running",
    "in_progress": "running",
    "active": "running",
    "queued": "waiting",
    "waiting": "waiting",
    "pending": "waiting",
    "starting": "waiting",
    "open": "waiting",
    "new": "waiting",
    "closed": "ended",
    "stopped": "ended",
    "stopping": "ended",
    "inactive": "ended",
}
_HTML_COLOURS = {
    "ok": "#1a7f37",
    "bad": "#cf222e",
    "cancelled": "#bc4c00",
    "running": "#0969da",
    "waiting": "#8250df",
    "ended": "#57606a",
    "unknown": "#57606a",
}
_RICH_STYLES = {
    "ok": "bold green",
    "bad": "bold red",
    "cancelled": "bold dark_orange",
    "running": "bold blue",
    "waiting": "bold magenta",
    "ended": "bold grey50",
    "unknown": "bold grey50",
}

_CELL = "text-align:left;padding:1px 10px 1px 0;vertical-align:top"
_TABLE = "border-collapse:collapse;margin:2px 0 6px 0"
_CAPTION = "text-align:left;caption-side:top;padding:2px 0;white-space:nowrap"


def status_category(status: object) -> str:
    """What a status word means: ``ok``, ``bad``, ``cancelled``, ``running``, ``waiting``,
    ``ended`` or ``unknown`` (both services' spellings; ``Cancelled - Ran too long`` is
    ``cancelled``)."""
    if not isinstance(status, str):
        return "unknown"
    word = status.strip().lower()
    if word.startswith(("cancel", "cancelled")):
        return "cancelled"
    return _CATEGORIES.get(word, "unknown")


def _e(value: object) -> str:
    return html.escape(_format(value), quote=True)


def _format(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        if value.tzinfo is not None and value.utcoffset() == timedelta(0):
            return value.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, timedelta):
        return f"{round(value.total_seconds(), 3):g} s"
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, (list, tuple)):
        return ", ".join(_format(item) for item in value)
    return str(value)


def _status_html(status: str | None) -> str:
    if status is None:
        return ""
    colour = _HTML_COLOURS[status_category(status)]
    return (
        f'<span style="color:#fff;background:{colour};border-radius:3px;padding:0 5px;'
        f'white-space:nowrap">{_e(status)}</span>'
    )


def _seconds(value: float | None) -> str | None:
    return None if value is None else f"{value:g} s"


def user_tags(tags: Sequence[str] | None) -> list[str] | None:
    """``tags`` without the reserved idempotency tag the SDK adds (None when nothing is left)."""
    if not tags:
        return None
    kept = [tag for tag in tags if not tag.startswith(_RESERVED_TAG_PREFIX)]
    return kept or None


def elapsed(start: datetime | None, end: datetime | None) -> timedelta | None:
    """``end - start`` when both are known."""
    if start is None or end is None:
        return None
    try:
        return end - start
    except TypeError:  # one naive, one aware
        return None
