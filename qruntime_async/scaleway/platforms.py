"""Scaleway QaaS platforms: the (simulated) QPUs sessions run on."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import _constants as C
from .. import _validate as v
from .._paging import AsyncPager
from .._resource import APIResource
from .models import (
    ListPlatformsOrderBy,
    ListPlatformsResponse,
    Platform,
    PlatformTechnology,
    PlatformType,
)

if TYPE_CHECKING:
    from .client import ScalewayQaaSClient

__all__ = ["Platforms"]

_ORDERS = frozenset(o.value for o in ListPlatformsOrderBy)
_TYPES = frozenset(t.value for t in PlatformType)
_TECHNOLOGIES = frozenset(t.value for t in PlatformTechnology)


class Platforms(APIResource["ScalewayQaaSClient"]):
    """``client.platforms``: the platforms you can open sessions on."""

    _client: ScalewayQaaSClient

    def list(
        self,
        *,
        provider_name: str | None = None,
        backend_name: str | None = None,
        name: str | None = None,
        platform_type: str | None = None,
        platform_technology: str | None = None,
        order_by: str | None = None,
        page_size: int = C.DEFAULT_PAGE_SIZE,
        limit: int | None = None,
        page_token: str | None = None,
        read_ahead: bool = False,
    ) -> AsyncPager[Platform]:
        """``GET /platforms``, filtered, paged by page number.

        ``platform_type`` is one of :class:`PlatformType` (``simulator``, ``qpu``),
        ``platform_technology`` one of :class:`PlatformTechnology` and ``order_by`` one of
        :class:`ListPlatformsOrderBy` (server default ``name_asc``).
        """
        filters: dict[str, Any] = {
            "provider_name": v.optional_str("provider_name", provider_name),
            "backend_name": v.optional_str("backend_name", backend_name),
            "name": v.optional_str("name", name),
        }
        if platform_type is not None:
            filters["platform_type"] = v.choice("platform_type", platform_type, _TYPES)
        if platform_technology is not None:
            filters["platform_technology"] = v.choice(
                "platform_technology", platform_technology, _TECHNOLOGIES
            )
        if order_by is not None:
            filters["order_by"] = v.choice("order_by", order_by, _ORDERS)
        return self._list(
            "/platforms",
            ListPlatformsResponse,
            filters=filters,
            page_size=page_size,
            limit=limit,
            page_token=page_token,
            read_ahead=read_ahead,
        )

    async def get(self, platform_id: str) -> Platform:
        """``GET /platforms/{id}``."""
        return await self._get(
            "/platforms/{platform_id}", path_params={"platform_id": platform_id}, cast_to=Platform
        )
