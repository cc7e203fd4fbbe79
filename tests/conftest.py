"""Shared fixtures: an isolated cache per test, and the mirror when CI provides it."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch

MIRROR = os.environ.get("DATAPRINTS_DATA")
needs_mirror = pytest.mark.skipif(
    not MIRROR or not Path(MIRROR).is_dir(),
    reason="needs the dataset mirror: set DATAPRINTS_DATA (.ci/run does)",
)


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test gets its own empty cache folder, so no test sees another's models."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("DATAPRINTS_CACHE", str(cache))
    return cache


@pytest.fixture
def one_thread() -> Iterator[None]:
    """Tiny models: on a shared 2-core machine thread hand-offs cost more than they save."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
