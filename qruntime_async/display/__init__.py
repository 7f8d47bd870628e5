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

from ._counts import MAX_OUTCOMES as MAX_OUTCOMES
from ._counts import Counts
from ._counts import counts_table as counts_table
from ._counts import marginal_counts as marginal_counts
from ._dispatch import page_table, view
from ._format import elapsed as elapsed
from ._format import status_category
from ._format import user_tags as user_tags
from ._views import MAX_ROWS as MAX_ROWS
from ._views import Card, Displayable, Table, View
from ._views import status_of as status_of

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
