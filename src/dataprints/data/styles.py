"""A deterministic style-shifted test set made with scikit-image, standing in for ImageNet-SCT.

Wang et al. test OOD transfer on their own ImageNet-SCT (the IN-10 classes drawn in other
styles: art, cartoon, sketch, ...), which cannot be obtained here. This module re-renders real
test images in three styles instead. It keeps the objects and shapes but changes colour and
texture statistics, which is the kind of shift ImageNet-SCT brings; it is not the same data.

* ``grey``: luminance only, copied into three channels;
* ``sketch``: dark Sobel edges of the smoothed luminance on white paper;
* ``cartoon``: smoothed colours quantised to a few levels per channel, with dark outlines.
"""

from __future__ import annotations

import numpy as np
import torch
from skimage import color, filters

from dataprints.data.sources import ImageSet

STYLES = ("grey", "sketch", "cartoon")
CARTOON_LEVELS = 4  # colour levels per channel
EDGE_GAIN = 4.0  # how dark a Sobel edge of a given strength is drawn


def _grey(img: np.ndarray) -> np.ndarray:
    return np.repeat(color.rgb2gray(img)[..., None], 3, axis=-1)


def _edges(img: np.ndarray) -> np.ndarray:
    """Edge strength in [0, 1] of the lightly smoothed luminance."""
    grey = filters.gaussian(color.rgb2gray(img), sigma=0.5)
    return np.clip(EDGE_GAIN * filters.sobel(grey), 0, 1)


def _sketch(img: np.ndarray) -> np.ndarray:
    return np.repeat((1.0 - _edges(img))[..., None], 3, axis=-1)


def _cartoon(img: np.ndarray) -> np.ndarray:
    smooth = filters.gaussian(img, sigma=1.0, channel_axis=-1)
    flat = np.round(smooth * (CARTOON_LEVELS - 1)) / (CARTOON_LEVELS - 1)
    return flat * (1.0 - _edges(img))[..., None]


_RENDER = {"grey": _grey, "sketch": _sketch, "cartoon": _cartoon}


def stylize(data: ImageSet, style: str) -> ImageSet:
    """Every RGB image of ``data`` re-rendered in ``style``; labels and order unchanged."""
    if style not in _RENDER:
        raise ValueError(f"unknown style {style!r}; choose one of: {', '.join(STYLES)}")
    if data.x.shape[1] != 3:
        raise ValueError(f"{data.name}: styles need RGB images, got {data.x.shape[1]} channels")
    pixels = data.x.permute(0, 2, 3, 1).numpy() / 255.0  # (N, H, W, 3)
    out = np.stack([_RENDER[style](img) for img in pixels])
    x = np.round(np.clip(out, 0, 1) * 255).astype(np.uint8).transpose(0, 3, 1, 2)
    return ImageSet(torch.from_numpy(np.ascontiguousarray(x)), data.y.clone(), data.classes,
                    f"{data.name}:{style}", data.source)


def style_shifted(data: ImageSet, styles: tuple[str, ...] = STYLES) -> ImageSet:
    """All ``styles`` of ``data`` in one set (style after style), like one OOD test set."""
    parts = [stylize(data, s) for s in styles]
    return ImageSet(torch.cat([p.x for p in parts]), torch.cat([p.y for p in parts]),
                    data.classes, f"{data.name}:{'+'.join(styles)}", data.source)
