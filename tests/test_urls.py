"""Request URLs built from templates and arguments, including the ones reused between calls."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from qruntime_async._url import request_url

ROOT = "https://example.test/api"


def test_a_url_is_the_template_with_quoted_ids_and_the_query() -> None:
    url, full, yurl = request_url(ROOT, "/jobs/{job_id}", {"job_id": "a b"}, {"x": "1/2"})
    assert url == f"{ROOT}/jobs/a%20b"
    assert full == f"{url}?x=1%2F2"
    assert str(yurl) == full


@pytest.mark.parametrize(
    ("value", "text"),
    [(True, "true"), (False, "false"), ("true", "true"), (1, "1"), ("1", "1"), (None, None)],
)
def test_values_that_are_equal_as_keys_still_encode_as_themselves(
    value: object, text: str | None
) -> None:
    # True == 1 as dict keys: asked one after the other, each must keep its own spelling.
    for first in (True, 1, "1", "true", None, False):
        request_url(ROOT, "/jobs", None, {"flag": first})
    _, full, _ = request_url(ROOT, "/jobs", None, {"flag": value})
    assert full == (f"{ROOT}/jobs" if text is None else f"{ROOT}/jobs?flag={text}")


def test_each_id_and_root_gets_its_own_url() -> None:
    first = request_url(ROOT, "/jobs/{job_id}", {"job_id": "one"}, None)
    second = request_url(ROOT, "/jobs/{job_id}", {"job_id": "two"}, None)
    other_root = request_url("https://other.test", "/jobs/{job_id}", {"job_id": "one"}, None)
    assert first[0].endswith("/jobs/one")
    assert second[0].endswith("/jobs/two")
    assert other_root[0] == "https://other.test/jobs/one"


def test_lists_and_datetimes_are_encoded_every_time() -> None:
    when = datetime(2024, 1, 1, tzinfo=timezone.utc)
    _, full, _ = request_url(ROOT, "/jobs", None, {"tags": ["a", "b"], "after": when})
    assert full == f"{ROOT}/jobs?tags=a&tags=b&after=2024-01-01T00%3A00%3A00.000Z"


def test_a_bad_id_is_refused_every_time() -> None:
    for _ in range(2):
        with pytest.raises(ValueError, match="job_id"):
            request_url(ROOT, "/jobs/{job_id}", {"job_id": "../x"}, None)
