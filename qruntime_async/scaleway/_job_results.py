"""Fetching the text of a Scaleway job's latest result, inline or from its ``url``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._url import check_url
from ..errors import ResponseDecodeError
from .results import must_fetch

if TYPE_CHECKING:
    from .jobs import Jobs

__all__ = ["final_result_text"]


async def final_result_text(jobs: Jobs, job_id: str, *, max_bytes: int | None) -> str:
    """The text of the job's latest result (see :meth:`Jobs.final_result`)."""
    page = await jobs.results(job_id, order_by="created_at_desc", limit=1).first_page()
    if not page.items:
        raise ResponseDecodeError(
            f"job {job_id} has no result (is it completed?)", expected="JobResult"
        )
    result = page.items[0]
    if not must_fetch(result):
        return result.result or ""
    assert result.url is not None
    url = check_url("result url", result.url)
    return await jobs._client._request(
        "GET",
        "",
        base_url=str(url),
        authenticated=False,
        cast_to=str,
        max_bytes=max_bytes,
    )
