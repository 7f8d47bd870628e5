"""What the ``qruntime`` command says before it sends anything: credentials, usage, help."""

from __future__ import annotations

import json

import pytest

from qruntime_async import cli

from .conftest import run_cli as run

#: Nothing listens here: every command below must stop before sending a request.
URL = "http://127.0.0.1:9"

pytestmark = pytest.mark.usefixtures("no_cli_credentials")


def test_missing_ibm_credentials_name_the_option() -> None:
    for command in (["workloads", "list"], ["jobs", "watch", "c0"], ["sessions", "show", "s0"]):
        code, out, err = run("ibm", *command, "--url", URL)
        assert (code, out) == (2, "")
        assert err.count("\n") == 1
        assert "--token" in err
        assert "QRUNTIME_IBM_TOKEN" in err
        assert "token=" not in err  # the client's keyword, not the command's option


def test_ibm_api_key_without_its_crn_names_both_ways_out(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QRUNTIME_IBM_API_KEY", "emu-key-without-crn")
    code, _, err = run("ibm", "workloads", "list", "--url", URL)
    assert code == 2
    assert "QRUNTIME_IBM_SERVICE_CRN" in err
    assert "--token" in err
    assert "emu-key-without-crn" not in err


def test_empty_credentials_name_the_option() -> None:
    code, _, err = run("ibm", "workloads", "list", "--url", URL, "--token", " ")
    assert (code, err) == (2, "qruntime: error: --token is empty\n")
    code, _, err = run("scaleway", "jobs", "list", "--url", URL, "--secret-key", "")
    assert (code, err) == (2, "qruntime: error: --secret-key is empty\n")


def test_missing_scaleway_credentials_name_the_options() -> None:
    for command in (["list"], ["watch", "5ca1e0a1-5ec4-4e7a-9b1c-00000000f00d"]):
        code, out, err = run("scaleway", "jobs", *command, "--url", URL)
        assert (code, out) == (2, "")
        assert "--secret-key" in err
        assert "SCW_SECRET_KEY" in err
        assert "secret_key=" not in err

    key = "5ca1e0a1-5ec4-4e7a-9b1c-00000000beef"
    code, _, err = run("scaleway", "jobs", "list", "--url", URL, "--secret-key", key)
    assert code == 2
    assert "--project-id" in err
    assert "--session-id" in err
    assert "project_id=" not in err
    assert key not in err


def test_usage_errors_with_json_are_json() -> None:
    code, out, err = run("ibm", "workloads", "list", "--url", URL, "--json")
    assert (code, out) == (2, "")
    error = json.loads(err)["error"]
    assert error["type"] == "UsageError"
    assert error["status"] is None
    assert "--token" in error["message"]

    code, out, err = run("ibm", "jobs", "watch", "c0", "--timeout", "-1", "--json")
    assert (code, out) == (2, "")
    assert "--timeout" in json.loads(err)["error"]["message"]

    # Without --json argparse's usage line and message stay as they were.
    code, _, err = run("ibm", "jobs", "watch", "c0", "--timeout", "soon")
    assert code == 2
    assert err.startswith("usage: qruntime ibm jobs watch")
    assert err.splitlines()[-1].startswith("qruntime ibm jobs watch: error: argument --timeout")


def test_help_says_what_the_commands_do() -> None:
    for provider in ("ibm", "scaleway"):
        code, out, _ = run(provider, "jobs", "watch", "--help")
        assert code == 0
        text = " ".join(out.split())
        assert "exits 0 when it completed, 1 when it ended otherwise" in text
        assert "give up after this many seconds (exit 1)" in text
        assert "errors too, on stderr" in text
    code, out, _ = run("ibm", "workloads", "list", "--help")
    text = " ".join(out.split())
    # Without --token an API key in the environment is used before QRUNTIME_IBM_TOKEN.
    assert "$QRUNTIME_IBM_API_KEY with $QRUNTIME_IBM_SERVICE_CRN are used first" in text
    assert "hub administrator" in text
    assert run("ibm", "workloads", "list", "--max-retries", "-1", "--url", URL)[0] == 2


def test_exit_codes_are_documented() -> None:
    doc = " ".join((cli.__doc__ or "").split())
    assert "0 success" in doc
    assert "1 API error" in doc
    assert "a watched job that ended without completing" in doc
    assert "2 usage error" in doc
    assert "an emulator port that cannot be listened on" in doc
