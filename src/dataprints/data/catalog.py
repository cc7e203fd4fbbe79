"""One place for dataset constants: classes, shapes, statistics and the mirror's file names."""

from __future__ import annotations

from dataclasses import dataclass

CIFAR10_CLASSES = (
    "airplane", "automobile", "bird", "cat", "deer",
    "dog", "frog", "horse", "ship", "truck",
)
FASHION_MNIST_CLASSES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)
MNIST_CLASSES = tuple(str(d) for d in range(10))

# Tiny ImageNet labels are indices into the sorted list of all 200 wnids (ImageFolder order).
# The mirror holds these ten; the food-vs-dogs task of Mehmanchi et al. (Appendix B) uses them.
TINY_FOOD = {178: "guacamole", 182: "mashed potato", 190: "meat loaf", 191: "pizza", 192: "potpie"}
TINY_DOGS = {
    24: "Chihuahua", 25: "Yorkshire terrier", 26: "golden retriever",
    27: "Labrador retriever", 28: "German shepherd",
}


@dataclass(frozen=True)
class DatasetInfo:
    """Static facts about a dataset: what its tensors look like and how to normalise them."""

    name: str
    channels: int
    size: int  # height = width, pixels
    num_classes: int
    mean: tuple[float, ...]  # per-channel mean of the training split, pixels in [0, 1]
    std: tuple[float, ...]
    mirror_dir: str  # folder name inside DATAPRINTS_DATA
    mirror_files: dict[str, tuple[str, ...]]  # split -> npz files, concatenated in this order
    note: str = ""


DATASETS: dict[str, DatasetInfo] = {
    "mnist": DatasetInfo(
        "mnist", 1, 28, 10, (0.1307,), (0.3081,), "mnist",
        {"train": ("train.npz",), "test": ("test.npz",)},
    ),
    "fashion_mnist": DatasetInfo(
        "fashion_mnist", 1, 28, 10, (0.2860,), (0.3530,), "fashion_mnist",
        {"train": ("train.npz",), "test": ("test.npz",)},
    ),
    "cifar10": DatasetInfo(
        "cifar10", 3, 32, 10, (0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616), "cifar10",
        {
            "train": tuple(f"train_part{k}.npz" for k in range(5)),
            "test": ("test_first1000.npz",),
        },
        note="the mirror holds only the first 1,000 (exact) test images",
    ),
    "cifar100": DatasetInfo(
        "cifar100", 3, 32, 100, (0.5071, 0.4865, 0.4409), (0.2673, 0.2564, 0.2762), "cifar100",
        {"train": ("train.npz",), "test": ("test.npz",)},
    ),
    "tiny_imagenet": DatasetInfo(
        # statistics of the 10-class subset that the book uses (measured on the mirror)
        "tiny_imagenet", 3, 64, 200, (0.5368, 0.4564, 0.3545), (0.2615, 0.2529, 0.2572),
        "tiny_imagenet", {"train": ("train.npz",), "test": ("test.npz",)},
        note="the mirror holds a 10-class subset (5 dishes, 5 dog breeds); test = val split",
    ),
    "digits": DatasetInfo(
        "digits", 1, 8, 10, (0.3053,), (0.3760,), "",
        {}, note="scikit-learn's bundled 8x8 digits: no download needed",
    ),
}


def info(name: str) -> DatasetInfo:
    """Look up a dataset by name, with an error that lists the valid names."""
    try:
        return DATASETS[name]
    except KeyError:
        raise ValueError(
            f"unknown dataset {name!r}; choose one of: {', '.join(sorted(DATASETS))}"
        ) from None
