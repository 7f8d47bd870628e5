"""A local emulator of IBM Quantum Runtime (with IBM Cloud IAM) and Scaleway QaaS v1alpha1.

One aiohttp server on loopback serves both APIs: IBM under ``/runtime``, IAM at
``/identity/token``, Scaleway under ``/qaas/v1alpha1``, and control routes under ``/_emulator``.
Resources follow the services' state machines in virtual time (``EmulatorConfig.speed``; 0 freezes
time, moved by :meth:`Emulator.advance`), results are computed from the submitted OpenQASM
circuits, and faults can be injected reproducibly.

In process::

    async with Emulator(EmulatorConfig(speed=100)) as emu:
        ...  # emu.ibm_url, emu.scaleway_url, emu.iam_url, emu.credentials, IBM_TOKEN ...

Standalone: ``python -m qruntime_async.emulator --port 8765 --speed 60`` (see
:func:`run_forever`, :func:`add_arguments`, :func:`config_from_args`).

Behaviour worth knowing:

* IBM errors are ``{"errors": [{"code", "message", "more_info"}], "trace", "status_code"}``
  (codes are strings: ``"1291"`` job not found, ``"1292"`` session not found, ``"1217"`` session
  closed or not accepting jobs, ``"1219"`` unauthorized, ``"1220"`` forbidden, ``"1201"`` invalid
  request, ``"1235"`` job already final, ``"1236"`` no result yet); ``ibm_error_style="legacy"``
  gives ``{"error": {"code": 1291, "message"}}``. Scaleway errors carry ``message`` and ``type``
  (``invalid_arguments`` with ``fields``, ``not_found`` with ``resource``/``resource_id``,
  ``denied_authentication``, ``permissions_denied``, ``precondition_failed``).
* ``GET /runtime/jobs`` lists the jobs of the caller's instances; ``/workloads/me`` only the
  caller's own. A job inside a session is listed by ``/jobs`` but is not a workload of its own:
  its session is. ``DELETE /sessions/{id}/close`` cancels the queued jobs and leaves the session
  ``canceled``; ``PATCH accepting_jobs=false`` leaves it ``closed`` once its jobs are done.
* ``GET /runtime/jobs/{id}/results`` answers 400 until the job is Completed;
  Scaleway ``/jobs/{id}/results`` is an empty list until then. Result documents carry
  ``metadata.synthetic``: false when the distribution was computed (Qiskit Aer when importable,
  else a built-in statevector simulator for small circuits), true when made up from the seed.
* IBM sampler results are plain JSON (``data.<creg>.samples`` hex per shot, ``num_bits``), or
  the Qiskit-encoded ``PrimitiveResult`` when ``params.support_qiskit`` is true.
  ``ibm_strict_isa=True`` refuses (400) circuits with gates outside the backend's
  ``basis_gates``. IAM access tokens are JWT-shaped.
* Scaleway jobs run either ``circuit.qiskit_circuit`` or the programs of their ``model_id``
  (with ``parameters`` ``{"shots", "options": {"memory"}}``); ``result`` is the text of a
  program-result envelope around a Qiskit ``Result`` document. Results over
  ``scaleway_result_url_bytes`` are served by ``url`` from ``/_emulator/blobs/<id>``, which
  refuses requests carrying ``X-Auth-Token``.
* ``GET /runtime/backends`` answers ``{"devices": [{"name", "status", "qubits", ...}]}``;
  ``/backends/{name}/configuration``, ``/properties`` and ``/status`` are the documents
  qiskit-ibm-runtime builds its ``Target`` from (heavy-hex coupling maps), and
  ``/instances/usage`` counts the instance's QPU seconds this month.
* qiskit-ibm-runtime runs unmodified: IBM Cloud Global Search (``/global-search``) and Global
  Catalog (``/global-catalog``) answer its instance lookup, sessions accept the service CRN as
  ``instance``, and pubs with QPY circuits run on Qiskit's statevector primitives with the idle
  qubits dropped (``qiskit`` needed: without it such jobs fail, saying so). Settings:
  ``IAM_URL``, ``GLOBAL_SEARCH_URL``, ``GLOBAL_CATALOG_URL`` and
  ``QiskitRuntimeService(url=emu.ibm_url, url_resolver=lambda url, *_: url, ...)``.
* Scaleway Session counts are JSON strings (``scaleway_uint64_as_string``); a
  ``deduplication_id`` returns the project's session with that id unless it is stopping or
  stopped.
* Control routes (never faulted): ``GET /_emulator/stats``, ``GET|POST /_emulator/faults``,
  ``POST /_emulator/reset``, ``GET|POST /_emulator/clock`` (``{"advance": s}``,
  ``{"speed": x}``), ``GET /_emulator/config``, ``GET /_emulator/health``, and
  ``POST /_emulator/seed`` (``{"ibm_jobs": n, ...}``: many finished IBM jobs at once, as
  :meth:`Emulator.seed_ibm_jobs`).

Layout: ``ibm/`` and ``scaleway/`` each hold ``state.py`` (records and their states in virtual
time), ``views.py`` (JSON renderings), ``parse.py`` (request checking), ``store.py`` (the
records), ``routes.py`` (the service and its route table), the aiohttp handlers in
``*_routes.py`` (jobs, sessions, workloads or catalogue, on the shared steps of
``route_base.py``) and ``errors.py``; ``_store.py`` has what both share (ids, creation numbers,
cached renderings, snapshot copies). ``_server.py`` is the :class:`Emulator` itself,
``_middleware.py`` the counting, error shapes and fault injection every request goes through.
"""

from ._cli import (
    DEFAULT_CLI_PORT,
    add_arguments,
    banner,
    config_from_args,
    main,
    run_forever,
    serve,
)
from ._server import Credentials, Emulator
from .config import (
    DEFAULT_CONFIG,
    IBM_ADMIN_TOKEN,
    IBM_ADMIN_USER_ID,
    IBM_API_KEY,
    IBM_BACKEND,
    IBM_BACKENDS,
    IBM_BUSY_BACKEND,
    IBM_HUB,
    IBM_INSTANCE,
    IBM_OTHER_API_KEY,
    IBM_OTHER_INSTANCE,
    IBM_OTHER_SERVICE_CRN,
    IBM_OTHER_TOKEN,
    IBM_OTHER_USER_ID,
    IBM_SERVICE_CRN,
    IBM_TOKEN,
    IBM_USER_ID,
    SCALEWAY_ACCESS_KEY,
    SCALEWAY_AER_PLATFORM,
    SCALEWAY_AER_PLATFORM_ID,
    SCALEWAY_GPU_PLATFORM_ID,
    SCALEWAY_OTHER_ACCESS_KEY,
    SCALEWAY_OTHER_PROJECT_ID,
    SCALEWAY_OTHER_SECRET_KEY,
    SCALEWAY_PHOTONIC_PLATFORM,
    SCALEWAY_PHOTONIC_PLATFORM_ID,
    SCALEWAY_PLATFORMS,
    SCALEWAY_PROJECT_ID,
    SCALEWAY_QPU_PLATFORM_ID,
    SCALEWAY_SECRET_KEY,
    EmulatorConfig,
    FaultConfig,
    IbmBackend,
    IbmInstance,
    IbmUser,
    ScalewayPlatform,
    ScalewayProject,
)
from .ibm import IbmJobSnapshot, IbmSessionSnapshot
from .scaleway import ScalewayJobSnapshot, ScalewaySessionSnapshot

__all__ = [
    "DEFAULT_CLI_PORT",
    "DEFAULT_CONFIG",
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
    "Credentials",
    "Emulator",
    "EmulatorConfig",
    "FaultConfig",
    "IbmBackend",
    "IbmInstance",
    "IbmJobSnapshot",
    "IbmSessionSnapshot",
    "IbmUser",
    "ScalewayJobSnapshot",
    "ScalewayPlatform",
    "ScalewayProject",
    "ScalewaySessionSnapshot",
    "add_arguments",
    "banner",
    "config_from_args",
    "main",
    "run_forever",
    "serve",
]
