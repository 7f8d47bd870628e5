"""IBM results as the service writes them (plain JSON and Qiskit-encoded), ISA checks and
JWT-shaped IAM tokens."""

from __future__ import annotations

import ast
import base64
import json
import struct
import zlib
from typing import Any

import pytest

from qruntime_async.emulator import IBM_API_KEY, IBM_SERVICE_CRN, Emulator, EmulatorConfig
from qruntime_async.emulator._npy import float64s, npy_bytes, uint8_bits

from .conftest import BELL, Api

#: A Bell circuit as Qiskit transpiles it for an ECR device and writes it in OpenQASM 3.
ISA_BELL = """OPENQASM 3.0;
include "stdgates.inc";
gate ecr _gate_q_0, _gate_q_1 {
  s _gate_q_0;
  sx _gate_q_1;
  cx _gate_q_0, _gate_q_1;
  x _gate_q_0;
}
bit[2] c;
rz(pi/2) $0;
sx $0;
rz(-pi) $1;
sx $1;
rz(-pi) $1;
ecr $0, $1;
x $0;
barrier $0, $1;
c[0] = measure $0;
c[1] = measure $1;
"""
GHZ3 = (
    'OPENQASM 3.0; include "stdgates.inc"; qubit[3] q; bit[3] c; '
    "h q[0]; cx q[0], q[1]; cx q[1], q[2]; c = measure q;"
)


def read_npy(value: str) -> tuple[str, tuple[int, ...], bytes]:
    """(descr, shape, data) of an encoded ndarray's ``__value__``."""
    raw = zlib.decompress(base64.standard_b64decode(value))
    assert raw[:8] == b"\x93NUMPY\x01\x00"
    (length,) = struct.unpack("<H", raw[8:10])
    assert (10 + length) % 64 == 0
    header = ast.literal_eval(raw[10 : 10 + length].decode("latin1"))
    assert header["fortran_order"] is False
    return header["descr"], tuple(header["shape"]), raw[10 + length :]


async def results(api: Api, emu: Emulator, **body: Any) -> Any:
    job_id = await api.ibm_job(**body)
    emu.advance(3600)
    reply = await api.ibm("GET", f"/jobs/{job_id}/results")
    assert reply.status == 200, reply.json
    return reply.json


def test_npy_header_layout() -> None:
    raw = npy_bytes("|u1", (4, 1), b"\x00\x03\x03\x00")
    assert raw.startswith(b"\x93NUMPY\x01\x00v\x00{'descr': '|u1', 'fortran_order': False, ")
    assert len(raw) == 128 + 4
    assert raw[127:128] == b"\n"
    assert uint8_bits([0x1FF], 9)[-2:] == b"\x01\xff"
    assert float64s([1.0], ())[-8:] == struct.pack("<d", 1.0)


async def test_plain_sampler_has_hex_samples_per_register(api: Api, emu: Emulator) -> None:
    doc = await results(api, emu, params={"pubs": [[GHZ3, None, 300]], "version": 2})
    assert set(doc) == {"results", "metadata"}
    (pub,) = doc["results"]
    assert set(pub) == {"data", "metadata"}
    assert set(pub["data"]) == {"c"}
    register = pub["data"]["c"]
    assert register["num_bits"] == 3
    assert len(register["samples"]) == 300
    assert set(register["samples"]) == {"0x0", "0x7"}
    assert pub["metadata"]["shots"] == 300


async def test_isa_circuit_in_openqasm3_runs(api: Api, emu: Emulator) -> None:
    doc = await results(api, emu, params={"pubs": [[ISA_BELL, None, 400]]})
    samples = doc["results"][0]["data"]["c"]["samples"]
    assert set(samples) == {"0x0", "0x3"}
    assert doc["metadata"]["synthetic"] is False


async def test_encoded_sampler_result_envelope(api: Api, emu: Emulator) -> None:
    params = {"pubs": [[BELL, None, 50]], "version": 2, "support_qiskit": True}
    doc = await results(api, emu, params=params)
    assert doc["__type__"] == "PrimitiveResult"
    assert list(doc["__value__"]) == ["pub_results", "metadata"]
    (pub,) = doc["__value__"]["pub_results"]
    assert pub["__type__"] == "SamplerPubResult"
    data = pub["__value__"]["data"]
    assert data["__type__"] == "DataBin"
    assert list(data["__value__"]) == ["field_names", "shape", "fields"]
    assert data["__value__"]["field_names"] == ["c"]
    assert data["__value__"]["shape"] == []
    bits = data["__value__"]["fields"]["c"]
    assert bits["__type__"] == "BitArray"
    assert bits["__value__"]["num_bits"] == 2
    array = bits["__value__"]["array"]
    assert array["__type__"] == "ndarray"
    descr, shape, body = read_npy(array["__value__"])
    assert (descr, shape) == ("|u1", (50, 1))
    assert set(body) == {0, 3}


async def test_estimator_plain_and_encoded(api: Api, emu: Emulator) -> None:
    state = "OPENQASM 3.0; qubit[2] q; h q[0]; cx q[0], q[1];"
    pubs = [[state, ["ZZ", "XX", "ZI"]]]
    plain = await results(api, emu, program_id="estimator", params={"pubs": pubs})
    data = plain["results"][0]["data"]
    assert set(data) == {"evs", "stds", "ensemble_standard_error"}
    assert data["evs"] == pytest.approx([1.0, 1.0, 0.0], abs=1e-9)
    params = {"pubs": pubs, "support_qiskit": True}
    encoded = await results(api, emu, program_id="estimator", params=params)
    (pub,) = encoded["__value__"]["pub_results"]
    assert pub["__type__"] == "PubResult"
    fields = pub["__value__"]["data"]["__value__"]
    assert fields["field_names"] == ["evs", "stds", "ensemble_standard_error"]
    assert fields["shape"] == [3]
    descr, shape, body = read_npy(fields["fields"]["evs"]["__value__"])
    assert (descr, shape) == ("<f8", (3,))
    assert struct.unpack("<3d", body) == pytest.approx((1.0, 1.0, 0.0), abs=1e-9)


async def test_non_isa_circuits_are_accepted_unless_strict(api: Api) -> None:
    await api.ibm_job(params={"pubs": [[BELL, None, 10]]})


@pytest.mark.parametrize("config", [EmulatorConfig(speed=0, ibm_strict_isa=True)])
async def test_strict_isa_refuses_gates_outside_the_basis(api: Api) -> None:
    body = {"program_id": "sampler", "backend": api.emu.ibm_backend}
    reply = await api.ibm("POST", "/jobs", json={**body, "params": {"pubs": [[BELL]]}})
    assert reply.status == 400
    assert set(reply.json) >= {"errors", "trace"}
    (error,) = reply.json["errors"]
    assert set(error) == {"code", "message", "more_info"}
    assert "cx" in error["message"] or "h" in error["message"]
    ok = await api.ibm("POST", "/jobs", json={**body, "params": {"pubs": [[ISA_BELL]]}})
    assert ok.status == 200, ok.json


def _segment(part: str) -> Any:
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


async def test_iam_tokens_are_jwt_shaped_and_still_accepted(api: Api) -> None:
    reply = await api.request(
        "POST",
        api.emu.iam_url + "/identity/token",
        data={"grant_type": "urn:ibm:params:oauth:grant-type:apikey", "apikey": IBM_API_KEY},
    )
    token = reply.json["access_token"]
    header, payload, signature = token.split(".")
    assert _segment(header)["alg"] == "RS256"
    claims = _segment(payload)
    assert {"iat", "exp", "sub", "iam_id"} <= set(claims)
    assert claims["exp"] - claims["iat"] == reply.json["expires_in"]
    assert claims["exp"] == reply.json["expiration"]
    assert signature
    jobs = await api.ibm("GET", "/jobs", token=token, headers={"Service-CRN": IBM_SERVICE_CRN})
    assert jobs.status == 200
