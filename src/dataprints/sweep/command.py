"""The ``dataprints sweep`` subcommand: its options and how it runs (kept here so that
dataprints.cli only registers it). Importing this module loads no torch."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

DESCRIPTION = """\
Train every run a notebook needs at a profile, here or on a cluster, into the cache
(DATAPRINTS_CACHE: put it on a filesystem the workers share). Runs whose artifact is complete
are skipped, so a sweep restarts where it stopped. Afterwards `dataprints run NOTEBOOK
--profile ...` with the same cache reads the models instead of training them.
"""
EPILOG = """\
examples:
  dataprints sweep notebooks/anomaly/overfitting_anomaly_counts.py --profile paper --dry-run
  dataprints sweep notebooks/frequency/learning_order.py --profile paper --workers 2
  dataprints sweep notebooks/anomaly/overfitting_anomaly_counts.py --profile paper \\
      --executor submitit --partition gpu --gpus 1 --cpus 8 --time 720
  dataprints sweep notebooks/frequency/band_stop.py --profile paper --executor ray \\
      --address auto --gpus 1 --cpus 4

A --cluster-config YAML file may hold cpus, gpus, partition, time_min, mem_gb,
array_parallelism and extra (more submitit parameters, e.g. slurm_account); options win.
Exit status: 0 every run complete; 1 a run failed (its log is named); 2 refused (nothing ran).
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from dataprints.notebooks import PROFILES

    parser.description = DESCRIPTION
    parser.epilog = EPILOG
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("notebook", type=Path, help="a notebooks/**/*.py file that has a sweep")
    parser.add_argument("--profile", choices=PROFILES, default="quick",
                        help="whose parameters name the runs (as for dataprints run)")
    parser.add_argument("-p", "--parameter", nargs=2, action="append", default=[],
                        metavar=("NAME", "VALUE"), help="override one parameter (repeatable)")
    parser.add_argument("--executor", choices=("local", "submitit", "ray"), default="local",
                        help="local: worker processes here; submitit: a Slurm job array "
                        "(pip install 'dataprints[slurm]'); ray: Ray tasks (pip install "
                        "'dataprints[ray]')")
    parser.add_argument("--dry-run", action="store_true",
                        help="list the runs and whether each is complete; run nothing")
    parser.add_argument("--workers", type=int, help="local: runs at once (default: one per two "
                        "cores; they share this machine's GPU)")
    parser.add_argument("--cpus", type=int, help="submitit, ray: CPUs per run (default 1)")
    parser.add_argument("--gpus", type=int, help="submitit, ray: GPUs per run (default 0)")
    parser.add_argument("--partition", help="submitit: Slurm partition")
    parser.add_argument("--time", type=int, dest="time_min",
                        help="submitit: time limit per run in minutes (default 1440)")
    parser.add_argument("--mem-gb", type=float, help="submitit: memory per run")
    parser.add_argument("--array-parallelism", type=int,
                        help="submitit: runs of the array at once (default 256)")
    parser.add_argument("--cluster-config", type=Path,
                        help="submitit, ray: a YAML file of the resources above")
    parser.add_argument("--cluster", choices=("slurm", "local", "debug"),
                        help="submitit: its cluster (default: Slurm when sbatch is found, "
                        "else this machine)")
    parser.add_argument("--address", help="ray: the cluster to join (default: RAY_ADDRESS, "
                        "else a Ray started here)")


def run(args: argparse.Namespace) -> int:
    from dataprints.cli import _overrides
    from dataprints.notebooks import ParameterError
    from dataprints.sweep.run import Resources, missing, run_specs
    from dataprints.sweep.specs import SweepError, sweep_specs

    try:
        specs = sweep_specs(args.notebook, args.profile, _overrides(args.parameter))
        if args.dry_run:
            faults = [missing(spec) for spec in specs]
            for spec, fault in zip(specs, faults, strict=True):
                print(f"{fault or 'complete'}: {spec!r}")
            print(f"{len(specs)} runs, {faults.count(None)} complete")
            return 0
        resources = Resources.load(args.cluster_config, cpus=args.cpus, gpus=args.gpus,
                                   partition=args.partition, time_min=args.time_min,
                                   mem_gb=args.mem_gb, array_parallelism=args.array_parallelism)
        report = run_specs(specs, args.executor, workers=args.workers, resources=resources,
                           cluster=args.cluster, address=args.address)
    except (SweepError, ParameterError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(report.summary())
    return 0 if report.ok else 1
