"""Circuits in and counts out over HTTP, in the formats the services speak.

IBM: OpenQASM 3 on the backend's instruction set (physical qubits, as the REST guides write it),
built with :func:`~qruntime_async.ibm.sampler_params`; results decoded from both wire formats.
Scaleway: circuits sent as a computation model (as the official provider sends them) and counts
read from the program-result envelope, keyed as qiskit keys them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from qruntime_async import BadRequestError, IBMRuntimeClient, ScalewayQaaSClient
from qruntime_async.emulator import IBM_BACKEND, Emulator, EmulatorConfig
from qruntime_async.ibm import SamplerResult, estimator_params, sampler_params

from .conftest import FAST, SPEED, ibm_for, scaleway_for

# A Bell circuit as qiskit's transpiler writes it for ibm_brisbane's instruction set
# (ecr, id, rz, sx, x), exported with qiskit.qasm3.dumps; the register renamed "meas".
ISA_BELL = """OPENQASM 3.0;
include "stdgates.inc";
bit[2] meas;
rz(pi/2) $0;
sx $0;
rz(-pi) $1;
sx $1;
rz(-pi) $1;
ecr $0, $1;
x $0;
meas[0] = measure $0;
meas[1] = measure $1;
"""

BELL3 = """OPENQASM 3.0;
include "stdgates.inc";
qubit[2] q;
bit[2] c;
h q[0];
cx q[0], q[1];
c = measure q;
"""

GHZ3 = """OPENQASM 3.0;
include "stdgates.inc";
qubit[3] q;
bit[3] c;
h q[0];
cx q[0], q[1];
cx q[1], q[2];
c = measure q;
"""

# Two registers: "a" holds qubit 0 (always 1), "b" holds qubits 1 and 2 (always 0 and 1).
TWO_REGISTERS = """OPENQASM 3.0;
include "stdgates.inc";
qubit[3] q;
bit[1] a;
bit[2] b;
x q[0];
x q[2];
a[0] = measure q[0];
b[0] = measure q[1];
b[1] = measure q[2];
"""


@pytest.fixture
async def strict_emulator() -> AsyncIterator[Emulator]:
    async with Emulator(EmulatorConfig(speed=SPEED, seed=7, ibm_strict_isa=True)) as emu:
        yield emu


async def ibm_result(
    client: IBMRuntimeClient, params: dict[str, object]
) -> tuple[str, SamplerResult]:
    job = await client.jobs.submit("sampler", backend=IBM_BACKEND, params=params)
    done = await client.jobs.wait(job.id, policy=FAST, timeout=20)
    assert done.status == "Completed", done
    result = await client.jobs.result(job.id)
    assert isinstance(result, SamplerResult)
    return job.id, result


@pytest.mark.parametrize("support_qiskit", [False, True])
async def test_ibm_isa_bell_in_both_result_formats(
    strict_emulator: Emulator, support_qiskit: bool
) -> None:
    params = sampler_params([ISA_BELL], shots=400)
    if support_qiskit:
        params["support_qiskit"] = True  # what the official client asks for
    async with ibm_for(strict_emulator) as client:
        job_id, result = await ibm_result(client, params)
        counts = await client.jobs.counts(job_id)
    assert result.encoding == ("qiskit" if support_qiskit else "plain")
    (pub,) = result.pubs
    register = pub.registers["meas"]
    assert register.num_bits == 2
    assert register.num_shots == 400
    assert set(register.counts()) <= {"00", "11"}
    assert sum(register.counts().values()) == 400
    assert counts == [pub.counts()]


async def test_ibm_refuses_a_circuit_outside_the_instruction_set(
    strict_emulator: Emulator,
) -> None:
    async with ibm_for(strict_emulator) as client:
        with pytest.raises(BadRequestError) as caught:
            await client.jobs.submit(
                "sampler", backend=IBM_BACKEND, params=sampler_params([BELL3], shots=10)
            )
    assert caught.value.status == 400


async def test_ibm_ghz_and_registers_joined_first_rightmost(
    ibm_client: IBMRuntimeClient,
) -> None:
    _, result = await ibm_result(ibm_client, sampler_params([GHZ3, TWO_REGISTERS], shots=300))
    ghz, registers = result.pubs
    assert set(ghz.counts()) <= {"000", "111"}
    assert registers.registers["a"].counts() == {"1": 300}
    assert registers.registers["b"].counts() == {"10": 300}
    # qiskit's join_data(): the first register's bits are the rightmost.
    assert registers.counts() == {"101": 300}


async def test_ibm_estimator_values(ibm_client: IBMRuntimeClient) -> None:
    params = estimator_params([(BELL3.replace("c = measure q;\n", ""), ["ZZ", "XX", "ZI"])])
    job = await ibm_client.jobs.submit("estimator", backend=IBM_BACKEND, params=params)
    await ibm_client.jobs.wait(job.id, policy=FAST, timeout=20)
    result = await ibm_client.jobs.result(job.id)
    (pub,) = result.pubs
    assert pub.evs == pytest.approx([1.0, 1.0, 0.0], abs=1e-9)  # type: ignore[union-attr]


async def test_scaleway_model_jobs_give_qiskit_keyed_counts(
    qruntime_emulator: Emulator, scaleway_client: ScalewayQaaSClient
) -> None:
    platform = qruntime_emulator.config.scaleway_platforms[0]
    async with scaleway_client.session(platform_id=platform.id, policy=FAST) as session:
        job = await session.submit([BELL3, GHZ3, TWO_REGISTERS], shots=256, memory=True)
        assert job.model_id
        done = await scaleway_client.jobs.wait(job.id, policy=FAST, timeout=20)
        assert done.is_completed, done
        bell, ghz, registers = await scaleway_client.jobs.counts(job.id)
        memory = await scaleway_client.jobs.memory(job.id)
    assert set(bell) <= {"00", "11"}
    assert sum(bell.values()) == 256
    assert set(ghz) <= {"000", "111"}
    # Result.get_counts(): registers separated by spaces, the last declared leftmost.
    assert registers == {"10 1": 256}
    assert len(memory[0]) == 256
    assert set(memory[2]) == {"10 1"}


async def test_scaleway_large_results_come_by_url_without_the_secret() -> None:
    config = EmulatorConfig(speed=SPEED, seed=3, scaleway_result_url_bytes=64)
    async with Emulator(config) as emu, scaleway_for(emu) as client:
        platform = emu.config.scaleway_platforms[0]
        async with client.session(platform_id=platform.id, policy=FAST) as session:
            job = await session.submit(GHZ3, shots=128, memory=True)
            await client.jobs.wait(job.id, policy=FAST, timeout=20)
            (result,) = await client.jobs.results(job.id).to_list()
            assert not result.result
            assert result.url
            (counts,) = await client.jobs.counts(job.id)
    assert sum(counts.values()) == 128
    assert set(counts) <= {"000", "111"}
