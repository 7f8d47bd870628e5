"""Sampler/estimator job params, checked against the request bodies of IBM's REST guides.

The expected bodies below are the ``params`` of ``POST /jobs`` as printed in Qiskit/documentation:
``docs/guides/primitives-rest-api.ipynb`` (cells run against the live service),
``docs/guides/sampler-rest-api.ipynb`` and ``docs/guides/estimator-rest-api.ipynb``.
"""

from __future__ import annotations

import math
import subprocess
import sys
import textwrap
from collections.abc import Callable
from typing import Any

import msgspec
import pytest

from qruntime_async.ibm.pubs import PARAMS_VERSION, estimator_params, sampler_params

# primitives-rest-api.ipynb, "Estimator primitive with REST API", step 2.
ESTIMATOR_QASM = """
OPENQASM 3.0;
include "stdgates.inc";
bit[2] meas;
rz(pi/2) $1;
sx $1;
rz(pi) $1;
x $2;
cz $2, $1;
sx $1;
rz(pi/2) $1;
"""

# primitives-rest-api.ipynb, "Sampler primitive with REST API", step 2.
SAMPLER_QASM = ESTIMATOR_QASM + "meas[0] = measure $1;\nmeas[1] = measure $2;\n"

# primitives-rest-api.ipynb, parameterized circuits, step 4 (the printed qasm3.dumps output).
PARAMETERIZED_QASM = """OPENQASM 3.0;
include "stdgates.inc";
input float[64] phi;
input float[64] theta;
bit[2] meas;
rz(pi/2) $0;
sx $0;
rz(pi + theta) $0;
sx $0;
rz(5*pi/2) $0;
sx $1;
rz(pi + phi) $1;
rz(-pi/2) $1;
sx $1;
cz $0, $1;
rz(pi/2) $1;
sx $1;
rz(pi/2) $1;
barrier $0, $1;
meas[0] = measure $0;
meas[1] = measure $1;

"""

DD_OPTIONS = {
    "dynamical_decoupling": {
        "enable": True,
        "sequence_type": "XpXm",
        "extra_slack_distribution": "middle",
        "scheduling_method": "alap",
    },
}
TWIRLING_OPTIONS = {
    "twirling": {
        "enable_gates": True,
        "enable_measure": True,
        "num_randomizations": "auto",
        "shots_per_randomization": "auto",
        "strategy": "active-accum",
    },
}
TREX_ZNE_OPTIONS = {
    "resilience": {
        "measure_mitigation": True,
        "zne_mitigation": True,
        "zne": {
            "extrapolator": ["exponential", "linear"],
            "noise_factors": [1, 3, 5],
        },
    },
}


def wire(params: dict[str, Any]) -> Any:
    """What the service receives: the params through msgspec's JSON encoder and back."""
    return msgspec.json.decode(msgspec.json.encode(params))


def same_json(got: Any, expected: Any) -> bool:
    """Equal as JSON values: 1 and 1.0 are the same number, but true is not 1."""
    if isinstance(expected, bool) or isinstance(got, bool):
        return type(got) is type(expected) and got == expected
    if isinstance(expected, (int, float)):
        return isinstance(got, (int, float)) and got == expected
    if isinstance(expected, dict):
        return (
            isinstance(got, dict)
            and list(got) == list(expected)
            and all(same_json(got[k], expected[k]) for k in expected)
        )
    if isinstance(expected, list):
        return (
            isinstance(got, list)
            and len(got) == len(expected)
            and all(same_json(g, e) for g, e in zip(got, expected, strict=True))
        )
    return type(got) is type(expected) and got == expected


def as_sent(body_params: dict[str, Any]) -> dict[str, Any]:
    """A guide's params as this SDK sends them: ``version`` is the integer 2.

    The newer guide writes ``"version": "2"`` and the older ones leave it out; the official client
    and the published schema (Qiskit/ibm-quantum-schemas, ``"version": {"enum": [2]}``) use 2.
    """
    out = {k: v for k, v in body_params.items() if k != "version"}
    return {"pubs": out.pop("pubs"), "version": 2, **out}


def assert_params(got: dict[str, Any], expected: dict[str, Any]) -> None:
    sent = wire(got)
    assert sent == expected
    assert same_json(sent, expected), f"{sent!r} != {expected!r}"


# -- the guides' request bodies ----------------------------------------------------------------


def test_sampler_body_from_primitives_guide() -> None:
    # primitives-rest-api.ipynb, Sampler step 3
    guide = {
        "pubs": [
            [SAMPLER_QASM],
            [SAMPLER_QASM, None, 500],
        ],
        "version": "2",
    }
    got = sampler_params([[SAMPLER_QASM], [SAMPLER_QASM, None, 500]])
    assert_params(got, as_sent(guide))
    # a bare circuit is the same pub as [circuit]
    assert sampler_params([SAMPLER_QASM, (SAMPLER_QASM, None, 500)]) == got


def test_sampler_body_from_sampler_guide() -> None:
    # sampler-rest-api.ipynb, step 3 (no version in that guide)
    resulting_qasm = SAMPLER_QASM
    guide = {"pubs": [[resulting_qasm], [resulting_qasm, None, 500]]}
    assert_params(sampler_params([[resulting_qasm], [resulting_qasm, None, 500]]), as_sent(guide))


#: The dynamical decoupling and twirling options of the primitives guide's step 5 bodies.
GUIDE_DD_TWIRLING: dict[str, Any] = {
    "dynamical_decoupling": {
        "enable": True,
        "sequence_type": "XpXm",
        "extra_slack_distribution": "middle",
        "scheduling_method": "alap",
    },
    "twirling": {
        "enable_gates": True,
        "enable_measure": True,
        "num_randomizations": "auto",
        "shots_per_randomization": "auto",
        "strategy": "active-accum",
    },
}


def test_sampler_options_body_from_primitives_guide() -> None:
    # primitives-rest-api.ipynb, Sampler step 5
    guide = {
        "pubs": [[SAMPLER_QASM]],
        "version": "2",
        "options": GUIDE_DD_TWIRLING,
    }
    got = sampler_params([SAMPLER_QASM], options={**DD_OPTIONS, **TWIRLING_OPTIONS})
    assert_params(got, as_sent(guide))


def test_sampler_parameterized_body_from_primitives_guide() -> None:
    # primitives-rest-api.ipynb, "Sampler primitive with REST API and parameterized circuits"
    parameter_values = {"theta": 1.57, "phi": 3.14}
    guide = {"pubs": [[PARAMETERIZED_QASM, parameter_values, 500]], "version": "2"}
    got = sampler_params([(PARAMETERIZED_QASM, parameter_values, 500)])
    assert_params(got, as_sent(guide))
    # the guide's other spelling, values by position
    guide_positional = {"pubs": [[PARAMETERIZED_QASM, [1, 2], 500]], "version": "2"}
    got = sampler_params([(PARAMETERIZED_QASM, [1, 2], 500)])
    assert_params(got, as_sent(guide_positional))
    assert wire(got)["pubs"][0][1] == [1.0, 2.0]


def test_estimator_body_from_primitives_guide() -> None:
    # primitives-rest-api.ipynb, Estimator step 3
    guide = {
        "version": "2",
        "pubs": [
            [
                ESTIMATOR_QASM,
                {"IZI": 1, "IXI": 2.3},
                None,
            ]
        ],
    }
    got = estimator_params([(ESTIMATOR_QASM, {"IZI": 1, "IXI": 2.3}, None)])
    assert_params(got, as_sent(guide))


def test_estimator_options_body_from_primitives_guide() -> None:
    # primitives-rest-api.ipynb, Estimator step 5
    guide = {
        "pubs": [[ESTIMATOR_QASM, {"IZI": 1, "IXI": 2.3}, None]],
        "version": "2",
        "options": {
            "resilience": {
                "measure_mitigation": True,
                "zne_mitigation": True,
                "zne": {
                    "extrapolator": ["exponential", "linear"],
                    "noise_factors": [1, 3, 5],
                },
            },
            **GUIDE_DD_TWIRLING,
        },
    }
    got = estimator_params(
        [(ESTIMATOR_QASM, {"IZI": 1, "IXI": 2.3}, None)],
        options={**TREX_ZNE_OPTIONS, **DD_OPTIONS, **TWIRLING_OPTIONS},
    )
    assert_params(got, as_sent(guide))


@pytest.mark.parametrize("options", [TREX_ZNE_OPTIONS, DD_OPTIONS, TWIRLING_OPTIONS])
def test_estimator_bodies_from_estimator_guide(options: dict[str, Any]) -> None:
    # estimator-rest-api.ipynb, step 5 (one body per technique; no version in that guide)
    resulting_qasm = ESTIMATOR_QASM
    guide = {
        "pubs": [[resulting_qasm, {"IIZII": 1, "XIZZZ": 2.3}, None]],
        "options": options,
    }
    got = estimator_params([[resulting_qasm, {"IIZII": 1, "XIZZZ": 2.3}, None]], options=options)
    assert_params(got, as_sent(guide))


def test_version_is_the_integer_two() -> None:
    assert PARAMS_VERSION == 2
    assert msgspec.json.encode(sampler_params([SAMPLER_QASM])).endswith(b'"version":2}')


# -- where the run-level values go -------------------------------------------------------------


def test_shots_fill_pubs_without_their_own() -> None:
    got = sampler_params(
        [SAMPLER_QASM, (SAMPLER_QASM, [0.5]), (SAMPLER_QASM, None, 7), (SAMPLER_QASM, None, None)],
        shots=100,
    )
    assert [pub[1:] for pub in got["pubs"]] == [
        [None, 100],
        [[0.5], 100],
        [None, 7],
        [None, 100],
    ]
    assert "shots" not in got
    assert "options" not in got


def test_pubs_keep_the_length_they_were_given() -> None:
    got = sampler_params([(SAMPLER_QASM,), (SAMPLER_QASM, None), (SAMPLER_QASM, None, None)])
    assert [len(pub) for pub in got["pubs"]] == [1, 2, 3]
    got = estimator_params([(ESTIMATOR_QASM, "ZZ"), (ESTIMATOR_QASM, "ZZ", None, None)])
    assert [len(pub) for pub in got["pubs"]] == [2, 4]


def test_precision_fills_pubs_and_resilience_level_sits_next_to_options() -> None:
    got = estimator_params(
        [(ESTIMATOR_QASM, "ZZZ"), (ESTIMATOR_QASM, "ZZZ", [0.1], 0.5)],
        precision=0.01,
        resilience_level=1,
        options={"default_shots": 4000},
    )
    assert got == {
        "pubs": [
            [ESTIMATOR_QASM, {"ZZZ": 1.0}, None, 0.01],
            [ESTIMATOR_QASM, {"ZZZ": 1.0}, [0.1], 0.5],
        ],
        "version": 2,
        "options": {"default_shots": 4000},
        "resilience_level": 1,
    }
    assert "resilience_level" not in got["options"]


def test_resilience_level_zero_is_sent() -> None:
    assert estimator_params([(ESTIMATOR_QASM, "Z")], resilience_level=0)["resilience_level"] == 0


def test_empty_options_are_sent_as_given() -> None:
    assert sampler_params([SAMPLER_QASM], options={})["options"] == {}


# -- observables -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("observables", "expected"),
    [
        ("ZZ", {"ZZ": 1.0}),
        ({"ZZ": 1, "XI": -0.5}, {"ZZ": 1.0, "XI": -0.5}),
        ({"ZZ": 2 + 0j}, {"ZZ": 2.0}),
        (["ZZ", {"XX": 2}], [{"ZZ": 1.0}, {"XX": 2.0}]),
        (("ZZ", "XX"), [{"ZZ": 1.0}, {"XX": 1.0}]),
        ([["ZZ"], ["YY"]], [[{"ZZ": 1.0}], [{"YY": 1.0}]]),
    ],
)
def test_observable_forms(observables: Any, expected: Any) -> None:
    pub = estimator_params([(ESTIMATOR_QASM, observables)])["pubs"][0]
    assert pub == [ESTIMATOR_QASM, expected]
    assert same_json(wire({"o": pub[1]})["o"], expected)


# -- parameter values --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([], []),
        ([1, 2.5], [1.0, 2.5]),
        ((1, 2), [1.0, 2.0]),
        ([[1, 2], [3, 4], [5, 6]], [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]),
        ([[[1]], [[2]]], [[[1.0]], [[2.0]]]),
        ({"theta": [1, 2], "phi": [3, 4]}, {"theta": [1.0, 2.0], "phi": [3.0, 4.0]}),
        ({"theta": 0.5}, {"theta": 0.5}),
    ],
)
def test_parameter_value_forms(values: Any, expected: Any) -> None:
    pub = sampler_params([(SAMPLER_QASM, values)])["pubs"][0]
    assert pub[1] == expected
    assert same_json(wire({"v": pub[1]})["v"], expected)


def test_inputs_are_copied_not_shared() -> None:
    values: list[list[float]] = [[0.1, 0.2]]
    observable: dict[str, Any] = {"ZZ": 1.0}
    options: dict[str, Any] = {"twirling": {"enable_gates": True}, "zne": (1, 3)}
    got = estimator_params([(ESTIMATOR_QASM, observable, values)], options=options)
    values[0][0] = 9.0
    observable["XX"] = 1.0
    options["twirling"]["enable_gates"] = False
    assert got["pubs"][0][1:] == [{"ZZ": 1.0}, [[0.1, 0.2]]]
    assert got["options"] == {"twirling": {"enable_gates": True}, "zne": [1, 3]}


def test_pubs_may_be_any_iterable() -> None:
    got = sampler_params(pub for pub in [SAMPLER_QASM, (SAMPLER_QASM, None, 5)])
    assert len(got["pubs"]) == 2


# -- OpenQASM text -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "OPENQASM 3;\nqubit q;",
        "OPENQASM 3.0;\nqubit q;",
        "OPENQASM 3.1;\nqubit q;",
        '\n\n  OPENQASM   3.0 ;\ninclude "stdgates.inc";',
        "// made by hand\n/* a block\n comment */\nOPENQASM 3.0;\nqubit q;",
    ],
)
def test_openqasm3_text_passes_through_unchanged(text: str) -> None:
    assert sampler_params([text])["pubs"][0][0] is text


def test_openqasm2_is_refused_naming_openqasm3() -> None:
    qasm2 = 'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[1];\ncreg c[1];\nmeasure q -> c;\n'
    with pytest.raises(ValueError, match=r"pubs\[1\] circuit is OpenQASM 2.*takes OpenQASM 3"):
        sampler_params([SAMPLER_QASM, qasm2])


@pytest.mark.parametrize(
    "text",
    ["", "   ", "qubit q;\nOPENQASM 3.0;", "include 'stdgates.inc';", "OPENQASM;", "openqasm 3;"],
)
def test_text_without_an_openqasm3_header_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match=r"pubs\[0\] circuit .*'OPENQASM 3' header"):
        sampler_params([text])


# -- validation --------------------------------------------------------------------------------

Q = SAMPLER_QASM
E = ESTIMATOR_QASM

INVALID: list[tuple[str, Callable[[], Any], type[Exception], str]] = [
    ("no pubs", lambda: sampler_params([]), ValueError, r"pubs must not be empty"),
    ("str as pubs", lambda: sampler_params(Q), TypeError, r"pubs must be a list.*\[pub\]"),
    ("dict as pubs", lambda: sampler_params({"a": Q}), TypeError, r"pubs must be a list"),
    ("int as pubs", lambda: sampler_params(3), TypeError, r"pubs must be a list"),  # type: ignore[arg-type]
    (
        "long pub",
        lambda: sampler_params([(Q, None, 1, 2)]),
        ValueError,
        r"pubs\[0\] must have 1 to 3 items",
    ),
    ("empty pub", lambda: sampler_params([()]), ValueError, r"pubs\[0\] must have 1 to 3"),
    (
        "bad circuit",
        lambda: sampler_params([Q, (42,)]),
        TypeError,
        r"pubs\[1\] circuit must be OpenQASM 3",
    ),
    (
        "bytes circuit",
        lambda: sampler_params([Q.encode()]),
        TypeError,
        r"pubs\[0\] circuit .* got bytes",
    ),
    (
        "zero shots",
        lambda: sampler_params([(Q, None, 0)]),
        ValueError,
        r"pubs\[0\] shots must be positive",
    ),
    (
        "bool shots",
        lambda: sampler_params([(Q, None, True)]),
        TypeError,
        r"pubs\[0\] shots must be an int",
    ),
    (
        "float shots",
        lambda: sampler_params([(Q, None, 10.0)]),
        TypeError,
        r"pubs\[0\] shots must be an int",
    ),
    ("run shots", lambda: sampler_params([Q], shots=-1), ValueError, r"^shots must be positive"),
    (
        "ragged values",
        lambda: sampler_params([(Q, [[1, 2], [3]])]),
        ValueError,
        r"pubs\[0\] parameter_values is ragged",
    ),
    (
        "mixed values",
        lambda: sampler_params([(Q, [1, [2]])]),
        ValueError,
        r"pubs\[0\] parameter_values is ragged",
    ),
    (
        "str value",
        lambda: sampler_params([(Q, ["1"])]),
        TypeError,
        r"pubs\[0\] parameter_values\[0\] must be a real number",
    ),
    (
        "bool value",
        lambda: sampler_params([(Q, [True])]),
        TypeError,
        r"parameter_values\[0\] must be a real number",
    ),
    (
        "nan value",
        lambda: sampler_params([(Q, [math.nan])]),
        ValueError,
        r"parameter_values\[0\] must be finite",
    ),
    (
        "inf value",
        lambda: sampler_params([(Q, {"a": math.inf})]),
        ValueError,
        r"parameter_values\['a'\] must be finite",
    ),
    (
        "scalar values",
        lambda: sampler_params([(Q, 0.5)]),
        TypeError,
        r"pubs\[0\] parameter_values must be a list",
    ),
    (
        "empty dict values",
        lambda: sampler_params([(Q, {})]),
        ValueError,
        r"parameter_values must not be an empty dict",
    ),
    (
        "shapes",
        lambda: sampler_params([(Q, {"a": 1, "b": [2, 3]})]),
        ValueError,
        r"parameter_values values must all have the same shape",
    ),
    (
        "int key",
        lambda: sampler_params([(Q, {1: 0.5})]),
        TypeError,
        r"parameter_values keys must be parameter names",
    ),
    (
        "bare estimator pub",
        lambda: estimator_params([E]),
        TypeError,
        r"pubs\[0\] must be a tuple \(circuit, observables",
    ),
    (
        "short estimator pub",
        lambda: estimator_params([(E,)]),
        ValueError,
        r"pubs\[0\] must have 2 to 4 items",
    ),
    (
        "long estimator pub",
        lambda: estimator_params([(E, "Z", None, 0.1, 1)]),
        ValueError,
        r"must have 2 to 4",
    ),
    (
        "no observables",
        lambda: estimator_params([(E, [])]),
        ValueError,
        r"pubs\[0\] observables must not be empty",
    ),
    (
        "empty observable",
        lambda: estimator_params([(E, {})]),
        ValueError,
        r"observables must not be an empty dict",
    ),
    (
        "lowercase label",
        lambda: estimator_params([(E, "zz")]),
        ValueError,
        r"'zz' is not a Pauli label",
    ),
    (
        "signed label",
        lambda: estimator_params([(E, "-ZZ")]),
        ValueError,
        r"'-ZZ' is not a Pauli label",
    ),
    (
        "projector label",
        lambda: estimator_params([(E, {"+Z": 1})]),
        ValueError,
        r"'\+Z' is not a Pauli label",
    ),
    ("empty label", lambda: estimator_params([(E, "")]), ValueError, r"'' is not a Pauli label"),
    (
        "widths",
        lambda: estimator_params([(E, ["ZZ", {"XXX": 1}])]),
        ValueError,
        r"observables mix Pauli labels of different lengths \(2, 3",
    ),
    (
        "complex coeff",
        lambda: estimator_params([(E, {"ZZ": 1 + 1j})]),
        ValueError,
        r"observables\['ZZ'\] coefficient .* imaginary",
    ),
    (
        "str coeff",
        lambda: estimator_params([(E, {"ZZ": "1"})]),
        TypeError,
        r"observables\['ZZ'\] must be a real number",
    ),
    ("nan coeff", lambda: estimator_params([(E, {"ZZ": math.nan})]), ValueError, r"must be finite"),
    (
        "int label key",
        lambda: estimator_params([(E, {3: 1.0})]),
        TypeError,
        r"keys must be Pauli labels",
    ),
    (
        "ragged observables",
        lambda: estimator_params([(E, [["ZZ"], "XX"])]),
        ValueError,
        r"observables is ragged",
    ),
    (
        "object observable",
        lambda: estimator_params([(E, object())]),
        TypeError,
        r"pubs\[0\] observables must be a Pauli label",
    ),
    (
        "zero precision",
        lambda: estimator_params([(E, "Z", None, 0)]),
        ValueError,
        r"pubs\[0\] precision must be greater than 0",
    ),
    (
        "str precision",
        lambda: estimator_params([(E, "Z", None, "0.1")]),
        TypeError,
        r"pubs\[0\] precision must be a real number",
    ),
    (
        "run precision",
        lambda: estimator_params([(E, "Z")], precision=-0.1),
        ValueError,
        r"^precision must be greater than 0",
    ),
    (
        "level 3",
        lambda: estimator_params([(E, "Z")], resilience_level=3),
        ValueError,
        r"resilience_level must be 0, 1 or 2",
    ),
    (
        "level str",
        lambda: estimator_params([(E, "Z")], resilience_level="1"),  # type: ignore[arg-type]
        TypeError,
        r"resilience_level must be an int",
    ),
    (
        "options list",
        lambda: sampler_params([Q], options=[("a", 1)]),  # type: ignore[arg-type]
        TypeError,
        r"options must be a mapping",
    ),
    (
        "options int key",
        lambda: sampler_params([Q], options={1: 2}),  # type: ignore[dict-item]
        TypeError,
        r"options keys must be str",
    ),
    (
        "options object",
        lambda: sampler_params([Q], options={"x": {"y": object()}}),
        TypeError,
        r"options\['x'\]\['y'\] must be JSON data",
    ),
    (
        "options nan",
        lambda: sampler_params([Q], options={"x": [math.nan]}),
        ValueError,
        r"options\['x'\]\[0\] must be finite",
    ),
    (
        "level in options",
        lambda: estimator_params([(E, "Z")], options={"resilience_level": 1}),
        ValueError,
        r"options\['resilience_level'\].*pass resilience_level=",
    ),
    (
        "sampler level",
        lambda: sampler_params([Q], options={"resilience_level": 1}),
        ValueError,
        r"sampler takes no resilience level",
    ),
    (
        "shots in options",
        lambda: sampler_params([Q], options={"shots": 10}),
        ValueError,
        r"default_shots",
    ),
    (
        "precision in options",
        lambda: estimator_params([(E, "Z")], options={"precision": 0.1}),
        ValueError,
        r"default_precision",
    ),
    (
        "max time in options",
        lambda: sampler_params([Q], options={"max_execution_time": 60}),
        ValueError,
        r"job setting",
    ),
    (
        "environment in options",
        lambda: estimator_params([(E, "Z")], options={"environment": {}}),
        ValueError,
        r"job setting",
    ),
    (
        "support_qiskit in options",
        lambda: sampler_params([Q], options={"support_qiskit": True}),
        ValueError,
        r"plain-JSON results",
    ),
]


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [pytest.param(call, error, message, id=name) for name, call, error, message in INVALID],
)
def test_invalid_arguments_are_refused_before_sending(
    call: Callable[[], object], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        call()


def test_errors_name_the_pub_index() -> None:
    with pytest.raises(ValueError, match=r"^pubs\[2\] observables"):
        estimator_params([(E, "Z"), (E, "X"), (E, "Q")])


# -- without qiskit ----------------------------------------------------------------------------


def test_non_text_circuit_without_qiskit_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(sys.modules, "qiskit", raising=False)

    class FakeCircuit:
        num_qubits = 2

    with pytest.raises(TypeError, match=r"pip install 'qruntime-async\[qiskit\]'") as info:
        sampler_params([FakeCircuit()])
    assert "pubs[0] circuit" in str(info.value)
    assert "qiskit" not in sys.modules


def test_text_path_imports_neither_qiskit_nor_numpy() -> None:
    script = textwrap.dedent(
        f"""
        import sys
        import msgspec
        from qruntime_async.ibm.pubs import estimator_params, sampler_params

        q = {SAMPLER_QASM!r}
        e = {ESTIMATOR_QASM!r}
        msgspec.json.encode(sampler_params([q, (q, {{"a": [1, 2]}}, 10)], shots=5, options={{}}))
        msgspec.json.encode(
            estimator_params([(e, ["ZZZ", {{"XXX": 2}}], [[0.1]], 0.1)], resilience_level=1)
        )
        try:
            sampler_params([object()])
        except TypeError:
            pass
        loaded = sorted(m for m in sys.modules if m.split(".")[0] in ("qiskit", "numpy"))
        assert not loaded, loaded
        """
    )
    subprocess.run([sys.executable, "-W", "error", "-c", script], check=True, timeout=60)
