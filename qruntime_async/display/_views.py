"""Views rendered as HTML, rich and text: :class:`Card`, :class:`Table` and :class:`Displayable`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ._format import (
    _CAPTION,
    _CELL,
    _RICH_STYLES,
    _TABLE,
    _e,
    _format,
    _status_html,
    status_category,
)

#: Rows of a listing or of an array of values shown before "... more".
MAX_ROWS = 50


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
