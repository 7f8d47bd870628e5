"""The Scaleway catalogue routes: ``/platforms``, ``/models`` and ``/applications``."""

from __future__ import annotations

from aiohttp import web

from .._store import seq_of
from .._util import json_response
from . import parse, views
from .errors import denied, invalid, not_found
from .parse import CREATED_ORDER, PLATFORM_ORDER, uuid
from .route_base import RouteBase


class CatalogRoutes(RouteBase):
    """``GET /platforms``, ``GET /platforms/{platform_id}``, models and applications."""

    async def list_platforms(self, request: web.Request) -> web.Response:
        """``GET /platforms`` with every documented filter."""
        self.authenticate(request)
        q = request.query
        paging = self._paging(q, PLATFORM_ORDER, "name_asc")
        ptype, tech = parse.platform_filters(q)
        provider = q.get("provider_name")
        backend = q.get("backend_name")
        name = q.get("name")
        selected = [
            p
            for p in self.store.platforms.values()
            if (not provider or p.provider_name == provider)
            and (not backend or p.backend_name == backend)
            and (not name or p.name == name)
            and (not ptype or ptype == "unknown_type" or p.type == ptype)
            and (not tech or tech == "unknown_technology" or p.technology == tech)
        ]
        field = paging.field
        selected.sort(key=lambda p: (getattr(p, field), p.name), reverse=paging.descending)
        shown = [self.store.platform_json[p.id] for p in paging.cut(selected)]
        return json_response(
            {"total_count": self._count(len(selected), in_session=False), "platforms": shown}
        )

    async def get_platform(self, request: web.Request) -> web.Response:
        """``GET /platforms/{platform_id}``."""
        self.authenticate(request)
        raw = request.match_info["platform_id"]
        rendering = self.store.platform_json.get(uuid(raw, "platform_id"))
        if rendering is None:
            raise not_found("platform", raw)
        return json_response(rendering)

    async def create_model(self, request: web.Request) -> web.Response:
        """``POST /models``."""
        project = self.authenticate(request)
        body = await self._body(request)
        errors: dict[str, str] = {}
        project_id = parse.project_id_field(body, errors)
        payload = body.get("payload")
        if payload is not None and not isinstance(payload, str):
            errors["payload"] = "must be a string"
        if errors:
            raise invalid(errors)
        if project_id.lower() != project.project_id:
            raise denied("project")
        m = self.store.add_model(project.project_id, payload)
        return json_response(views.model_json(m))

    async def list_models(self, request: web.Request) -> web.Response:
        """``GET /models`` (``project_id`` required)."""
        project = self.authenticate(request)
        q = request.query
        paging = self._paging(q, CREATED_ORDER, "created_at_desc")
        self._required_project_param(project, q)
        selected = sorted(
            (m for m in self.store.models.values() if m.project_id == project.project_id),
            key=seq_of,
            reverse=paging.order == "created_at_desc",
        )
        return json_response(
            {
                "total_count": self._count(len(selected), in_session=False),
                "models": [views.model_json(m) for m in paging.cut(selected)],
            }
        )

    async def get_model(self, request: web.Request) -> web.Response:
        """``GET /models/{model_id}``."""
        project = self.authenticate(request)
        raw = request.match_info["model_id"]
        m = self.store.models.get(uuid(raw, "model_id"))
        if m is None or m.project_id != project.project_id:
            raise not_found("model", raw)
        return json_response(views.model_json(m))

    async def list_applications(self, request: web.Request) -> web.Response:
        """``GET /applications``: none are offered by the emulator."""
        self.authenticate(request)
        return json_response({"total_count": self._count(0, in_session=False), "applications": []})
