"""Credentials for the IBM Quantum Runtime API.

* :class:`BearerToken`: a fixed API token sent as ``Authorization: Bearer <token>``.
* :class:`IAMAuth`: the IBM Quantum Platform flow. An IBM Cloud API key is exchanged for a short
  lived access token at the IAM endpoint; the token is renewed before it expires, one exchange at
  a time however many calls need it (concurrent callers share one exchange and its outcome), and
  a 401 answer triggers one renewal and one replay. Requests also carry ``Service-CRN`` and
  ``IBM-API-Version``.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Protocol

from .. import _constants as C
from .._codec import Model
from .._secret import Secret, check_credential
from ..errors import ResponseDecodeError

if TYPE_CHECKING:
    from .._transport import BaseClient

__all__ = ["IBMAuth", "BearerToken", "IAMAuth", "IAMToken"]

_GRANT_TYPE = "urn:ibm:params:oauth:grant-type:apikey"
_DEFAULT_LIFETIME = C.IBM_IAM_DEFAULT_TOKEN_LIFETIME


class IBMAuth(Protocol):
    """What the IBM client needs from a credential."""

    async def headers(self, client: BaseClient) -> Mapping[str, str]:
        """Headers that authenticate one request."""
        ...

    async def refresh(self, client: BaseClient, failed: Mapping[str, str]) -> bool:
        """Renew after a 401 answer to ``failed`` headers; True when a replay may succeed."""
        ...


class BearerToken:
    """A fixed IBM Quantum API token."""

    __slots__ = ("_header",)

    def __init__(self, token: str) -> None:
        value = check_credential("token", token)
        self._header = {"Authorization": f"Bearer {value}"}

    async def headers(self, client: BaseClient) -> Mapping[str, str]:
        """The ``Authorization`` header."""
        return self._header

    async def refresh(self, client: BaseClient, failed: Mapping[str, str]) -> bool:
        """A fixed token cannot be renewed: a 401 is final."""
        return False

    def __repr__(self) -> str:
        return "BearerToken(<redacted>)"

    def __reduce__(self) -> Any:
        raise TypeError("a credential cannot be pickled")


class IAMToken(Model, frozen=True):
    """The IAM endpoint's answer (only the fields the client uses)."""

    access_token: str
    expires_in: float | None = None
    expiration: float | None = None
    token_type: str | None = None


class _Flight:
    """One exchange in progress and how many callers wait for it."""

    __slots__ = ("task", "waiters")

    def __init__(self, task: asyncio.Task[str]) -> None:
        self.task = task
        self.waiters = 0


def _retrieve(task: asyncio.Task[str]) -> None:
    # Reading the outcome keeps asyncio from logging a failure every waiter has already seen.
    if not task.cancelled():
        task.exception()


class IAMAuth:
    """Exchange an IBM Cloud API key for access tokens, renewing them before they expire.

    ``refresh_margin`` is how many seconds before its expiry a token is replaced (at most half
    its lifetime). ``clock`` is a monotonic clock in seconds, injectable for tests.
    """

    def __init__(
        self,
        api_key: str,
        service_crn: str,
        *,
        iam_url: str = C.IBM_DEFAULT_IAM_URL,
        api_version: str = C.IBM_DEFAULT_API_VERSION,
        refresh_margin: float = C.IBM_IAM_REFRESH_MARGIN,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        key = check_credential("api_key", api_key)
        crn = check_credential("service_crn", service_crn, hint=" (the instance CRN)")
        if not isinstance(iam_url, str) or not iam_url.strip():
            raise ValueError("iam_url must be a non-empty string")
        if not isinstance(api_version, str) or not api_version.strip():
            raise ValueError("api_version must be a non-empty string, e.g. '2025-05-01'")
        if (
            isinstance(refresh_margin, bool)
            or not isinstance(refresh_margin, (int, float))
            or not math.isfinite(refresh_margin)
            or refresh_margin < 0
        ):
            raise ValueError(f"refresh_margin must be a number of seconds >= 0: {refresh_margin!r}")
        self._api_key = Secret(key)
        self.service_crn = crn
        self.iam_url = iam_url.strip().rstrip("/")
        self.api_version = api_version.strip()
        self._margin = float(refresh_margin)
        self._clock = clock
        self._token: Secret | None = None
        self._renew_at = -math.inf
        self._flight: _Flight | None = None
        #: How many times a token was obtained from the IAM endpoint.
        self.exchanges = 0

    def __repr__(self) -> str:
        return f"IAMAuth(service_crn={self.service_crn!r}, iam_url={self.iam_url!r})"

    def _current(self) -> str | None:
        if self._token is not None and self._clock() < self._renew_at:
            return self._token.reveal()
        return None

    async def _exchange(self, client: BaseClient) -> str:
        answer = await client._request(
            "POST",
            "/identity/token",
            base_url=self.iam_url,
            form={"grant_type": _GRANT_TYPE, "apikey": self._api_key.reveal()},
            authenticated=False,
            # A second exchange is harmless: it only mints another token.
            idempotent=True,
            cast_to=IAMToken,
        )
        if not answer.access_token:
            raise ResponseDecodeError(
                "the IAM endpoint answered without an access token", expected="IAMToken"
            )
        lifetime = answer.expires_in
        if lifetime is None and answer.expiration is not None:
            lifetime = answer.expiration - time.time()
        if lifetime is None or not math.isfinite(lifetime):
            lifetime = _DEFAULT_LIFETIME
        lifetime = max(lifetime, 0.0)
        self.exchanges += 1
        self._token = Secret(answer.access_token)
        self._renew_at = self._clock() + lifetime - min(self._margin, lifetime / 2)
        return answer.access_token

    async def _token_for(self, client: BaseClient, *, stale: str | None = None) -> str:
        flight = self._flight
        if flight is None:
            current = self._current()
            if current is not None and current != stale:
                return current
            task = asyncio.ensure_future(self._exchange(client))
            flight = _Flight(task)
            self._flight = flight
            task.add_done_callback(_retrieve)
            task.add_done_callback(lambda _: self._land(flight))
        flight.waiters += 1
        try:
            # Shielded: one caller giving up must not fail the exchange the others wait for.
            return await asyncio.shield(flight.task)
        finally:
            flight.waiters -= 1
            if flight.waiters == 0 and not flight.task.done():
                # Nobody wants this token any more; a later caller starts afresh.
                flight.task.cancel()
                self._land(flight)

    def _land(self, flight: _Flight) -> None:
        if self._flight is flight:
            self._flight = None

    async def headers(self, client: BaseClient) -> Mapping[str, str]:
        """``Authorization`` with a valid access token, ``Service-CRN`` and ``IBM-API-Version``."""
        token = self._current()
        if token is None:
            token = await self._token_for(client)
        return {
            "Authorization": f"Bearer {token}",
            "Service-CRN": self.service_crn,
            "IBM-API-Version": self.api_version,
        }

    async def refresh(self, client: BaseClient, failed: Mapping[str, str]) -> bool:
        """Obtain a new token unless another call already replaced the one that failed."""
        sent = failed.get("Authorization", "")
        stale = sent.removeprefix("Bearer ") if sent.startswith("Bearer ") else None
        await self._token_for(client, stale=stale)
        return True
