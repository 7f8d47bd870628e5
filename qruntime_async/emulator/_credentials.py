"""The credentials and names a client needs to talk to one emulator: :class:`Credentials`."""

from __future__ import annotations

from dataclasses import dataclass

from .config import EmulatorConfig

__all__ = ["Credentials"]


@dataclass(frozen=True, kw_only=True)
class Credentials:
    """The credentials and names a client needs to talk to one emulator (from its config)."""

    ibm_token: str
    ibm_user_id: str
    ibm_instance: str
    ibm_other_token: str | None
    ibm_other_instance: str | None
    ibm_admin_token: str | None
    ibm_admin_hub: str | None
    ibm_api_key: str | None
    ibm_service_crn: str | None
    ibm_backend: str
    scaleway_secret_key: str
    scaleway_access_key: str
    scaleway_project_id: str
    scaleway_other_secret_key: str | None
    scaleway_other_project_id: str | None
    scaleway_platform_id: str
    scaleway_photonic_platform_id: str | None

    @classmethod
    def from_config(cls, config: EmulatorConfig) -> Credentials:
        """Pick the first member user, a member of another instance, an admin, and the first two
        Scaleway projects (empty strings where the configuration has none)."""
        members = [u for u in config.ibm_users if u.instances]
        admins = [u for u in config.ibm_users if u.admin_hubs]
        main = members[0] if members else None
        other = None
        if main is not None:
            other = next((u for u in members[1:] if u.instances[0] != main.instances[0]), None)
        crn = None
        if main is not None:
            crn = next(
                (i.crn for i in config.ibm_instances if i.name == main.instances[0] and i.crn),
                None,
            )
        platforms = config.scaleway_platforms
        general = next((p for p in platforms if p.technology != "photonic"), None)
        photonic = next((p for p in platforms if p.technology == "photonic"), None)
        projects = config.scaleway_projects
        first = projects[0] if projects else None
        second = projects[1] if len(projects) > 1 else None
        return cls(
            ibm_token=main.token if main else "",
            ibm_user_id=main.user_id if main else "",
            ibm_instance=main.instances[0] if main else "",
            ibm_other_token=other.token if other else None,
            ibm_other_instance=other.instances[0] if other else None,
            ibm_admin_token=admins[0].token if admins else None,
            ibm_admin_hub=admins[0].admin_hubs[0] if admins else None,
            ibm_api_key=main.api_keys[0] if main and main.api_keys else None,
            ibm_service_crn=crn,
            ibm_backend=config.ibm_backends[0].name if config.ibm_backends else "",
            scaleway_secret_key=first.secret_key if first else "",
            scaleway_access_key=first.access_key if first else "",
            scaleway_project_id=first.project_id if first else "",
            scaleway_other_secret_key=second.secret_key if second else None,
            scaleway_other_project_id=second.project_id if second else None,
            scaleway_platform_id=general.id if general else "",
            scaleway_photonic_platform_id=photonic.id if photonic else None,
        )
