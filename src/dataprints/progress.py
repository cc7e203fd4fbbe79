"""Progress bars for long work: tqdm, silenced by ``TQDM_DISABLE=1`` (CI, book builds).

Plain text bars, also in notebooks: ``tqdm.auto`` would need ipywidgets there and warns
without them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from tqdm import tqdm


def progress(iterable: Iterable[Any] | None = None, *, enabled: bool = True,
             **kwargs: Any) -> tqdm:
    """A tqdm bar; ``enabled=False`` silences it. Unlike passing ``disable=not enabled``, an
    enabled bar still obeys the ``TQDM_DISABLE`` environment variable."""
    if not enabled:
        kwargs["disable"] = True
    return tqdm(iterable, **kwargs)
