"""How jobs, sessions, pages, watch events and results show themselves in notebooks and consoles.

Every displayable object has three forms:

* ``_repr_html_()``: a small HTML table (Jupyter, VS Code and most notebook front ends use it);
  every string that came from a server is escaped;
* ``__rich__()``: a :mod:`rich` renderable, for ``rich.print(job)`` and rich consoles (rich is
  imported only then; nothing it renders is read as markup);
* ``summary()``: one line of plain text.

:class:`Counts` wraps plain counts (``client.jobs.counts(...)`` of either service) so that they
display and plot the same way, and :func:`view` gives the displayable form of anything this module
knows, including the :class:`~qruntime_async.Page` objects of ``pager.pages()``.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

__all__ = [
    "Card",
    "Counts",
    "Displayable",
    "Table",
    "View",
    "page_table",
    "status_category",
    "view",
]

#: Outcomes listed per register (the most frequent first); the rest are summed up in one line.
MAX_OUTCOMES = 16
#: Rows of a listing or of an array of values shown before "... more".
MAX_ROWS = 50

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


class View:
    """Something rendered three ways: :meth:`html`, :meth:`text` (one line) and :meth:`rich`."""

    def html(self) -> str:
        """An HTML fragment; every value is escaped."""
        raise NotImplementedError

    def text(self) -> str:
        """One line of plain text."""
        raise NotImplementedError

    def rich(self) -> Any:
        """A :mod:`rich` renderable (imports rich)."""
        raise NotImplementedError


@dataclass(frozen=True)
class Card(View):
    """One object: a kind (``IBM job``), its id and status, labelled values, and sections.

    ``rows`` with a None value are left out. ``extra`` rows show in the card but not as columns
    when the object is one row of a listing (see :meth:`Table.of`). ``sections`` are tables shown
    under the card (the counts of a result).
    """

    kind: str
    ident: str | None = None
    status: str | None = None
    rows: Sequence[tuple[str, object]] = ()
    extra: Sequence[tuple[str, object]] = ()
    sections: Sequence[Table] = ()
    brief: str | None = None

    def _all_rows(self) -> list[tuple[str, object]]:
        return [(k, v) for k, v in (*self.rows, *self.extra) if v is not None and v != ""]

    def html(self) -> str:
        head = f"<b>{_e(self.kind)}</b>"
        if self.ident:
            head += f" <code>{_e(self.ident)}</code>"
        if self.status is not None:
            head += " " + _status_html(self.status)
        body = "".join(
            f'<tr><th style="{_CELL}">{_e(k)}</th><td style="{_CELL}">{_e(v)}</td></tr>'
            for k, v in self._all_rows()
        )
        parts = [
            f'<div class="qruntime-display"><table style="{_TABLE}">'
            f'<caption style="{_CAPTION}">{head}</caption><tbody>{body}</tbody></table>'
        ]
        parts.extend(section.html() for section in self.sections)
        parts.append("</div>")
        return "".join(parts)

    def text(self) -> str:
        words = [self.kind]
        if self.ident:
            words.append(self.ident)
        line = " ".join(words)
        if self.status is not None:
            line += f" [{self.status}]"
        if self.brief:
            details = [self.brief]
        else:
            details = [f"{k} {_format(v)}" for k, v in self.rows if v is not None and v != ""]
        if details:
            line += ": " + ", ".join(details)
        return line

    def rich(self) -> Any:
        from rich.console import Group
        from rich.table import Table as RichTable
        from rich.text import Text

        title = Text.assemble((self.kind, "bold"))
        if self.ident:
            title.append(" ")
            title.append(self.ident, style="cyan")
        if self.status is not None:
            title.append(" ")
            title.append(self.status, style=_RICH_STYLES[status_category(self.status)])
        table = RichTable(show_header=False, box=None, padding=(0, 2, 0, 1))
        table.add_column(style="bold")
        table.add_column()
        for key, value in self._all_rows():
            table.add_row(Text(key), Text(_format(value)))
        return Group(title, table, *(section.rich() for section in self.sections))


@dataclass(frozen=True)
class Table(View):
    """A titled table: ``columns``, ``rows`` of values, and an optional ``footer`` line.

    ``status_column`` is the index of a column drawn as a coloured status; ``bar_column`` the index
    of a column of counts drawn as bars (shares of ``bar_total``). ``brief`` is the one-line text.
    """

    title: str
    columns: Sequence[str]
    rows: Sequence[Sequence[object]]
    footer: str | None = None
    status_column: int | None = None
    bar_column: int | None = None
    bar_total: int = 0
    brief: str | None = None

    @classmethod
    def of(
        cls,
        title: str,
        items: Sequence[object],
        *,
        total: int | None = None,
        more: bool = False,
    ) -> Table:
        """A table with one row per item (its id, status and the values of its card)."""
        every = [_card_of(item) for item in items]
        cards = every[:MAX_ROWS]
        labels: list[str] = []
        for card in cards:
            for key, _ in card.rows:
                if key not in labels:
                    labels.append(key)
        has_status = any(card.status is not None for card in cards)
        columns = ["id", *(["status"] if has_status else []), *labels]
        rows: list[list[object]] = []
        states: dict[str, int] = {}
        for card in cards:
            values = dict(card.rows)
            row: list[object] = [card.ident]
            if has_status:
                row.append(card.status)
            row.extend(values.get(label) for label in labels)
            rows.append(row)
        for card in every:
            if card.status is not None:
                states[card.status] = states.get(card.status, 0) + 1
        shown = len(items)
        notes = [f"{shown} of {total}" if total is not None and total != shown else f"{shown}"]
        notes[0] += " item" if shown == 1 and total in (None, 1) else " items"
        if len(items) > MAX_ROWS:
            notes.append(f"first {MAX_ROWS} shown")
        if more:
            notes.append("more pages follow")
        by_state = ", ".join(f"{n} {s}" for s, n in sorted(states.items(), key=lambda p: -p[1]))
        brief = f"{title}: " + "; ".join(notes) + (f" ({by_state})" if by_state else "")
        return cls(
            title,
            columns,
            rows,
            footer="; ".join(notes),
            status_column=1 if has_status else None,
            brief=brief,
        )

    def html(self) -> str:
        head = "".join(f'<th style="{_CELL}">{_e(c)}</th>' for c in self.columns)
        body: list[str] = []
        for row in self.rows:
            cells: list[str] = []
            for index, value in enumerate(row):
                if index == self.status_column and isinstance(value, str):
                    cells.append(f'<td style="{_CELL}">{_status_html(value)}</td>')
                elif index == self.bar_column and isinstance(value, int):
                    cells.append(f'<td style="{_CELL};width:140px">{self._bar(value)}</td>')
                elif index == 0 and value is not None:
                    cells.append(f'<td style="{_CELL}"><code>{_e(value)}</code></td>')
                else:
                    cells.append(f'<td style="{_CELL}">{_e(value)}</td>')
            body.append("<tr>" + "".join(cells) + "</tr>")
        footer = (
            f'<div style="color:#57606a;font-size:90%">{_e(self.footer)}</div>'
            if self.footer
            else ""
        )
        return (
            f'<table style="{_TABLE}"><caption style="{_CAPTION}"><b>{_e(self.title)}</b>'
            f"</caption><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
            f"{footer}"
        )

    def _bar(self, value: int) -> str:
        share = 100.0 * value / self.bar_total if self.bar_total > 0 else 0.0
        return (
            f'<div style="background:#0969da;height:0.8em;width:{share:.1f}%;min-width:1px"></div>'
        )

    def text(self) -> str:
        if self.brief is not None:
            return self.brief
        return f"{self.title}: {len(self.rows)} rows"

    def rich(self) -> Any:
        from rich.table import Table as RichTable
        from rich.text import Text

        table = RichTable(
            title=Text(self.title, style="bold"),
            title_justify="left",
            caption=Text(self.footer) if self.footer else None,
            caption_justify="left",
            min_width=len(self.title),
        )
        for column in self.columns:
            if column == "bar":
                continue
            table.add_column(Text(column))
        for row in self.rows:
            cells: list[Text] = []
            for index, value in enumerate(row):
                if index == self.bar_column:
                    continue
                if index == self.status_column and isinstance(value, str):
                    cells.append(Text(value, style=_RICH_STYLES[status_category(value)]))
                else:
                    cells.append(Text(_format(value)))
            table.add_row(*cells)
        return table


class Displayable:
    """Adds ``_repr_html_``, ``__rich__`` and :meth:`summary`, given a ``_view()`` method."""

    __slots__ = ()

    def _view(self) -> View:
        raise NotImplementedError

    def _repr_html_(self) -> str:
        return self._view().html()

    def __rich__(self) -> Any:
        return self._view().rich()

    def summary(self) -> str:
        """One line describing this object (id, status, where and when)."""
        return self._view().text()


def _card_of(item: object) -> Card:
    if isinstance(item, Displayable):
        shown = item._view()
        if isinstance(shown, Card):
            return shown
        return Card(type(item).__name__, brief=shown.text())
    ident = getattr(item, "id", None)
    status = status_of(item)
    return Card(
        type(item).__name__,
        ident=ident if isinstance(ident, str) else None,
        status=status,
        brief=None if ident is not None else str(item),
    )


def status_of(obj: object) -> str | None:
    """The status word of a job, session, workload or event (None when it has none)."""
    if isinstance(obj, Displayable):
        shown = obj._view()
        return shown.status if isinstance(shown, Card) else None
    for name in ("current_status", "status", "state"):
        value = obj.get(name) if isinstance(obj, Mapping) else getattr(obj, name, None)
        if isinstance(value, str):
            return value
    return None


# --------------------------------------------------------------------------------------------
# Counts


def counts_table(
    title: str, counts: Mapping[str, int], *, limit: int = MAX_OUTCOMES, shots: int | None = None
) -> Table:
    """The most frequent outcomes of ``counts`` with their share, as a :class:`Table`."""
    total = sum(counts.values()) if shots is None else shots
    ordered = sorted(counts.items(), key=lambda pair: (-pair[1], pair[0]))
    rows: list[list[object]] = []
    for outcome, count in ordered[:limit]:
        share = f"{100.0 * count / total:.1f} %" if total else ""
        rows.append([outcome, count, share, count])
    rest = ordered[limit:]
    footer = None
    if rest:
        footer = f"{len(rest)} more outcomes with {sum(n for _, n in rest)} shots"
    top = ", ".join(f"{k}: {n}" for k, n in ordered[:4])
    if len(ordered) > 4:
        top += ", ..."
    return Table(
        title,
        ["outcome", "count", "share", "bar"],
        rows,
        footer=footer,
        bar_column=3,
        bar_total=max((n for _, n in ordered), default=0),
        brief=f"{title} {{{top}}}",
    )


def marginal_counts(counts: Mapping[str, int]) -> list[dict[str, int]]:
    """Counts of each register of qiskit-style keys (``"1 01"``: registers split by spaces).

    The first register (rightmost in the key) comes first. Keys without a space give one
    register: the counts themselves.
    """
    out: list[dict[str, int]] = []
    for key, count in counts.items():
        parts = key.split(" ")[::-1]
        while len(out) < len(parts):
            out.append({})
        for index, part in enumerate(parts):
            out[index][part] = out[index].get(part, 0) + count
    return out


class Counts(Displayable):
    """Plain counts shown as tables with bars, and plotted with :meth:`plot`.

    ``counts`` is one mapping ``outcome -> count`` or a list of them (one per circuit, as
    ``client.jobs.counts(job_id)`` of either service returns). Qiskit-style keys with spaces
    between classical registers are also shown per register; ``names`` names the registers in
    the circuit's order (the first one is rightmost in a key).
    """

    __slots__ = ("circuits", "names", "title")

    def __init__(
        self,
        counts: Mapping[str, int] | Iterable[Mapping[str, int]],
        *,
        title: str = "counts",
        names: Sequence[str] | None = None,
    ) -> None:
        if isinstance(counts, Mapping):
            circuits = [dict(counts)]
        else:
            circuits = [dict(each) for each in counts]
        for each in circuits:
            for key, value in each.items():
                if (
                    not isinstance(key, str)
                    or isinstance(value, bool)
                    or not isinstance(value, int)
                ):
                    raise TypeError(f"counts map outcome strings to ints, got {key!r}: {value!r}")
        #: One ``outcome -> count`` dict per circuit.
        self.circuits: list[dict[str, int]] = circuits
        self.title = title
        self.names = list(names) if names is not None else None

    def __repr__(self) -> str:
        return f"Counts({self.circuits!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Counts):
            return NotImplemented
        return self.circuits == other.circuits

    __hash__ = None  # type: ignore[assignment]

    def _view(self) -> View:
        sections: list[Table] = []
        for index, counts in enumerate(self.circuits):
            label = f"circuit {index}" if len(self.circuits) > 1 else "all registers"
            sections.append(counts_table(label, counts))
            registers = marginal_counts(counts)
            if len(registers) > 1:
                for position, marginal in enumerate(registers):
                    name = self._name(position)
                    sections.append(counts_table(f"{label} · register {name}", marginal))
        shots = [sum(c.values()) for c in self.circuits]
        rows: list[tuple[str, object]] = [("circuits", len(self.circuits))]
        if shots:
            rows.append(("shots", shots[0] if len(set(shots)) == 1 else shots))
        brief = "; ".join(s.text() for s in sections if "register" not in s.title)
        return Card(self.title, rows=rows, sections=sections, brief=brief)

    def _name(self, position: int) -> str:
        if self.names is not None and position < len(self.names):
            return self.names[position]
        return str(position)

    def plot(self, **options: Any) -> Any:
        """A bar chart of the counts (see :func:`qruntime_async.plot.plot_counts`)."""
        from .plot import plot_counts

        return plot_counts(self, **options)


# --------------------------------------------------------------------------------------------
# Anything


@dataclass(frozen=True)
class _Shown(Displayable):
    shown: View = field()

    def _view(self) -> View:
        return self.shown


def view(obj: object, *, title: str | None = None) -> Displayable:
    """The displayable form of ``obj``.

    Objects of this package that display themselves are returned as they are; a
    :class:`~qruntime_async.Page` (from ``pager.pages()``) or a list of jobs, sessions or
    workloads becomes a table; counts (a mapping or a list of mappings) become :class:`Counts`.
    """
    if isinstance(obj, Displayable):
        return obj
    if hasattr(obj, "next_token") and isinstance(getattr(obj, "items", None), Sequence):
        return _Shown(page_table(obj, title=title))
    if isinstance(obj, Mapping) or (
        isinstance(obj, Sequence)
        and not isinstance(obj, str)
        and obj
        and all(isinstance(each, Mapping) for each in obj)
    ):
        return Counts(obj, title=title or "counts")
    if isinstance(obj, Sequence) and not isinstance(obj, str):
        return _Shown(Table.of(title or "items", list(obj)))
    raise TypeError(f"cannot display a {type(obj).__name__}")


def page_table(page: object, *, title: str | None = None) -> Table:
    """A :class:`~qruntime_async.Page` (``items``, ``total``, ``next_token``, ``raw``) as a table.

    The title is the one of the provider's page (``IBM workloads``...) unless given.
    """
    items = getattr(page, "items", None)
    if not isinstance(items, Sequence):
        raise TypeError(f"not a page: {type(page).__name__}")
    name = title or _page_title(getattr(page, "raw", None), items)
    total = getattr(page, "total", None)
    more = getattr(page, "next_token", None) is not None
    return Table.of(name, items, total=total if isinstance(total, int) else None, more=more)


def _page_title(raw: object, items: Sequence[object]) -> str:
    if isinstance(raw, Displayable):
        shown = raw._view()
        if isinstance(shown, Table):
            return shown.title
    if items:
        return f"{type(items[0]).__name__} page"
    return "page"
