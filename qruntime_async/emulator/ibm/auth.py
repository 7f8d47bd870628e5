"""Who is calling the IBM API, and what they may see."""

from __future__ import annotations

import time
from dataclasses import dataclass

from aiohttp import web

from ..config import IbmInstance, IbmUser
from .errors import IbmErrors
from .iam import Iam


@dataclass(slots=True)
class Principal:
    """Who is calling: the user and, for IAM tokens, the single instance of the Service-CRN."""

    user: IbmUser
    scope: str | None = None

    def can_see(self, instance: str) -> bool:
        """True when the caller may see resources of ``instance``."""
        if self.scope is not None:
            return instance == self.scope
        return instance in self.user.instances or instance.split("/")[0] in self.user.admin_hubs

    def may_create_in(self, instance: str) -> bool:
        """True when the caller may create resources in ``instance``."""
        if self.scope is not None:
            return instance == self.scope
        return instance in self.user.instances


class Authenticator:
    """Checks bearer tokens: the configured users' tokens, or IAM access tokens."""

    def __init__(
        self,
        users: tuple[IbmUser, ...],
        instances: tuple[IbmInstance, ...],
        iam: Iam,
        errors: IbmErrors,
    ) -> None:
        self.users_by_token: dict[str, IbmUser] = {u.token: u for u in users}
        self.instances_by_crn: dict[str, IbmInstance] = {i.crn: i for i in instances if i.crn}
        self.iam = iam
        self.errors = errors

    def __call__(self, request: web.Request) -> Principal:
        """The caller, from ``Authorization: Bearer``; 401/403 otherwise."""
        header = request.headers.get("Authorization")
        if not header or not header.startswith("Bearer "):
            raise self.errors.unauthorized("missing bearer token")
        token = header[7:].strip()
        crn = request.headers.get("Service-CRN")
        user = self.users_by_token.get(token)
        if user is not None:
            return Principal(user, self._scope_for(user, crn)) if crn else Principal(user)
        entry = self.iam.lookup(token)
        if entry is None:
            raise self.errors.unauthorized("invalid token")
        user, expires = entry
        if time.time() >= expires:
            raise self.errors.unauthorized("the access token expired")
        if not crn:
            raise self.errors.invalid("The Service-CRN header is required with an IAM access token")
        return Principal(user, self._scope_for(user, crn))

    def instance_named(self, name: str) -> str:
        """The ``hub/group/project`` an instance is known by, given it or its CRN."""
        inst = self.instances_by_crn.get(name)
        return inst.name if inst is not None else name

    def _scope_for(self, user: IbmUser, crn: str) -> str:
        inst = self.instances_by_crn.get(crn)
        if inst is None:
            raise self.errors.forbidden("unknown service instance CRN")
        if inst.name not in user.instances and inst.hub not in user.admin_hubs:
            raise self.errors.forbidden("no access to this instance")
        return inst.name
