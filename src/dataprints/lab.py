"""``make lab``: JupyterLab on this checkout, where the ``py:percent`` notebooks open as
notebooks (jupytext's contents manager and its "Jupytext Notebook" viewer, made the default for
``.py`` files by ``.jupyter/lab/settings/overrides.json``) and edits save back to the ``.py``
(``notebooks/jupytext.toml`` pairs no other format)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from dataprints.paths import repo_root

SETTINGS = ".jupyter/lab/settings"  # overrides.json: .py files open as notebooks


def command(root: Path | None = None, port: int = 8888, token: str | None = None,
            browser: bool = True) -> list[str]:
    """The JupyterLab command line for the checkout at ``root`` (127.0.0.1 only)."""
    root = root or repo_root()
    cmd = [sys.executable, "-m", "jupyterlab", "--ip=127.0.0.1", f"--port={port}",
           f"--ServerApp.root_dir={root}", f"--LabApp.app_settings_dir={root / SETTINGS}",
           "--ServerApp.port_retries=0"]
    if token is not None:
        cmd.append(f"--IdentityProvider.token={token}")
    if not browser:
        cmd.append("--no-browser")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")  # containers and CI run as root
    return cmd


def main() -> int:
    """Run JupyterLab until interrupted."""
    try:
        import jupyterlab  # noqa: F401
        import jupytext  # noqa: F401
    except ImportError:
        print("error: JupyterLab is an extra: pip install -e '.[lab]' (make lab does)",
              file=sys.stderr)
        return 2
    env = {**os.environ, "TQDM_DISABLE": os.environ.get("TQDM_DISABLE", "1")}
    return subprocess.call(command(), cwd=repo_root(), env=env)


if __name__ == "__main__":
    sys.exit(main())
