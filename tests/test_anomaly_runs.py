"""The anomaly chapter's training runs: the RunSpec is the cache key and builds the data."""

from __future__ import annotations

import dataclasses

from dataprints.anomaly.runs import RunSpec, train_run


def test_run_spec_is_the_key_and_builds_its_own_data(one_thread) -> None:
    spec = RunSpec(dataset="digits", model="lenet5", n_per_class=3, n_val=10, image_size=16,
                   epochs=2, batch_size=10)
    first = train_run(spec, progress=False)
    assert not first.from_cache and first.kept_epochs() == [0, 1, 2]
    assert first.folder.name.startswith("RunSpec-")
    again = train_run(spec, progress=False)
    assert again.from_cache and again.key == first.key
    assert again.history == first.history
    other = train_run(dataclasses.replace(spec, seed=1), progress=False)
    assert other.key != first.key and not other.from_cache
