"""IBM Cloud services the official client calls before the runtime API.

``POST /global-search/v3/resources/search`` (IBM Cloud Global Search: the quantum-computing
instances the caller can use, by CRN) and ``GET /global-catalog/{plan_id}`` (IBM Cloud Global
Catalog: a plan's display name and pricing type). Point the IBM Cloud SDK at them with the
``GLOBAL_SEARCH_URL`` and ``GLOBAL_CATALOG_URL`` environment variables.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from .._context import Context
from .._util import ApiError, json_response, read_json_object
from ..config import IbmInstance, IbmUser
from .iam import Iam

SEARCH_PREFIX = "/global-search"
CATALOG_PREFIX = "/global-catalog"

#: Global Catalog ids of the plans an instance can have.
PLAN_IDS = {
    "open": "quantum-computing-open-plan-0b6c2c0e-emulated",
    "premium": "quantum-computing-premium-plan-6f2d1a9e-emulated",
}
#: What the catalog says of each plan: display name and pricing type.
PLANS = {
    "open": ("Open", "free"),
    "premium": ("Premium", "subscription"),
}
SEARCH_DEFAULT_LIMIT = 10
SEARCH_MAX_LIMIT = 1000


def _region(crn: str) -> str:
    parts = crn.split(":")
    return parts[5] if len(parts) > 5 else ""


class CloudRoutes:
    """Global Search and Global Catalog, enough for the official client's instance lookup."""

    def __init__(self, ctx: Context, iam: Iam, users: tuple[IbmUser, ...]) -> None:
        self.ctx = ctx
        self.iam = iam
        self.users_by_token = {u.token: u for u in users}
        self.instances: tuple[IbmInstance, ...] = ctx.config.ibm_instances
        self.backends = [b.name for b in ctx.config.ibm_backends]

    def add_routes(self, app: web.Application) -> None:
        """Register the search and catalog routes."""
        app.router.add_post(SEARCH_PREFIX + "/v3/resources/search", self.search)
        app.router.add_get(CATALOG_PREFIX + "/{entry_id}", self.catalog_entry)

    def _error(self, status: int, code: str, message: str) -> ApiError:
        return ApiError(
            status,
            {
                "errors": [{"code": code, "message": message}],
                "trace": self.ctx.trace_id(),
                "status_code": status,
            },
        )

    def _caller(self, request: web.Request) -> IbmUser:
        header = request.headers.get("Authorization", "")
        token = header[7:].strip() if header.startswith("Bearer ") else ""
        user = self.users_by_token.get(token)
        if user is not None:
            return user
        entry = self.iam.lookup(token) if token else None
        if entry is None:
            raise self._error(401, "not_authorized", "The IAM access token is missing or invalid")
        return entry[0]

    def instance_doc(self, inst: IbmInstance) -> dict[str, Any]:
        """One Global Search item: an instance of the quantum-computing service."""
        crn = inst.crn or ""
        return {
            "crn": crn,
            "name": inst.name,
            "service_plan_unique_id": PLAN_IDS[inst.plan],
            "tags": [],
            "type": "resource-instance",
            "region": _region(crn),
            "doc": {
                "name": inst.name,
                "service_name": "quantum-computing",
                "region_id": _region(crn),
                "resource_plan_id": PLAN_IDS[inst.plan],
                "extensions": {"quantum_computing": {"backends": list(self.backends)}},
            },
        }

    def _visible(self, user: IbmUser) -> list[IbmInstance]:
        return [
            i
            for i in self.instances
            if i.crn and (i.name in user.instances or i.hub in user.admin_hubs)
        ]

    async def search(self, request: web.Request) -> web.Response:
        """``POST /v3/resources/search``: the caller's quantum-computing instances."""
        user = self._caller(request)
        body, problem = await read_json_object(request)
        if body is None:
            raise self._error(400, "bad_request", problem or "invalid body")
        limit = self._limit(request.query.get("limit"))
        offset = self._offset(body.get("search_cursor"))
        query = body.get("query")
        items = self._visible(user)
        if isinstance(query, str) and "service_name:" in query and "quantum-computing" not in query:
            items = []
        page = items[offset : offset + limit]
        fields = body.get("fields")
        docs = [self._select(self.instance_doc(i), fields) for i in page]
        out: dict[str, Any] = {"items": docs, "limit": limit}
        if offset + limit < len(items):
            out["search_cursor"] = self.ctx.cursors.encode({"search": offset + limit})
        return json_response(out)

    def _limit(self, raw: str | None) -> int:
        if raw is None or raw == "":
            return SEARCH_DEFAULT_LIMIT
        try:
            value = int(raw)
        except ValueError:
            raise self._error(400, "bad_request", "limit must be an integer") from None
        if not 1 <= value <= SEARCH_MAX_LIMIT:
            raise self._error(400, "bad_request", f"limit must be 1 to {SEARCH_MAX_LIMIT}")
        return value

    def _offset(self, cursor: Any) -> int:
        if cursor is None:
            return 0
        try:
            data = self.ctx.cursors.decode(str(cursor))
        except ValueError:
            raise self._error(400, "bad_request", "search_cursor is not valid") from None
        offset = data.get("search")
        if not isinstance(offset, int) or offset < 0:
            raise self._error(400, "bad_request", "search_cursor is not valid")
        return offset

    @staticmethod
    def _select(doc: dict[str, Any], fields: Any) -> dict[str, Any]:
        if not isinstance(fields, list) or not fields or "*" in fields:
            return doc
        return {k: v for k, v in doc.items() if k in fields or k == "crn"}

    async def catalog_entry(self, request: web.Request) -> web.Response:
        """``GET /{id}`` of the Global Catalog: a plan of the quantum-computing service."""
        entry_id = request.match_info["entry_id"]
        plan = next((p for p, pid in PLAN_IDS.items() if pid == entry_id), None)
        if plan is None:
            raise ApiError(404, {"message": f"Entry {entry_id} not found", "status_code": 404})
        display, pricing = PLANS[plan]
        return json_response(
            {
                "id": entry_id,
                "name": plan,
                "kind": "plan",
                "active": True,
                "overview_ui": {"en": {"display_name": display, "description": display}},
                "metadata": {"pricing": {"type": pricing.capitalize(), "origin": "global_catalog"}},
            }
        )
