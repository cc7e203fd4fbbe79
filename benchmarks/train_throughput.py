"""Images/s of the tensor-indexing training loop vs a plain DataLoader loop, same model and data.

    python benchmarks/train_throughput.py [--images 5000] [--epochs 2]

Both train the simple CNN (32-64-64) on CIFAR-10 images with Adam, batch 128, from the same
initial weights; the DataLoader loop is the textbook one (TensorDataset, shuffle, workers=0).
"""

from __future__ import annotations

import argparse
import time

import torch
from torch.utils.data import DataLoader, TensorDataset

from dataprints import data
from dataprints.models import build_model
from dataprints.train import TrainConfig, train


def dataloader_loop(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, epochs: int,
                    batch: int) -> None:
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loader = DataLoader(TensorDataset(x, y), batch_size=batch, shuffle=True, num_workers=0)
    model.train()
    for _ in range(epochs):
        for xb, yb in loader:
            loss = torch.nn.functional.cross_entropy(model(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--images", type=int, default=5000)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    subset = data.balanced_subset(data.load("cifar10"), args.images // 10, seed=0)
    x, y = data.normalize(subset.float(), "cifar10"), subset.y
    seen = args.epochs * len(x)

    def fresh() -> torch.nn.Module:
        torch.manual_seed(0)
        return build_model("simple_cnn", in_channels=3, image_size=32, num_classes=10)

    def ours() -> None:
        train(fresh(), TrainConfig(epochs=args.epochs, batch_size=128), (x, y), progress=False)

    def plain() -> None:
        dataloader_loop(fresh(), x, y, args.epochs, 128)

    best = {"ours": float("inf"), "plain": float("inf")}
    for _ in range(args.repeats):  # alternate, keep the best of each: warm-up and noise cancel
        for name, fn in (("ours", ours), ("plain", plain)):
            start = time.perf_counter()
            fn()
            best[name] = min(best[name], time.perf_counter() - start)
    ours_s, plain_s = best["ours"], best["plain"]
    print(f"{len(x)} images x {args.epochs} epochs, {torch.get_num_threads()} threads")
    print(f"best of {args.repeats} runs each")
    print(f"dataprints.train : {ours_s:6.2f} s  {seen / ours_s:7.0f} images/s")
    print(f"DataLoader loop  : {plain_s:6.2f} s  {seen / plain_s:7.0f} images/s")


if __name__ == "__main__":
    main()
