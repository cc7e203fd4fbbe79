"""Reconstruction (Haim et al. 2022, as Mehmanchi et al. §4.3 score it): candidates that satisfy
the KKT conditions of a trained homogeneous ReLU MLP, matched to the training images, the best-k
SSIM beside the null baselines (the training mean alone; held-out images never trained on)."""

from __future__ import annotations

import torch
from torch import nn

from dataprints.diagnostics.inputs import UserData, UserModel
from dataprints.diagnostics.section import Section, png_grid
from dataprints.recovered.reconstruction import reconstruct, tuned_config
from dataprints.recovered.score import minmax_scale, null_scores, pairs_for_display, score, ssim

NAME, PAPER = "reconstruction", "Haim et al. 2022; Mehmanchi et al. §4.3 (score)"
PLAIN = (nn.ReLU, nn.Flatten, nn.Identity)


def why_not_reconstructable(model: nn.Module, outputs: int, num_classes: int) -> str:
    """Why the KKT reconstruction does not apply ("" when it does): it needs a ReLU MLP of
    bias-free linear layers (a first-layer bias allowed, as in Haim et al.'s model) with one
    logit on a two-class task."""
    if isinstance(model, torch.jit.ScriptModule):
        return ("the model is TorchScript; the reconstruction swaps its ReLUs for smooth ones "
                "and needs the eager module (architecture name and state dict)")
    if outputs != 1 or num_classes != 2:
        return (f"the model gives {outputs} output(s) on {num_classes} classes; the method "
                f"needs one logit on a binary task")
    leaves = [m for m in model.modules() if not list(m.children())]
    other = sorted({type(m).__name__ for m in leaves if not isinstance(m, (nn.Linear, *PLAIN))})
    if other:
        return (f"the model has {', '.join(other)} layers; the method needs a homogeneous ReLU "
                f"MLP (linear layers and ReLUs only)")
    linears = [m for m in leaves if isinstance(m, nn.Linear)]
    if not linears or not any(isinstance(m, nn.ReLU) for m in leaves):
        return "the model is not a ReLU MLP (it needs linear layers with ReLUs between them)"
    biased = [i for i, m in enumerate(linears) if m.bias is not None and i > 0]
    if biased:
        return (f"linear layer(s) {biased} (counting from 0) have a bias; a homogeneous MLP has "
                f"none beyond the first layer")
    return ""


def reconstruction(user: UserModel, data: UserData, outputs: int, iterations: int = 2000,
                   max_candidates: int = 1000, k: int = 10, seed: int = 0,
                   progress: bool = True) -> Section:
    """Reconstruct candidates from the model's weights and score them against the training
    images (``k`` best pairs); the optimiser uses the authors' tuned settings."""
    why = why_not_reconstructable(user.model, outputs, data.num_classes)
    if why:
        return Section.not_applicable(NAME, PAPER, why)
    train01 = data.train.float().double()
    try:  # the score's own check of the image size (its SSIM window)
        ssim(train01[:1], train01[:1], data_range=1.0)
    except ValueError as exc:
        return Section.not_applicable(NAME, PAPER, f"the SSIM score cannot read these images: "
                                      f"{exc}")
    n = len(data.train)
    candidates = min(2 * n, max_candidates // 2 * 2)
    source = "cifar10" if data.train.x.shape[1] == 3 else "mnist"
    cfg = tuned_config(source, iterations=iterations, candidates=candidates, seed=seed)
    rec = reconstruct(user.model, tuple(data.train.x.shape[1:]), cfg, progress=progress)
    recon01 = minmax_scale(data.pixels(rec.x.double()))
    k = min(k, n)
    result = score(train01, recon01, k)
    nulls = null_scores(train01, train01.mean(0), data.held_out.float().double(), k)
    section = Section(NAME, PAPER)
    section.values = {
        "best_k_ssim": result.best_k, "k": k, "null_mean_image": nulls["mean_image"],
        "null_held_out_images": nulls["other_images"], "above_nulls":
            result.best_k > max(nulls.values()),
        "candidates": candidates, "iterations": iterations, "settings_from": source,
        "final_loss": rec.loss[-1] if rec.loss else None, "train_images": n,
    }
    section.tables["best-k SSIM beside the null baselines"] = [
        {"reconstructions": "from the weights", f"best-{k} SSIM": result.best_k},
        {"reconstructions": "the training mean alone (null)", f"best-{k} SSIM":
            nulls["mean_image"]},
        {"reconstructions": f"{len(data.held_out)} held-out images (null)",
         f"best-{k} SSIM": nulls["other_images"]},
    ]
    section.notes.append(
        f"{iterations} optimiser steps with {candidates} candidates and the authors' tuned "
        f"{source} settings (Haim et al.: 50,000 steps, twice the training set). A best-k SSIM "
        f"means something only above both null baselines.")
    images, ncols = pairs_for_display(train01, recon01, result, count=min(20, n), ncols=10)
    section.figures["best pairs: reconstructions above their nearest training images"] = \
        png_grid(images, ncols=ncols)
    return section
