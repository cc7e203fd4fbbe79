"""The data layer: real datasets as tensors, and the task views the papers use."""

from dataprints.data.catalog import DATASETS, DatasetInfo, info
from dataprints.data.sources import CorruptData, DatasetUnavailable, ImageSet, load
from dataprints.data.tasks import (
    BINARY_TASKS,
    balanced_split,
    balanced_subset,
    binary_view,
    first_n_per_class,
    normalize,
    standardize,
    train_val_split,
)

__all__ = [
    "BINARY_TASKS", "DATASETS", "CorruptData", "DatasetInfo", "DatasetUnavailable", "ImageSet",
    "balanced_split", "balanced_subset", "binary_view", "first_n_per_class", "info", "load",
    "normalize", "standardize", "train_val_split",
]
