"""`make lab`'s JupyterLab serves a py:percent notebook as a notebook (with its parameters
cell), saves an edit back to the .py, and opens .py files in the notebook view by default."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from dataprints import lab

ROOT = Path(__file__).resolve().parents[1]
pytest.importorskip("jupyterlab")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(url: str, token: str, method: str = "GET", body: dict | None = None) -> dict:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers={
        "Authorization": f"token {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.loads(answer.read())


@pytest.mark.slow
def test_lab_reads_and_writes_a_percent_notebook_as_a_notebook(tmp_path):
    (tmp_path / "notebooks").mkdir()
    for name in ("00_data_tour.py", "jupytext.toml"):
        shutil.copy(ROOT / "notebooks" / name, tmp_path / "notebooks" / name)
    shutil.copytree(ROOT / lab.SETTINGS, tmp_path / lab.SETTINGS)
    port, token = free_port(), "t0ken-for-this-test"
    server = subprocess.Popen(lab.command(tmp_path, port, token, browser=False),
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                call(f"{base}/api/status", token)
                break
            except (urllib.error.URLError, ConnectionError):
                assert server.poll() is None, server.stderr.read()
                assert time.monotonic() < deadline, "JupyterLab did not start in 90 s"
                time.sleep(0.5)
        url = f"{base}/api/contents/notebooks/00_data_tour.py"
        model = call(f"{url}?type=notebook&content=1", token)
        assert model["type"] == "notebook"
        cells = model["content"]["cells"]
        params = [c for c in cells if "parameters" in c["metadata"].get("tags", [])]
        assert len(params) == 1 and "samples_per_class: int" in params[0]["source"]

        cells.append({"cell_type": "markdown", "metadata": {}, "source": "An edit in the lab."})
        call(url, token, "PUT", {"type": "notebook", "format": "json",
                                 "content": model["content"]})
        text = (tmp_path / "notebooks/00_data_tour.py").read_text()
        assert text.rstrip().endswith("# %% [markdown]\n# An edit in the lab.")
        assert '# %% tags=["parameters"]' in text
        assert not list(tmp_path.glob("notebooks/*.ipynb"))  # no paired copy

        plugin = call(f"{base}/lab/api/settings/@jupyterlab/docmanager-extension:plugin",
                      token)
        viewers = plugin["schema"]["properties"]["defaultViewers"]["default"]
        assert viewers.get("python") == "Jupytext Notebook"
    finally:
        server.terminate()
        server.wait(timeout=30)
