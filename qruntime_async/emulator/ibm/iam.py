"""IBM Cloud IAM: ``POST /identity/token`` exchanges an API key for a bearer token."""

from __future__ import annotations

import base64
import json
import secrets
import time
from typing import Any

from aiohttp import web

from .._context import Context
from .._util import ApiError, json_response
from ..config import IbmUser

GRANT_TYPE = "urn:ibm:params:oauth:grant-type:apikey"


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def access_token(user: IbmUser, issued: int, expires: int) -> str:
    """A JWT-shaped access token as IBM Cloud IAM issues them (clients read ``exp``/``iat``
    from its payload without checking the signature, which here is random bytes)."""
    header = {"kid": "emulator-1", "alg": "RS256"}
    payload = {
        "iam_id": f"IBMid-{user.user_id}",
        "id": f"IBMid-{user.user_id}",
        "realmid": "IBMid",
        "jti": secrets.token_hex(16),
        "identifier": user.user_id,
        "sub": user.user_id,
        "sub_type": "Profile",
        "account": {"valid": True, "bss": "emulator"},
        "iat": issued,
        "exp": expires,
        "iss": "https://iam.cloud.ibm.com/identity",
        "grant_type": GRANT_TYPE,
        "scope": "ibm openid",
        "client_id": "default",
        "acr": 1,
        "amr": ["pwd"],
    }
    parts = (json.dumps(header).encode(), json.dumps(payload).encode(), secrets.token_bytes(64))
    return ".".join(_b64url(p) for p in parts)


class Iam:
    """Issues access tokens (expiring in real time) and tells whose a token is."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.users_by_apikey: dict[str, IbmUser] = {
            key: u for u in ctx.config.ibm_users for key in u.api_keys
        }
        #: token -> (user, real expiry time)
        self.tokens: dict[str, tuple[IbmUser, float]] = {}

    def reset(self) -> None:
        """Forget every issued token."""
        self.tokens.clear()

    def lookup(self, token: str) -> tuple[IbmUser, float] | None:
        """The user of an issued token and when it expires."""
        return self.tokens.get(token)

    def _error(self, code: str, message: str) -> ApiError:
        return ApiError(
            400,
            {
                "errorCode": code,
                "errorMessage": message,
                "context": {"requestId": self.ctx.trace_id()},
            },
        )

    def issue(self, grant: object, apikey: object) -> dict[str, Any]:
        """The token answer for a grant type and an API key; ApiError if refused."""
        if grant != GRANT_TYPE:
            raise self._error("BXNIM0109E", "Property missing or empty: grant_type")
        user = self.users_by_apikey.get(apikey) if isinstance(apikey, str) else None
        if user is None:
            raise self._error("BXNIM0415E", "Provided API key could not be found.")
        lifetime = self.ctx.config.iam_token_lifetime
        now = time.time()
        token = access_token(user, int(now), int(now + lifetime))
        self.tokens[token] = (user, now + lifetime)
        return {
            "access_token": token,
            "refresh_token": "not_supported",
            "token_type": "Bearer",
            "expires_in": int(lifetime),
            "expiration": int(now + lifetime),
            "scope": "ibm openid",
        }

    async def token(self, request: web.Request) -> web.Response:
        """``POST /identity/token``."""
        form = await request.post()
        return json_response(self.issue(form.get("grant_type"), form.get("apikey")))
