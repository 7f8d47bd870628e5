"""Configuration of the local emulator: users, instances, projects, devices, timing and faults.

Every default credential and resource name is a module constant, so tests and demos can refer to
them by name (``IBM_TOKEN``, ``SCALEWAY_SECRET_KEY``, ``SCALEWAY_AER_PLATFORM_ID`` ...).
Durations are in virtual seconds unless a name says otherwise; ``EmulatorConfig.speed`` maps
real time to virtual time.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Literal

from ._fault_config import FaultConfig

__all__ = [
    "DEFAULT_CONFIG",
    "EmulatorConfig",
    "FaultConfig",
    "IBM_ADMIN_TOKEN",
    "IBM_ADMIN_USER_ID",
    "IBM_API_KEY",
    "IBM_BACKEND",
    "IBM_BACKENDS",
    "IBM_BUSY_BACKEND",
    "IBM_HUB",
    "IBM_INSTANCE",
    "IBM_OTHER_API_KEY",
    "IBM_OTHER_INSTANCE",
    "IBM_OTHER_SERVICE_CRN",
    "IBM_OTHER_TOKEN",
    "IBM_OTHER_USER_ID",
    "IBM_SERVICE_CRN",
    "IBM_TOKEN",
    "IBM_USER_ID",
    "IbmBackend",
    "IbmInstance",
    "IbmUser",
    "SCALEWAY_ACCESS_KEY",
    "SCALEWAY_AER_PLATFORM",
    "SCALEWAY_AER_PLATFORM_ID",
    "SCALEWAY_GPU_PLATFORM_ID",
    "SCALEWAY_OTHER_ACCESS_KEY",
    "SCALEWAY_OTHER_PROJECT_ID",
    "SCALEWAY_OTHER_SECRET_KEY",
    "SCALEWAY_PHOTONIC_PLATFORM",
    "SCALEWAY_PHOTONIC_PLATFORM_ID",
    "SCALEWAY_PLATFORMS",
    "SCALEWAY_PROJECT_ID",
    "SCALEWAY_QPU_PLATFORM_ID",
    "SCALEWAY_SECRET_KEY",
    "ScalewayPlatform",
    "ScalewayProject",
]

# --- IBM Quantum Runtime ---------------------------------------------------------------------

IBM_HUB = "ibm-q"
#: The instance of the default user (an "open" plan instance).
IBM_INSTANCE = "ibm-q/open/main"
#: A second instance of the same hub, whose only member is the other user (a "premium" plan).
IBM_OTHER_INSTANCE = "ibm-q/team-b/project-b"

IBM_TOKEN = "emu-ibm-token-alice"
IBM_USER_ID = "65f0478ed32a1891af0a0a11"
IBM_OTHER_TOKEN = "emu-ibm-token-bob"
IBM_OTHER_USER_ID = "65f0478ed32a1891af0a0b0b"
#: A hub administrator of ``IBM_HUB`` (member of no instance).
IBM_ADMIN_TOKEN = "emu-ibm-token-admin"
IBM_ADMIN_USER_ID = "65f0478ed32a1891af0aad01"

#: IBM Cloud API keys, exchanged at ``POST /identity/token`` for access tokens.
IBM_API_KEY = "emu-ibm-cloud-apikey-alice"
IBM_OTHER_API_KEY = "emu-ibm-cloud-apikey-bob"
#: Service CRNs naming the two instances for the IAM flow (``Service-CRN`` header).
IBM_SERVICE_CRN = (
    "crn:v1:bluemix:public:quantum-computing:us-east:a/0e1d5ad2c0f04c8e9a5b6c7d8e9f0a1b:"
    "5f1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f::"
)
IBM_OTHER_SERVICE_CRN = (
    "crn:v1:bluemix:public:quantum-computing:us-east:a/0e1d5ad2c0f04c8e9a5b6c7d8e9f0a1b:"
    "7a2b3c4d-5e6f-4a1b-9c2d-3e4f5a6b7c8d::"
)

#: The default backend and one with a long queue.
IBM_BACKEND = "ibm_brisbane"
IBM_BUSY_BACKEND = "ibm_torino"

# --- Scaleway QaaS -----------------------------------------------------------------------------

SCALEWAY_SECRET_KEY = "5ca1e0a1-5ec4-4e7a-9b1c-0000000a11ce"
SCALEWAY_ACCESS_KEY = "SCWEMU0000000000A11C"
SCALEWAY_PROJECT_ID = "6513270e-269e-4d37-b2a7-4de452e6b438"
SCALEWAY_OTHER_SECRET_KEY = "5ca1e0a1-5ec4-4e7a-9b1c-000000000b0b"
SCALEWAY_OTHER_ACCESS_KEY = "SCWEMU0000000000B0B0"
SCALEWAY_OTHER_PROJECT_ID = "d23f0824-128b-4f33-8c5c-7fd0a6a3a450"

SCALEWAY_AER_PLATFORM = "aer_simulation_pop_c16m128"
SCALEWAY_AER_PLATFORM_ID = "9531985d-5d9d-49f8-9818-e811892f902b"
SCALEWAY_GPU_PLATFORM_ID = "36f675cc-81e7-4ef5-a8e2-5d940ed90475"
SCALEWAY_PHOTONIC_PLATFORM = "sim:sampling:p100"
SCALEWAY_PHOTONIC_PLATFORM_ID = "6b0d549b-6f03-475a-9600-a35a099950d8"
SCALEWAY_QPU_PLATFORM_ID = "8d116ece-1738-47d9-bd9c-172411e20b8f"


@dataclass(frozen=True, kw_only=True)
class IbmInstance:
    """An IBM instance ``hub/group/project`` with its plan and (optional) IBM Cloud CRN."""

    name: str
    plan: Literal["open", "premium"] = "premium"
    crn: str | None = None

    @property
    def hub(self) -> str:
        """The hub part of the instance name."""
        return self.name.split("/")[0]


@dataclass(frozen=True, kw_only=True)
class IbmUser:
    """An IBM user: the bearer token, the instances it is a member of, the hubs it administers."""

    user_id: str
    token: str
    instances: tuple[str, ...] = ()
    admin_hubs: tuple[str, ...] = ()
    api_keys: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class IbmBackend:
    """A device of the IBM emulator and its timing model (virtual seconds)."""

    name: str
    num_qubits: int = 127
    processor_type: str = "Eagle r3"
    status: Literal["online", "paused", "offline"] = "online"
    simulator: bool = False
    #: Mean time a job waits in the queue (each job draws between half and one and a half of it).
    queue_seconds: float = 3.0
    setup_seconds: float = 2.0
    seconds_per_shot: float = 0.0005
    max_shots: int = 100_000
    max_experiments: int = 300
    clops: int = 5000
    #: The instruction set (ISA) circuits must use; Eagle devices use ``ecr``, Heron ``cz``.
    basis_gates: tuple[str, ...] = ("ecr", "id", "rz", "sx", "x")


@dataclass(frozen=True, kw_only=True)
class ScalewayProject:
    """A Scaleway project reachable with one secret key."""

    project_id: str
    secret_key: str
    access_key: str
    organization_id: str = "0e1d5ad2-c0f0-4c8e-9a5b-6c7d8e9f0a1b"


@dataclass(frozen=True, kw_only=True)
class ScalewayPlatform:
    """A Scaleway QaaS platform (every field of the Platform schema) and its timing model."""

    id: str
    name: str
    provider_name: str
    backend_name: str
    type: Literal["simulator", "qpu"] = "simulator"
    technology: Literal[
        "photonic", "general_purpose", "trapped_ion", "superconducting", "neutral_atom"
    ] = "general_purpose"
    version: str = "1.0.0"
    max_qubit_count: int = 32
    max_shot_count: int = 1_000_000
    max_circuit_count: int = 1000
    availability: Literal["available", "shortage", "scarce", "maintenance"] = "available"
    metadata: str = "{}"
    price_per_hour_nanos: int = 0
    price_per_hour_units: int = 0
    price_per_shot_nanos: int = 0
    price_per_circuit_nanos: int = 0
    hardware_name: str = "Emulated host"
    vcpus: int = 16
    gpus: int = 0
    gpus_network: str = ""
    ram: int = 128 * 1024**3
    vram: int = 0
    description: str = ""
    documentation_url: str = ""
    is_bookable: bool = False
    #: Virtual seconds between the session's creation and its "running" state.
    startup_seconds: float = 5.0
    setup_seconds: float = 1.0
    seconds_per_shot: float = 0.0002


IBM_BACKENDS: tuple[IbmBackend, ...] = (
    IbmBackend(name=IBM_BACKEND, num_qubits=127, processor_type="Eagle r3"),
    IbmBackend(name="ibm_kyiv", num_qubits=127, processor_type="Eagle r3", queue_seconds=6.0),
    IbmBackend(
        name=IBM_BUSY_BACKEND,
        num_qubits=133,
        processor_type="Heron r1",
        queue_seconds=120.0,
        seconds_per_shot=0.0002,
        clops=210_000,
        basis_gates=("cz", "id", "rz", "sx", "x"),
    ),
    IbmBackend(
        name="ibm_sherbrooke",
        num_qubits=127,
        processor_type="Eagle r3",
        status="paused",
        queue_seconds=600.0,
    ),
)

SCALEWAY_PLATFORMS: tuple[ScalewayPlatform, ...] = (
    ScalewayPlatform(
        id=SCALEWAY_AER_PLATFORM_ID,
        name=SCALEWAY_AER_PLATFORM,
        provider_name="aer",
        backend_name="aer",
        type="simulator",
        technology="general_purpose",
        version="0.15.1",
        max_qubit_count=32,
        metadata='{"simulator": "aer", "methods": ["automatic", "statevector"]}',
        price_per_hour_units=2,
        price_per_hour_nanos=400_000_000,
        hardware_name="AMD EPYC 7543 (16 vCPU)",
        vcpus=16,
        ram=128 * 1024**3,
        description="Qiskit Aer simulation on 16 vCPUs and 128 GiB of RAM",
        documentation_url="https://www.scaleway.com/en/docs/quantum-computing/",
    ),
    ScalewayPlatform(
        id=SCALEWAY_GPU_PLATFORM_ID,
        name="aer_simulation_h100",
        provider_name="aer",
        backend_name="aer",
        type="simulator",
        technology="general_purpose",
        version="0.15.1",
        max_qubit_count=36,
        metadata='{"simulator": "aer", "device": "GPU"}',
        price_per_hour_units=3,
        price_per_hour_nanos=500_000_000,
        hardware_name="NVIDIA H100 PCIe",
        vcpus=24,
        gpus=1,
        gpus_network="PCIe",
        ram=240 * 1024**3,
        vram=80 * 1024**3,
        description="Qiskit Aer GPU simulation on one H100",
        documentation_url="https://www.scaleway.com/en/docs/quantum-computing/",
        startup_seconds=20.0,
        seconds_per_shot=0.00005,
    ),
    ScalewayPlatform(
        id=SCALEWAY_PHOTONIC_PLATFORM_ID,
        name=SCALEWAY_PHOTONIC_PLATFORM,
        provider_name="quandela",
        backend_name="sim:sampling",
        type="simulator",
        technology="photonic",
        version="0.13.0",
        max_qubit_count=20,
        metadata=(
            '{"constraints": {"max_photon_count": 20, "min_photon_count": 2}, '
            '"pcvl_version": "0.13.0", "documentation": "", '
            '"available_commands": ["samples", "probs"]}'
        ),
        price_per_hour_units=1,
        hardware_name="NVIDIA P100",
        vcpus=8,
        gpus=1,
        gpus_network="PCIe",
        ram=64 * 1024**3,
        vram=16 * 1024**3,
        description="Perceval photonic sampling simulator",
        documentation_url="https://perceval.quandela.net/docs/",
    ),
    ScalewayPlatform(
        id=SCALEWAY_QPU_PLATFORM_ID,
        name="qpu-belenos-12pq",
        provider_name="quandela",
        backend_name="belenos",
        type="qpu",
        technology="photonic",
        version="1.0.0",
        max_qubit_count=12,
        max_shot_count=10_000_000,
        max_circuit_count=1,
        availability="shortage",
        metadata='{"constraints": {"max_photon_count": 6, "min_photon_count": 1}}',
        price_per_shot_nanos=100_000,
        hardware_name="Quandela Belenos",
        vcpus=0,
        ram=0,
        description="Photonic QPU with 12 physical qubits",
        documentation_url="https://perceval.quandela.net/docs/",
        is_bookable=True,
        startup_seconds=30.0,
        seconds_per_shot=0.001,
    ),
)


def _default_ibm_instances() -> tuple[IbmInstance, ...]:
    return (
        IbmInstance(name=IBM_INSTANCE, plan="open", crn=IBM_SERVICE_CRN),
        IbmInstance(name=IBM_OTHER_INSTANCE, plan="premium", crn=IBM_OTHER_SERVICE_CRN),
    )


def _default_ibm_users() -> tuple[IbmUser, ...]:
    return (
        IbmUser(
            user_id=IBM_USER_ID,
            token=IBM_TOKEN,
            instances=(IBM_INSTANCE,),
            api_keys=(IBM_API_KEY,),
        ),
        IbmUser(
            user_id=IBM_OTHER_USER_ID,
            token=IBM_OTHER_TOKEN,
            instances=(IBM_OTHER_INSTANCE,),
            api_keys=(IBM_OTHER_API_KEY,),
        ),
        IbmUser(user_id=IBM_ADMIN_USER_ID, token=IBM_ADMIN_TOKEN, admin_hubs=(IBM_HUB,)),
    )


def _default_scaleway_projects() -> tuple[ScalewayProject, ...]:
    return (
        ScalewayProject(
            project_id=SCALEWAY_PROJECT_ID,
            secret_key=SCALEWAY_SECRET_KEY,
            access_key=SCALEWAY_ACCESS_KEY,
        ),
        ScalewayProject(
            project_id=SCALEWAY_OTHER_PROJECT_ID,
            secret_key=SCALEWAY_OTHER_SECRET_KEY,
            access_key=SCALEWAY_OTHER_ACCESS_KEY,
        ),
    )


@dataclass(frozen=True, kw_only=True)
class EmulatorConfig:
    """Everything the emulator needs; the defaults give a ready-to-use pair of services.

    ``speed`` is the virtual-time factor: 60 means one real second is one virtual minute; 0
    freezes virtual time (move it with ``Emulator.advance``). ``start_time`` pins the virtual
    clock's starting point (POSIX seconds) for reproducible timestamps.
    """

    host: str = "127.0.0.1"
    port: int = 0
    speed: float = 1.0
    seed: int = 0
    start_time: float | None = None

    ibm_instances: tuple[IbmInstance, ...] = field(default_factory=_default_ibm_instances)
    ibm_users: tuple[IbmUser, ...] = field(default_factory=_default_ibm_users)
    ibm_backends: tuple[IbmBackend, ...] = IBM_BACKENDS
    #: ``"errors"``: ``{"errors": [{"code", "message", "more_info"}], "trace"}``;
    #: ``"legacy"``: ``{"error": {"code", "message"}}``.
    ibm_error_style: Literal["errors", "legacy"] = "errors"
    ibm_workloads_default_limit: int = 10
    ibm_workloads_max_limit: int = 100
    ibm_jobs_default_limit: int = 10
    ibm_jobs_max_limit: int = 200
    ibm_session_interactive_ttl: float = 60.0
    ibm_session_default_max_ttl: float = 28800.0
    ibm_session_max_ttl_limit: float = 28800.0
    ibm_default_max_execution_time: float = 10800.0
    #: Job creations a user may make per real minute (``None``: unlimited); over it: 429.
    ibm_job_rate_limit: int | None = None
    #: Lifetime of IAM access tokens in real seconds.
    iam_token_lifetime: float = 3600.0
    #: Refuse (400) circuits using gates outside the backend's ``basis_gates``, as the real
    #: service does; off by default so quick demos can send ``h``/``cx`` circuits.
    ibm_strict_isa: bool = False

    scaleway_projects: tuple[ScalewayProject, ...] = field(
        default_factory=_default_scaleway_projects
    )
    scaleway_platforms: tuple[ScalewayPlatform, ...] = SCALEWAY_PLATFORMS
    scaleway_default_page_size: int = 20
    scaleway_max_page_size: int = 100
    #: Which uint64 counts are sent as JSON strings: none, the Session counts, or every count.
    scaleway_uint64_as_string: Literal["none", "session", "all"] = "session"
    scaleway_default_max_idle_duration: float = 600.0
    scaleway_default_max_duration: float = 1800.0
    scaleway_stop_seconds: float = 2.0
    scaleway_cancel_seconds: float = 1.0
    #: Result serializations longer than this are zlib-compressed and base64-encoded.
    scaleway_result_compress_bytes: int = 4096
    #: Results longer than this are served by ``url`` instead of inline (None: always inline).
    scaleway_result_url_bytes: int | None = 1_000_000

    #: Fraction of jobs (both providers) that end in failure, drawn from the seed.
    job_failure_rate: float = 0.0
    faults: FaultConfig = field(default_factory=FaultConfig)

    def replace(self, **changes: object) -> EmulatorConfig:
        """A copy with some fields changed."""
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]

    def validate(self) -> None:
        """Raise ValueError when the configuration is inconsistent."""
        if self.speed < 0:
            raise ValueError("speed cannot be negative")
        if not 0.0 <= self.job_failure_rate <= 1.0:
            raise ValueError("job_failure_rate must be between 0 and 1")
        if self.iam_token_lifetime < 0:
            raise ValueError("iam_token_lifetime cannot be negative")
        if self.scaleway_result_compress_bytes < 0 or (self.scaleway_result_url_bytes or 0) < 0:
            raise ValueError("result size thresholds cannot be negative")
        for limit in (
            self.ibm_workloads_default_limit,
            self.ibm_workloads_max_limit,
            self.ibm_jobs_default_limit,
            self.ibm_jobs_max_limit,
            self.scaleway_default_page_size,
            self.scaleway_max_page_size,
        ):
            if limit < 1:
                raise ValueError("page sizes and limits must be at least 1")
        names = {i.name for i in self.ibm_instances}
        for inst in self.ibm_instances:
            if inst.name.count("/") != 2:
                raise ValueError(f"an IBM instance is hub/group/project, got {inst.name!r}")
        for user in self.ibm_users:
            for name in user.instances:
                if name not in names:
                    raise ValueError(f"user {user.user_id} names unknown instance {name!r}")
        tokens = [u.token for u in self.ibm_users]
        if len(set(tokens)) != len(tokens):
            raise ValueError("IBM tokens must be unique")
        keys = [p.secret_key for p in self.scaleway_projects]
        if len(set(keys)) != len(keys):
            raise ValueError("Scaleway secret keys must be unique")
        self.faults.validate()


DEFAULT_CONFIG = EmulatorConfig()
