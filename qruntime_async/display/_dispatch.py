"""The displayable form of anything: :func:`view` and :func:`page_table`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from ._counts import Counts
from ._views import Displayable, Table, View


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
