"""Where things live: the data mirror, the cache, the repository's results."""

from __future__ import annotations

import os
from pathlib import Path

DATA_ENV = "DATAPRINTS_DATA"
CACHE_ENV = "DATAPRINTS_CACHE"
RESULTS_ENV = "DATAPRINTS_RESULTS_DIR"  # where a notebook run writes its results JSON
PROFILE_ENV = "DATAPRINTS_PROFILE"  # quick | reference | paper, recorded with the results


def repo_root() -> Path:
    """The checkout this package was installed from (editable install), found via pyproject.toml."""
    here = Path(__file__).resolve()
    for parent in here.parents:
        if (parent / "pyproject.toml").is_file() and (parent / "_config.yml").is_file():
            return parent
    return Path.cwd()


def mirror_dir() -> Path | None:
    """The local dataset mirror named by DATAPRINTS_DATA, or None when unset."""
    value = os.environ.get(DATA_ENV)
    return Path(value).expanduser() if value else None


def cache_dir() -> Path:
    """Trained models, downloads and checksum stamps; DATAPRINTS_CACHE or the user cache folder."""
    value = os.environ.get(CACHE_ENV)
    if value:
        path = Path(value).expanduser()
    else:
        base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
        path = Path(base) / "dataprints"
    path.mkdir(parents=True, exist_ok=True)
    return path
