"""``python -m dataprints.sweep.worker TASK.pkl OUTCOME.json``: one spec of a local sweep, in a
process of its own, so that a killed or crashed run takes no other spec with it."""

from __future__ import annotations

import pickle
import sys
from dataclasses import asdict
from pathlib import Path

from dataprints.atomic import write_json
from dataprints.sweep.run import task


def main(argv: list[str]) -> int:
    task_file, outcome_file = (Path(a) for a in argv)
    # the driver wrote this file just now: the spec, the cache, the log and the threads
    outcome = task(*pickle.loads(task_file.read_bytes()))
    write_json(outcome_file, asdict(outcome))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
