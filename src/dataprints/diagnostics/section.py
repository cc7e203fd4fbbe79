"""One diagnostic's part of the report, and the image grids its figures are made of."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any

import torch

from dataprints.plots import to_display


@dataclass
class Section:
    """What one diagnostic found, or why it does not apply (``applies`` False, ``why`` set):
    a report never leaves a diagnostic out without saying so."""

    name: str
    paper: str
    applies: bool = True
    why: str = ""
    notes: list[str] = field(default_factory=list)
    values: dict[str, Any] = field(default_factory=dict)
    tables: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    figures: dict[str, bytes] = field(default_factory=dict)  # caption -> PNG
    seconds: float = 0.0
    error: str = ""  # the diagnostic ran and raised: its message (the others still run)

    @property
    def status(self) -> str:
        return "failed" if self.error else ("ran" if self.applies else "not applicable")

    @classmethod
    def not_applicable(cls, name: str, paper: str, why: str) -> Section:
        return cls(name, paper, applies=False, why=why)


def png_grid(images: torch.Tensor, ncols: int = 8, cell: int = 48, pad: int = 2) -> bytes:
    """(N, C, H, W) images of any range as one PNG grid, each image min-max scaled on its own
    and enlarged (nearest neighbour) to about ``cell`` pixels, so small filters stay visible.
    PIL only: the report needs no plotting library."""
    from PIL import Image

    a = torch.from_numpy(to_display(images))  # (N, H, W, C) in [0, 1]
    n, h, w, c = a.shape
    zoom = max(1, cell // max(h, w))
    a = a.repeat_interleave(zoom, 1).repeat_interleave(zoom, 2)
    ncols = max(1, min(ncols, n))
    nrows = -(-n // ncols)
    hz, wz = h * zoom, w * zoom
    canvas = torch.ones(nrows * (hz + pad) + pad, ncols * (wz + pad) + pad, c)
    for i in range(n):
        r, k = divmod(i, ncols)
        canvas[pad + r * (hz + pad):pad + r * (hz + pad) + hz,
               pad + k * (wz + pad):pad + k * (wz + pad) + wz] = a[i]
    pixels = (canvas * 255).round().byte().numpy()
    img = Image.fromarray(pixels[..., 0] if c == 1 else pixels)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()
