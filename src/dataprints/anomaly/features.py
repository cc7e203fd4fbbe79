"""Feature maps of any layer, captured with forward hooks, and the conv that feeds a channel."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

SCANNABLE = (nn.Conv2d, nn.ReLU, nn.MaxPool2d, nn.AvgPool2d)


def scannable_layers(model: nn.Module, kinds: tuple[type[nn.Module], ...] = SCANNABLE,
                     ) -> list[str]:
    """Names of the model's conv, ReLU and pooling modules, in forward (registration) order."""
    return [name for name, mod in model.named_modules() if isinstance(mod, kinds)]


def relu_after_conv(model: nn.Module) -> list[str]:
    """The ReLU right after each Conv2d: the layers whose maps this chapter clusters."""
    leaves = [(name, mod) for name, mod in model.named_modules() if not list(mod.children())]
    return [name for (_, prev), (name, mod) in zip(leaves, leaves[1:], strict=False)
            if isinstance(prev, nn.Conv2d) and isinstance(mod, nn.ReLU)]


@torch.no_grad()
def capture(model: nn.Module, x: torch.Tensor, layers: Sequence[str], batch_size: int = 500,
            ) -> dict[str, torch.Tensor]:
    """Outputs (N, C, H, W) of the named modules for inputs ``x``, in eval mode, on the CPU."""
    modules = dict(model.named_modules())
    unknown = [name for name in layers if name not in modules]
    if unknown:
        raise ValueError(f"no layer(s) {unknown} in {type(model).__name__}; choose from "
                         f"{scannable_layers(model)}")
    store: dict[str, list[torch.Tensor]] = {name: [] for name in layers}
    hooks = [modules[name].register_forward_hook(
        lambda _m, _i, out, name=name: store[name].append(out.detach().cpu().clone()))
        for name in layers]
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    try:
        for start in range(0, len(x), batch_size):
            model(x[start:start + batch_size].to(device))
    finally:
        for hook in hooks:
            hook.remove()
        model.train(was_training)
    maps = {name: torch.cat(chunks) for name, chunks in store.items()}
    for name, out in maps.items():
        if out.ndim != 4:
            raise ValueError(f"layer {name!r} outputs shape {tuple(out.shape)}, not feature maps "
                             f"(N, C, H, W)")
    return maps


def feeding_conv(model: nn.Module, layer: str) -> str:
    """The Conv2d whose output channels a conv/ReLU/pool layer's channels are (§4.3 masking)."""
    last_conv = None
    for name, mod in model.named_modules():
        if isinstance(mod, nn.Conv2d):
            last_conv = name
        if name == layer:
            if last_conv is None:
                raise ValueError(f"layer {layer!r} has no Conv2d before it")
            return last_conv
    raise ValueError(f"no layer {layer!r}; choose from {scannable_layers(model)}")
