"""The examples run: the batch script with a few jobs, the notebook headless in a real kernel.

Both start the emulator themselves. The notebook needs the ``notebook`` extra (nbclient,
ipykernel, nbformat, and what the notebook draws with: tqdm, matplotlib, ipywidgets); without
it that test is skipped. A cell that raises fails the test with the cell's traceback.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
NOTEBOOK_NEEDS = ("nbclient", "nbformat", "ipykernel", "tqdm", "matplotlib")
KERNEL_NAME = "qruntime-examples"

pytestmark = pytest.mark.integration


def test_the_batch_script_submits_every_job_exactly_once() -> None:
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / "batch_submit.py"), "--jobs", "40", "--concurrency", "8"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert "submitting 40 jobs (ibm 20, scaleway 20), at most 8 at a time" in out
    assert out.count("submitted 20/20, final 20") == 2
    assert out.count("exactly once: 20 jobs listed for 20 keys, 0 duplicates, 0 missing") == 2
    assert out.rstrip().endswith("OK")


def test_the_batch_script_checks_its_arguments() -> None:
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / "batch_submit.py"), "--jobs", "0"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert "--jobs" in done.stderr


def _missing_for_notebook() -> list[str]:
    return [name for name in NOTEBOOK_NEEDS if importlib.util.find_spec(name) is None]


@pytest.mark.skipif(
    bool(_missing_for_notebook()),
    reason=(
        f"the notebook extra is not installed (missing: {', '.join(_missing_for_notebook())}); "
        "pip install 'qruntime-async[notebook]'"
    ),
)
def test_the_quickstart_notebook_runs_headless(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import nbformat
    from nbclient import NotebookClient

    # A kernel spec of this very interpreter, so that the notebook runs against this checkout
    # whatever kernels the machine has.
    spec = tmp_path / "jupyter" / "kernels" / KERNEL_NAME
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(
        json.dumps(
            {
                "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                "display_name": "qruntime_async tests",
                "language": "python",
            }
        )
    )
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path / "runtime"))
    monkeypatch.delenv("MPLBACKEND", raising=False)

    notebook = nbformat.read(EXAMPLES / "quickstart.ipynb", as_version=4)
    client = NotebookClient(
        notebook,
        kernel_name=KERNEL_NAME,
        timeout=300,
        resources={"metadata": {"path": str(tmp_path)}},
    )
    client.execute()

    outputs = [out for cell in notebook.cells if cell.cell_type == "code" for out in cell.outputs]
    assert not [out for out in outputs if out.output_type == "error"]
    html = [out["data"]["text/html"] for out in outputs if "text/html" in out.get("data", {})]
    images = [out for out in outputs if "image/png" in out.get("data", {})]
    assert any("IBM job" in page for page in html)
    assert any("sampler result" in page for page in html)
    assert any("estimator result" in page for page in html)
    assert any("Scaleway job" in page for page in html)
    assert any("Scaleway counts" in page for page in html)
    assert len(images) == 3  # sampler counts, estimator values, Scaleway counts
