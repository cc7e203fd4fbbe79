"""Dominant frequency maps (DFMs) and the TPR/FPR of DFM-filtered test sets (Wang et al., §4.2).

For class c, each frequency (with its conjugate partner) is zeroed in all channels of the class-c
test images and the class-c cross-entropy is recorded; the DFM keeps the ``top`` fraction of
positions whose removal raises the loss most. All masks of a chunk are applied to all images at
once as one (masks x images) tensor and pushed through the model as one batch.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from dataprints.artifacts import cached_tensors
from dataprints.frequency.spectra import conjugate_index, from_spectrum, keep_only, spectrum
from dataprints.progress import progress as progress_bar
from dataprints.train import predict


def cull_masks(size: int, patch: int = 1) -> tuple[torch.Tensor, torch.Tensor]:
    """The distinct masks to zero, and which mask stands for each position.

    Position blocks of ``patch`` x ``patch`` (patch 1: single frequencies) are zeroed together
    with their conjugate-symmetric partners. Identical masks (a frequency and its partner give
    the same one) are evaluated once. Returns ``masks`` (M, size, size) bool, True = zeroed, and
    ``owner`` (size, size) long: the index of the mask that zeroes each position's own block.
    """
    if patch < 1 or size % patch:
        raise ValueError(f"patch must be a positive divisor of the image size {size}, got "
                         f"{patch}")
    rows = torch.arange(size) // patch
    block = (rows[:, None] * (size // patch) + rows[None, :]).reshape(-1)  # (size*size,)
    n_blocks = (size // patch) ** 2
    masks = torch.zeros(n_blocks, size * size, dtype=torch.bool)
    masks[block, torch.arange(size * size)] = True
    partner = conjugate_index(size).reshape(-1)
    masks[block, partner] = True  # position p's partner joins p's block mask
    unique, inverse = torch.unique(masks, dim=0, return_inverse=True)
    return unique.reshape(-1, size, size), inverse[block].reshape(size, size)


def default_chunk(device: torch.device) -> int:
    """Images per forward pass: a GPU wants thousands to stay busy; on a CPU about 64 is fastest
    per image (measured on a simple CNN: larger batches spill activations out of the caches)."""
    return 4096 if device.type == "cuda" else 64


def _cpu_layout(x: torch.Tensor) -> torch.Tensor:
    """Channels-last images on a CPU: its convolution and pooling kernels run about 2x faster so
    for inference; the results are the same up to float rounding."""
    return x.contiguous(memory_format=torch.channels_last) if x.device.type == "cpu" else x


def mask_losses(model: nn.Module, x: torch.Tensor, label: int, masks: torch.Tensor,
                chunk: int | None = None) -> torch.Tensor:
    """(M,) mean cross-entropy of class-``label`` images ``x``, each mask's frequencies zeroed.

    ``chunk`` bounds how many images (masks x images) go through the model at once (default
    :func:`default_chunk`).
    """
    model.eval()
    device = next(model.parameters()).device
    f = spectrum(x.to(device))  # (n, C, H, W) complex, computed once
    keep = (~masks).to(device=device, dtype=f.real.dtype)  # (M, H, W)
    n = len(x)
    per = max(1, (chunk or default_chunk(device)) // n)  # masks per forward pass
    out = torch.empty(len(masks), dtype=torch.float64)
    target = torch.full((n,), label, dtype=torch.long, device=device)
    with torch.no_grad():
        for start in range(0, len(masks), per):
            k = keep[start:start + per]  # (m, H, W)
            imgs = from_spectrum(f[None] * k[:, None, None])  # (m, n, C, H, W)
            logits = model(_cpu_layout(imgs.reshape(-1, *x.shape[1:])))
            loss = nn.functional.cross_entropy(logits, target.repeat(len(k)), reduction="none")
            out[start:start + len(k)] = loss.view(len(k), n).mean(1).double().cpu()
    return out


def mask_losses_loop(model: nn.Module, x: torch.Tensor, label: int,
                     masks: torch.Tensor) -> torch.Tensor:
    """The same losses one mask at a time: the naive reference for tests and the benchmark
    (same memory layout, so a comparison measures the batching alone)."""
    model.eval()
    device = next(model.parameters()).device
    target = torch.full((len(x),), label, dtype=torch.long, device=device)
    out = []
    with torch.no_grad():
        for m in masks:
            logits = model(_cpu_layout(keep_only(x.to(device), ~m)))
            out.append(float(nn.functional.cross_entropy(logits, target)))
    return torch.tensor(out, dtype=torch.float64)


def dfm_scores(model: nn.Module, x: torch.Tensor, y: torch.Tensor, num_classes: int,
               patch: int = 1, chunk: int | None = None, progress: bool = True) -> torch.Tensor:
    """(K, H, W) class-c loss when each position's block (and partner) is zeroed."""
    masks, owner = cull_masks(x.shape[-1], patch)
    scores = []
    for c in progress_bar(range(num_classes), enabled=progress, desc="DFM classes"):
        xc = x[y == c]
        if len(xc) == 0:
            raise ValueError(f"no test images of class {c}: a DFM needs some")
        scores.append(mask_losses(model, xc, c, masks, chunk)[owner])
    return torch.stack(scores)


@dataclass(frozen=True)
class DfmScores:
    """Names one :func:`dfm_scores` result by content: the model's weights, the images, K, patch."""

    model: str  # the trained model's cache folder name, for people reading the cache
    weights_sha256: str
    images_sha256: str
    num_classes: int
    patch: int


def _digest(tensors: list[torch.Tensor]) -> str:
    digest = hashlib.sha256()
    for t in tensors:
        digest.update(t.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()


def cached_dfm_scores(folder: Path, model: nn.Module, x: torch.Tensor, y: torch.Tensor,
                      num_classes: int, patch: int = 1, chunk: int | None = None,
                      progress: bool = True) -> torch.Tensor:
    """:func:`dfm_scores` of the model trained in ``folder``, cached (verified) and reused."""
    spec = DfmScores(Path(folder).name, _digest(list(model.state_dict().values())),
                     _digest([x, y]), num_classes, patch)
    return cached_tensors(spec, lambda: {"scores": dfm_scores(model, x, y, num_classes, patch,
                                                              chunk, progress)})["scores"]


def _block_masks(blocks: torch.Tensor, patch: int, size: int) -> torch.Tensor:
    """(B, size, size) bool: each (row, col) block of ``patch`` x ``patch`` positions (block
    coordinates) together with its conjugate-symmetric partner positions."""
    rows = blocks[:, 0, None] * patch + torch.arange(patch)  # (B, patch)
    cols = blocks[:, 1, None] * patch + torch.arange(patch)
    flat = (rows[:, :, None] * size + cols[:, None, :]).reshape(len(blocks), -1)  # (B, p*p)
    masks = torch.zeros(len(blocks), size * size, dtype=torch.bool)
    masks.scatter_(1, flat, True)
    partner = conjugate_index(size).reshape(-1)
    masks.scatter_(1, partner[flat], True)
    return masks.reshape(-1, size, size)


def hierarchical_losses(model: nn.Module, x: torch.Tensor, label: int,
                        patches: tuple[int, ...] = (4, 2, 1), top: float = 0.05,
                        keep: float = 3.0, chunk: int | None = None,
                        ) -> tuple[torch.Tensor, int]:
    """Coarse-to-fine DFM search for one class (in the spirit of HFSS, CVPR 2025).

    Zero whole ``patches[0]``-blocks (and partners) first; keep the highest-loss blocks that
    cover ``keep`` times the ceil(top * H * W) positions a DFM needs, split them into blocks of
    the next patch size, and repeat down to single frequencies (the last patch must be 1).
    Returns the (H, W) class loss of every single frequency evaluated at the last level (-inf
    elsewhere) and the number of distinct masks evaluated, against the exhaustive search's
    ``len(cull_masks(size)[0])``. Blocks whose zeroing costs little are assumed to hold no
    dominant frequency: this trades exactness for evaluations, so its maps are measured against
    the exhaustive ones (``benchmarks/frequency_dfm.py``).
    """
    size = x.shape[-1]
    steps = zip(patches, patches[1:], strict=False)
    if patches[-1] != 1 or size % patches[0] or any(a % b for a, b in steps):
        raise ValueError(f"patches must divide {size}, each the next, ending at 1; got {patches}")
    need = math.ceil(top * size * size)
    n = size // patches[0]
    blocks = torch.stack(torch.meshgrid(torch.arange(n), torch.arange(n), indexing="ij"),
                         -1).reshape(-1, 2)
    evaluated = 0
    for level, patch in enumerate(patches):
        masks = _block_masks(blocks, patch, size)
        unique, inverse = torch.unique(masks.reshape(len(masks), -1), dim=0, return_inverse=True)
        losses = mask_losses(model, x, label, unique.reshape(-1, size, size), chunk)[inverse]
        evaluated += len(unique)
        if level == len(patches) - 1:
            break
        wanted = math.ceil(keep * need / patch ** 2)
        best = blocks[losses.argsort(descending=True)[:wanted]]
        split = patch // patches[level + 1]
        sub = torch.stack(torch.meshgrid(torch.arange(split), torch.arange(split),
                                         indexing="ij"), -1).reshape(-1, 2)
        blocks = (best[:, None, :] * split + sub[None]).reshape(-1, 2)
    scores = torch.full((size * size,), -math.inf, dtype=torch.float64)
    own = blocks[:, 0] * size + blocks[:, 1]
    scores[own] = losses
    partner = conjugate_index(size).reshape(-1)
    scores[partner[own]] = torch.maximum(scores[partner[own]], losses)
    return scores.reshape(size, size), evaluated


def first_per_class(y: torch.Tensor, n: int, num_classes: int) -> torch.Tensor:
    """Indices of the first ``n`` images of each class (all of a class that has fewer)."""
    if n < 1:
        raise ValueError(f"need at least one image per class, got n={n}")
    return torch.cat([torch.nonzero(y == c).squeeze(1)[:n] for c in range(num_classes)])


def class_dfm_scores(folder: Path, model: nn.Module, x: torch.Tensor, y: torch.Tensor,
                     num_classes: int, per_class: int, patch: int = 1,
                     progress: bool = True) -> torch.Tensor:
    """:func:`cached_dfm_scores` on the first ``per_class`` test images of each class."""
    idx = first_per_class(y, per_class, num_classes)
    return cached_dfm_scores(folder, model, x[idx], y[idx], num_classes, patch,
                             progress=progress)


def dominant_frequency_maps(scores: torch.Tensor, top: float = 0.05) -> torch.Tensor:
    """(K, H, W) bool DFMs: positions whose loss is at least the ceil(top * H * W)-th largest.

    Ties at the threshold are all kept, as in the authors' code, so a DFM can hold a little
    more than ``top`` of the plane (more with a coarse patch, whose blocks share one score).
    """
    if not 0.0 < top <= 1.0:
        raise ValueError(f"top is the kept fraction of frequencies, in (0, 1]; got {top}")
    flat = scores.reshape(len(scores), -1)
    k = math.ceil(top * flat.shape[1])
    threshold = flat.topk(k, dim=1).values[:, -1:]  # (K, 1)
    return (flat >= threshold).reshape(scores.shape)


def class_rates(pred: torch.Tensor, y: torch.Tensor, cls: int) -> tuple[float, float]:
    """(TPR, FPR) of class ``cls``: its images predicted ``cls``; other images predicted ``cls``."""
    pos = y == cls
    tpr = float((pred[pos] == cls).float().mean()) if pos.any() else math.nan
    fpr = float((pred[~pos] == cls).float().mean()) if (~pos).any() else math.nan
    return tpr, fpr


def dfm_rates(model: nn.Module, x: torch.Tensor, y: torch.Tensor,
              dfms: torch.Tensor | None) -> tuple[list[float], list[float]]:
    """Per-class (TPR, FPR); with ``dfms``, class c is tested on every image filtered by DFM_c.

    A frequency shortcut shows as a high TPR with a low FPR: the few DFM frequencies suffice
    to recognise class c, and do not pull other images towards it. ``dfms=None`` gives the
    baseline on the unfiltered images.
    """
    num_classes = int(y.max()) + 1 if dfms is None else len(dfms)
    tprs, fprs = [], []
    base = predict(model, x).argmax(1).cpu() if dfms is None else None
    for c in range(num_classes):
        pred = base if base is not None else predict(model, keep_only(x, dfms[c])).argmax(1).cpu()
        tpr, fpr = class_rates(pred, y, c)
        tprs.append(tpr)
        fprs.append(fpr)
    return tprs, fprs
