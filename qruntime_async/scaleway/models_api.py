"""Scaleway QaaS computation models: serialised models that jobs and sessions can run."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import _constants as C
from .. import _validate as v
from .._paging import AsyncPager
from .._resource import APIResource
from .models import CreateModelRequest, ListModelsOrderBy, ListModelsResponse, QuantumModel

if TYPE_CHECKING:
    from .client import ScalewayQaaSClient

__all__ = ["Models"]

_ORDERS = frozenset(o.value for o in ListModelsOrderBy)


class Models(APIResource["ScalewayQaaSClient"]):
    """``client.models``: computation models registered in a project.

    A model's id can be given as ``model_id`` when creating a job or a session.
    """

    _client: ScalewayQaaSClient

    async def create(self, payload: str, *, project_id: str | None = None) -> QuantumModel:
        """``POST /models``: register ``payload`` (the serialised model) in a project.

        The project defaults to the client's.
        """
        if not isinstance(payload, str):
            raise TypeError(f"payload must be a string, got {type(payload).__name__}")
        if not payload:
            raise ValueError("payload must not be empty")
        body = CreateModelRequest(
            project_id=self._client._project(project_id, what="creating a model"),
            payload=payload,
        )
        return await self._post("/models", json=body, cast_to=QuantumModel)

    def list(
        self,
        *,
        project_id: str | None = None,
        order_by: str | None = None,
        page_size: int = C.DEFAULT_PAGE_SIZE,
        limit: int | None = None,
        page_token: str | None = None,
        read_ahead: bool = False,
    ) -> AsyncPager[QuantumModel]:
        """``GET /models``: the models of a project (default: the client's), paged.

        ``order_by`` is ``created_at_desc`` (the server's default) or ``created_at_asc``.
        """
        filters: dict[str, Any] = {
            "project_id": self._client._project(project_id, what="listing models")
        }
        if order_by is not None:
            filters["order_by"] = v.choice("order_by", order_by, _ORDERS)
        return self._list(
            "/models",
            ListModelsResponse,
            filters=filters,
            page_size=page_size,
            limit=limit,
            page_token=page_token,
            read_ahead=read_ahead,
        )

    async def get(self, model_id: str) -> QuantumModel:
        """``GET /models/{id}``."""
        return await self._get(
            "/models/{model_id}", path_params={"model_id": model_id}, cast_to=QuantumModel
        )
