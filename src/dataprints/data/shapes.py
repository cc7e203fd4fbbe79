"""Synthetic shapes at known object scales: our stand-in for Jorgenson et al.'s BlenderShapes.

BlenderShapes (not public) renders six 3-D objects at five object scales. We draw six 2-D shapes
with scikit-image at a chosen relative size, with random colours, rotation, position, a lit
(graded) background and mild texture, so that object scale is the one property that differs
between the five versions. Images are drawn at twice the size and downsampled for smooth edges.
Deterministic for a seed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from skimage.draw import disk, polygon
from skimage.transform import resize

from dataprints.data.sources import ImageSet

SHAPES = ("disk", "square", "triangle", "hexagon", "ring", "star")
SCALES = (0.2, 0.35, 0.5, 0.65, 0.8)  # object diameter / image side, our five versions


def _outline(shape: str, radius: float, angle: float) -> np.ndarray:
    """Polygon vertices (K, 2) of a shape centred at 0 with circumradius ``radius``."""
    corners = {"square": 4, "triangle": 3, "hexagon": 6}
    if shape == "star":
        t = angle + np.arange(10) * np.pi / 5
        r = np.where(np.arange(10) % 2 == 0, radius, 0.45 * radius)
    else:
        k = corners[shape]
        t = angle + np.arange(k) * 2 * np.pi / k
        r = np.full(k, radius)
    return np.stack([r * np.sin(t), r * np.cos(t)], axis=1)


def draw_shape(shape: str, scale: float, image_size: int, rng: np.random.Generator,
               ) -> np.ndarray:
    """One (H, W, 3) float image in [0, 1] holding ``shape`` at relative size ``scale``."""
    if shape not in SHAPES:
        raise ValueError(f"unknown shape {shape!r}; choose one of: {', '.join(SHAPES)}")
    if not 0.0 < scale <= 1.0:
        raise ValueError(f"scale is the object's size relative to the image, in (0, 1]; "
                         f"got {scale}")
    big = 2 * image_size
    # background: a random colour with a linear lighting gradient in a random direction
    yy, xx = np.mgrid[0:big, 0:big] / big - 0.5
    theta = rng.uniform(0, 2 * np.pi)
    light = 1.0 + 0.4 * (np.cos(theta) * xx + np.sin(theta) * yy)
    img = rng.uniform(0.1, 0.9, 3)[None, None, :] * light[..., None]
    radius = scale * big / 2
    margin = big / 2 - radius
    centre = big / 2 + rng.uniform(-margin, margin, 2) * 0.5
    mask = np.zeros((big, big), dtype=bool)
    if shape in ("disk", "ring"):
        mask[disk(tuple(centre), radius, shape=mask.shape)] = True
        if shape == "ring":
            mask[disk(tuple(centre), 0.5 * radius, shape=mask.shape)] = False
    else:
        pts = _outline(shape, radius, rng.uniform(0, 2 * np.pi)) + centre
        mask[polygon(pts[:, 0], pts[:, 1], shape=mask.shape)] = True
    colour = rng.uniform(0.0, 1.0, 3)
    texture = 1.0 + 0.1 * rng.standard_normal((big, big))
    img[mask] = (colour[None, :] * texture[mask][:, None])
    small = resize(img, (image_size, image_size), anti_aliasing=True)
    return np.clip(small, 0.0, 1.0)


@dataclass(frozen=True)
class ShapesSpec:
    """Names (and builds) :func:`make_shapes`."""

    n_per_class: int
    scale: float
    image_size: int = 32
    seed: int = 0

    def build(self) -> ImageSet:
        return make_shapes(self.n_per_class, self.scale, self.image_size, self.seed)


def make_shapes(n_per_class: int, scale: float, image_size: int = 32, seed: int = 0,
                ) -> ImageSet:
    """``n_per_class`` images of each of the six shapes at one object scale, shuffled, uint8."""
    if n_per_class < 1:
        raise ValueError(f"n_per_class must be positive, got {n_per_class}")
    rng = np.random.default_rng(seed)
    labels = np.repeat(np.arange(len(SHAPES)), n_per_class)
    rng.shuffle(labels)
    imgs = np.stack([draw_shape(SHAPES[k], scale, image_size, rng) for k in labels])
    x = torch.from_numpy(np.round(imgs * 255.0).astype(np.uint8)).permute(0, 3, 1, 2)
    return ImageSet(x.contiguous(), torch.from_numpy(labels.astype(np.int64)), SHAPES,
                    f"shapes:scale_{scale:g}", f"generated:seed={seed}",
                    ShapesSpec(n_per_class, scale, image_size, seed))
