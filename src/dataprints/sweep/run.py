"""Execute specs, and sweep them: a process pool here, a Slurm job array (submitit) or Ray tasks.

Every executor runs the same :func:`task` in its worker: it points ``DATAPRINTS_CACHE`` at the
sweep's cache, sends the worker's output to the spec's log and calls :func:`execute`. A spec is
done when the record of its last execution names an artifact whose manifest verifies
(:func:`missing`). A killed worker leaves only a temporary folder and the resumable checkpoint
beside its artifact, never a manifest: the next sweep runs the spec again and resumes from the
checkpoint. Two sweeps over one cache share the artifacts' locks, so a run is trained once.
"""

from __future__ import annotations

import importlib
import json
import os
import pickle
import secrets
import socket
import subprocess
import sys
import time
import traceback
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import torch
import yaml

from dataprints.artifacts import MANIFEST, spec_description, spec_key, verify
from dataprints.atomic import write_json
from dataprints.paths import CACHE_ENV, cache_dir
from dataprints.progress import progress as progress_bar
from dataprints.sweep.specs import SweepError, runner_for, sweep_specs
from dataprints.train import TRAINING_CODE_VERSION

EXECUTORS = ("local", "submitit", "ray")
EXTRAS = {"submitit": "slurm", "ray": "ray"}  # executor -> pip extra that installs it


def label(spec: Any) -> str:
    """A spec's name in records and logs: its class and key (the training code included)."""
    return f"{type(spec).__name__}-{spec_key(spec, training_code=TRAINING_CODE_VERSION)}"


def record_path(spec: Any) -> Path:
    return cache_dir() / "sweeps" / "done" / f"{label(spec)}.json"


@dataclass(frozen=True)
class Outcome:
    """What executing one spec gave: its artifact folder, and whether it was trained just now."""

    label: str
    folder: str
    built: bool
    seconds: float


@dataclass(frozen=True)
class Failure:
    """A spec whose task did not finish, where to read why."""

    label: str
    spec: str  # repr
    why: str
    logs: tuple[str, ...]


def execute(spec: Any) -> Outcome:
    """Train ``spec`` (or load it from the cache) as its notebook does, and record which
    artifact holds it; returns once the artifact is complete."""
    run = runner_for(spec)
    start = time.perf_counter()
    trained = run()
    key = json.loads((trained.folder / MANIFEST).read_text())["key"]
    write_json(record_path(spec), {"artifact": trained.folder.name, "key": key,
                                   "spec": spec_description(spec)})
    return Outcome(label(spec), trained.folder.name, not trained.from_cache,
                   round(time.perf_counter() - start, 3))


def missing(spec: Any) -> str | None:
    """None when a sweep completed ``spec`` and its artifact verifies; else what is missing."""
    path = record_path(spec)
    if not path.is_file():
        return "not executed yet"
    try:
        record = json.loads(path.read_text())
        folder, key = cache_dir() / "artifacts" / record["artifact"], record["key"]
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        return f"{path} is unreadable ({type(exc).__name__}: {exc})"
    return verify(folder, key)


@contextmanager
def _output_to(log: Path) -> Iterator[None]:
    """The process's stdout and stderr (Python's, torch's, a crash's) appended to ``log``."""
    log.parent.mkdir(parents=True, exist_ok=True)
    sys.stdout.flush()
    sys.stderr.flush()
    saved = [os.dup(1), os.dup(2)]
    with open(log, "ab", buffering=0) as out:
        os.dup2(out.fileno(), 1)
        os.dup2(out.fileno(), 2)
        try:
            yield
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            for fd, old in zip((1, 2), saved, strict=True):
                os.dup2(old, fd)
                os.close(old)


def task(spec: Any, cache: str, log: str, threads: int) -> Outcome:
    """One spec in a worker of any executor: the sweep's cache, its log, ``threads`` for torch."""
    os.environ[CACHE_ENV] = cache
    torch.set_num_threads(threads)
    with _output_to(Path(log)):
        print(f"sweep: {label(spec)} on {socket.gethostname()} (pid {os.getpid()}, "
              f"{threads} threads)\n{spec!r}", flush=True)
        try:
            outcome = execute(spec)
        except BaseException:
            traceback.print_exc()
            raise
        print(f"sweep: {'trained' if outcome.built else 'found in the cache'} in "
              f"{outcome.seconds:.1f} s: {outcome.folder}", flush=True)
    return outcome


@dataclass
class Resources:
    """What each task of a cluster sweep gets (submitit, Ray), from options or a YAML file
    whose keys are these fields."""

    cpus: int = 1  # per task; also torch's threads
    gpus: int = 0  # per task
    partition: str | None = None  # Slurm partition (default: the cluster's)
    time_min: int = 24 * 60  # Slurm time limit per task
    mem_gb: float | None = None  # Slurm memory per task
    array_parallelism: int = 256  # Slurm tasks of the array running at once
    extra: dict[str, Any] = field(default_factory=dict)  # more submitit parameters, e.g.
    # slurm_account, slurm_constraint, slurm_setup (lines run before each task)

    def __post_init__(self) -> None:
        if self.cpus < 1 or self.gpus < 0 or self.time_min < 1 or self.array_parallelism < 1:
            raise SweepError(f"resources need cpus >= 1, gpus >= 0, time_min >= 1 and "
                             f"array_parallelism >= 1, got {self}")

    @classmethod
    def load(cls, path: Path | None = None, **options: Any) -> Resources:
        """The YAML file's values (if any), then every option that is not None."""
        values: dict[str, Any] = {}
        if path is not None:
            values = yaml.safe_load(Path(path).read_text()) or {}
            known = {f.name for f in fields(cls)}
            if not isinstance(values, dict) or set(values) - known:
                raise SweepError(f"{path}: a cluster config is a mapping with keys among "
                                 f"{sorted(known)}, got {values!r:.200}")
        values.update({k: v for k, v in options.items() if v is not None})
        return cls(**values)


@dataclass
class SweepReport:
    """How a sweep went: skipped (complete before), done, failed (with their logs)."""

    executor: str
    folder: Path  # this sweep's logs
    total: int
    skipped: list[str] = field(default_factory=list)
    done: list[Outcome] = field(default_factory=list)
    failed: list[Failure] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.failed

    def summary(self) -> str:
        trained = sum(o.built for o in self.done)
        lines = [f"sweep ({self.executor}): {self.total} specs, {len(self.skipped)} complete "
                 f"before, {len(self.done)} done now ({trained} trained, "
                 f"{len(self.done) - trained} found in the cache), {len(self.failed)} failed, "
                 f"in {self.seconds:.1f} s"
                 + (f"; logs in {self.folder}" if self.done or self.failed else "")]
        lines += [f"  failed {f.label}: {f.why}; log {' and '.join(f.logs)}" for f in self.failed]
        return "\n".join(lines)


@dataclass(frozen=True)
class _Task:
    spec: Any
    label: str
    log: Path


class _Progress:
    """A bar over the specs to run, with done / running / failed, and a line per event."""

    def __init__(self, report: SweepReport, todo: int) -> None:
        self.report = report
        self.running = 0
        self.bar = progress_bar(total=todo, desc="sweep", unit="run", file=sys.stderr)

    def _post(self) -> None:
        self.bar.set_postfix(done=len(self.report.done), running=self.running,
                             failed=len(self.report.failed))

    def note(self, text: str) -> None:
        self.bar.write(f"sweep: {text}", file=sys.stderr)

    def now_running(self, n: int) -> None:
        if n != self.running:
            self.running = n
            self._post()

    def finished(self, outcome: Outcome) -> None:
        self.report.done.append(outcome)
        self.note(f"done {outcome.label} ({'trained' if outcome.built else 'found in the cache'}"
                  f", {outcome.seconds:.1f} s)")
        self.bar.update()
        self._post()

    def failed(self, item: _Task, why: str, *more_logs: str) -> None:
        failure = Failure(item.label, repr(item.spec), why, (str(item.log), *more_logs))
        self.report.failed.append(failure)
        self.note(f"FAILED {item.label}: {why}; log {' and '.join(failure.logs)}")
        self.bar.update()
        self._post()


def _optional(executor: str) -> Any:
    """The executor's package, or a clear error saying which extra installs it."""
    try:
        return importlib.import_module(executor)
    except ImportError as exc:
        raise SweepError(f"--executor {executor} needs the {executor} package: pip install "
                         f"'dataprints[{EXTRAS[executor]}]' ({exc})") from None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}"


def _local(items: list[_Task], folder: Path, workers: int, progress: _Progress,
           poll: float) -> None:
    """Each spec in its own worker process (a killed one takes no other spec with it), at most
    ``workers`` at once, the cores shared between them unless OMP_NUM_THREADS says how many
    threads each gets (float results depend on it: same threads, same bits)."""
    threads = int(os.environ.get("OMP_NUM_THREADS") or max(1, (os.cpu_count() or 1) // workers))
    env = {**os.environ, "OMP_NUM_THREADS": str(threads)}
    pending = items[::-1]
    running: dict[subprocess.Popen[bytes], tuple[_Task, Path]] = {}
    try:
        while pending or running:
            while pending and len(running) < workers:
                item = pending.pop()
                args, result = (folder / f"{item.label}.{part}" for part in ("task.pkl",
                                                                             "outcome.json"))
                args.write_bytes(pickle.dumps((item.spec, str(cache_dir()), str(item.log),
                                               threads)))
                with open(item.log, "ab") as log:
                    proc = subprocess.Popen([sys.executable, "-m", "dataprints.sweep.worker",
                                             str(args), str(result)], stdout=log,
                                            stderr=subprocess.STDOUT, env=env)
                running[proc] = (item, result)
            progress.now_running(len(running))
            time.sleep(poll)
            for proc, (item, result) in list(running.items()):
                code = proc.poll()
                if code is None:
                    continue
                del running[proc]
                if code == 0:
                    progress.finished(Outcome(**json.loads(result.read_text())))
                else:
                    progress.failed(item, f"killed by signal {-code}" if code < 0 else
                                    f"exit status {code}")
    finally:
        for proc in running:
            proc.terminate()
        for proc in running:
            proc.wait()


def _submitit(items: list[_Task], folder: Path, resources: Resources, cluster: str | None,
              progress: _Progress, poll: float) -> None:
    """A job array through ``map_array`` (``cluster``: None = Slurm when sbatch is found, else
    this machine; "local" for tests). Jobs outlive a stopped driver; a later sweep skips what
    they completed."""
    submitit = _optional("submitit")
    executor = submitit.AutoExecutor(folder=folder / "submitit", cluster=cluster)
    params: dict[str, Any] = {"name": "dataprints-sweep", "timeout_min": resources.time_min,
                              "cpus_per_task": resources.cpus, "gpus_per_node": resources.gpus,
                              "slurm_array_parallelism": resources.array_parallelism}
    if resources.partition:
        params["slurm_partition"] = resources.partition
    if resources.mem_gb:
        params["mem_gb"] = resources.mem_gb
    executor.update_parameters(**params, **resources.extra)
    n = len(items)
    jobs = executor.map_array(task, [i.spec for i in items], [str(cache_dir())] * n,
                              [str(i.log) for i in items], [resources.cpus] * n)
    progress.note(f"submitted {n} tasks to {executor.cluster} (job {jobs[0].job_id})")
    waiting = dict(zip(jobs, items, strict=True))
    while waiting:
        time.sleep(poll)
        for job, item in list(waiting.items()):
            if not job.done():
                continue
            del waiting[job]
            exc = job.exception()
            if exc is None:
                progress.finished(job.result())
            else:
                progress.failed(item, _first_line(exc), str(job.paths.stderr))
        progress.now_running(sum(job.state == "RUNNING" for job in waiting))


def start_ray(**init: Any) -> None:
    """``ray.init(**init)``, once more if the start timed out: Ray gives a new node 30 s to
    register, which a busy machine can miss."""
    ray = _optional("ray")
    for attempt in (1, 2):
        try:
            ray.init(**init)
            return
        except Exception as exc:
            ray.shutdown()
            if attempt == 2 or "timed out during startup" not in str(exc):
                raise


def _ray(items: list[_Task], resources: Resources, address: str | None, progress: _Progress,
         poll: float) -> None:
    """One Ray task per spec with its CPUs and GPUs; joins a running Ray (``ray.init`` done
    by the caller, ``address``, or RAY_ADDRESS), else starts one here. "running" counts the
    tasks submitted and not finished."""
    ray = _optional("ray")
    started = not ray.is_initialized()
    if started:
        start_ray(address=address, log_to_driver=False)
    try:
        remote = ray.remote(num_cpus=resources.cpus, num_gpus=resources.gpus, max_retries=0)(task)
        refs = {remote.remote(i.spec, str(cache_dir()), str(i.log), resources.cpus): i
                for i in items}
        progress.note(f"submitted {len(refs)} Ray tasks")
        while refs:
            ready, _ = ray.wait(list(refs), num_returns=len(refs), timeout=poll)
            for ref in ready:
                item = refs.pop(ref)
                try:
                    progress.finished(ray.get(ref))
                except ray.exceptions.RayError as exc:
                    progress.failed(item, _first_line(exc))
            progress.now_running(len(refs))
    finally:
        if started:
            ray.shutdown()


def run_specs(specs: Sequence[Any], executor: str = "local", *, workers: int | None = None,
              resources: Resources | None = None, cluster: str | None = None,
              address: str | None = None, poll: float = 1.0) -> SweepReport:
    """Run every spec whose artifact is missing with ``executor``; the others are skipped.

    ``workers`` (local): processes at once (default: one per two cores). ``resources``
    (submitit, ray): per task. ``cluster`` (submitit): its cluster, None = auto. ``address``
    (ray): the cluster to join. Every spec is checked before any is run.
    """
    if executor not in EXECUTORS:
        raise SweepError(f"unknown executor {executor!r}; choose one of {EXECUTORS}")
    if executor != "local":
        _optional(executor)
    workers = workers or max(1, (os.cpu_count() or 1) // 2)
    if workers < 1:
        raise SweepError(f"workers must be >= 1, got {workers}")
    resources = resources or Resources()
    unique = list(dict.fromkeys(specs))
    for spec in unique:
        runner_for(spec)
        try:
            pickle.dumps(spec)
        except (pickle.PicklingError, TypeError, AttributeError) as exc:
            raise SweepError(f"{spec!r:.200} cannot be sent to a worker: {exc}") from None
    start = time.perf_counter()
    folder = cache_dir() / "sweeps" / (f"{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}-"
                                       f"{secrets.token_hex(3)}")
    report = SweepReport(executor, folder, len(unique))
    items = []
    for spec in unique:
        if missing(spec) is None:
            report.skipped.append(label(spec))
        else:
            items.append(_Task(spec, label(spec), folder / f"{label(spec)}.log"))
    if items:
        folder.mkdir(parents=True)
    progress = _Progress(report, len(items))
    if report.skipped:
        progress.note(f"{len(report.skipped)} of {len(unique)} specs complete before, skipped")
    try:
        if items and executor == "local":
            _local(items, folder, workers, progress, min(poll, 0.2))
        elif items and executor == "submitit":
            _submitit(items, folder, resources, cluster, progress, poll)
        elif items:
            _ray(items, resources, address, progress, poll)
    finally:
        progress.bar.close()
        report.seconds = round(time.perf_counter() - start, 3)
    return report


def run_sweep(notebook: Path | str, profile: str = "paper", executor: str = "local",
              overrides: dict[str, Any] | None = None, **options: Any) -> SweepReport:
    """Run the specs ``notebook`` trains at ``profile`` (:func:`sweep_specs`), as
    :func:`run_specs` does; the notebook then reads them from the cache."""
    return run_specs(sweep_specs(notebook, profile, overrides), executor, **options)
