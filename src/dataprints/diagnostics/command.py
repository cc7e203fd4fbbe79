"""The ``dataprints diagnose`` subcommand: its options and how it runs (kept here so that
dataprints.cli only registers it). Importing this module loads no torch."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

DESCRIPTION = """\
Run the book's four diagnostics on your own trained classifier and write a report folder
(report.html, self-contained, and report.json with provenance):
early filters (the first conv layer's eight metrics, Jorgenson et al.), anomaly filters (GMM scan
of every conv layer, Dou et al.), frequency shortcuts (per-class DFMs with TPR/FPR, Wang et al.)
and reconstruction (homogeneous ReLU MLPs on binary tasks only, Haim et al.). A diagnostic that
does not apply says why in the report. The model and data are checked against each other
(image shape by one forward pass, class count against the outputs) before any work starts.
"""
EPILOG = """\
examples:
  dataprints diagnose --arch simple_cnn --weights run/epoch15.pt --data cifar10 \\
      --preprocess standard --out diagnosis/
  dataprints diagnose --arch lenet5 --weights e05.pt --weights e10.pt --weights e15.pt \\
      --data my_images/ --out diagnosis/     # checkpoints of one run: count per checkpoint
  dataprints diagnose --torchscript model.ts --data my_images/ --out diagnosis/

Exit status: 0 report written; 1 a diagnostic failed (its error is in the report); 2 the
inputs were refused (nothing was run).
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Register the options of ``dataprints diagnose`` on ``parser``."""
    parser.description, parser.epilog = DESCRIPTION, EPILOG
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    model = parser.add_argument_group("model (an architecture with weights, or TorchScript)")
    model.add_argument("--arch", help="architecture name: one of dataprints.models (mlp, "
                       "simple_cnn, lenet5, alexnet, alexnet_small, resnet18_cifar, resnet18, "
                       "...) or a torchvision model name (built with num_classes from the data; "
                       "no weights are downloaded)")
    model.add_argument("--weights", type=Path, action="append", default=[], metavar="PATH",
                       help="state dict of the trained model (loaded with weights_only=True; "
                       "a training checkpoint with a 'model' entry works too). Repeat for "
                       "checkpoints of one run in training order: the last is diagnosed, the "
                       "anomaly count is given per checkpoint")
    model.add_argument("--initial", type=Path, metavar="PATH",
                       help="state dict before training: the early-filter metrics then read the "
                       "update trained - initial, as the paper does")
    model.add_argument("--torchscript", type=Path, metavar="PATH",
                       help="a TorchScript model instead of --arch/--weights (the anomaly scan "
                       "and the reconstruction need the eager model and say so)")
    data = parser.add_argument_group("data")
    data.add_argument("--data", required=True, help="a supported dataset name (mnist, "
                      "fashion_mnist, cifar10, cifar100, tiny_imagenet, digits: its train and "
                      "test splits) or an image folder in torchvision's ImageFolder layout: "
                      "train/<class>/*.png beside a held-out split folder")
    data.add_argument("--held-out", metavar="NAME", help="the held-out split folder of an image "
                      "folder (default: the first of test, val, valid, validation, held_out)")
    data.add_argument("--preprocess", default="unit",
                      choices=("unit", "standard", "imagenet", "centered"),
                      help="how pixels become the model's inputs, as in its training: unit = "
                      "[0, 1]; standard = per-channel mean/std of the training split; imagenet "
                      "= ImageNet mean/std; centered = training-mean image subtracted "
                      "(default: unit)")
    data.add_argument("--image-size", type=int, metavar="PX",
                      help="resize every image of an image folder to PX x PX")
    opts = parser.add_argument_group("diagnostics")
    opts.add_argument("--n-scan", type=int, default=500, metavar="N",
                      help="training images in the seeded anomaly-scan sample; 0 = all "
                      "(default: 500)")
    opts.add_argument("--dfm-images", type=int, default=10, metavar="N",
                      help="held-out images per class that rank frequencies for the DFMs "
                      "(default: 10)")
    opts.add_argument("--dfm-patch", type=int, default=0, metavar="PX",
                      help="frequency block size of the DFM search; 0 = single frequencies up "
                      "to 32 px images, coarser blocks above (default: 0)")
    opts.add_argument("--dfm-top", type=float, default=0.05, metavar="FRACTION",
                      help="fraction of frequencies a DFM keeps (paper: 0.05)")
    opts.add_argument("--recon-iterations", type=int, default=2000, metavar="N",
                      help="optimiser steps of the reconstruction (Haim et al.: 50,000; "
                      "default: 2000)")
    opts.add_argument("--recon-candidates", type=int, default=1000, metavar="N",
                      help="at most this many candidates (Haim et al.: twice the training set; "
                      "default: 1000)")
    opts.add_argument("--seed", type=int, default=0, help="seed of the scan sample, the "
                      "mixtures and the reconstruction (default: 0)")
    parser.add_argument("--out", type=Path, default=Path("diagnosis"), metavar="FOLDER",
                        help="report folder (default: ./diagnosis)")


def run(args: argparse.Namespace) -> int:
    """Run the diagnosis the parsed options describe; 2 when the inputs are refused."""
    from dataprints.data import CorruptData, DatasetUnavailable
    from dataprints.diagnostics.inputs import InputError
    from dataprints.diagnostics.run import diagnose

    if args.torchscript is not None and (args.arch or args.weights or args.initial):
        print("error: give --torchscript alone, or --arch with --weights (and --initial), not "
              "both", file=sys.stderr)
        return 2
    if args.torchscript is None and args.arch is None:
        print("error: give --arch with --weights, or --torchscript", file=sys.stderr)
        return 2
    if args.arch is not None and not args.weights:
        print(f"error: --arch {args.arch} needs --weights (a state dict)", file=sys.stderr)
        return 2
    model = args.torchscript if args.torchscript is not None else args.arch
    try:
        report = diagnose(model, args.data, args.out, weights=args.weights,
                          initial=args.initial, preprocess=args.preprocess,
                          held_out=args.held_out, image_size=args.image_size,
                          n_scan=args.n_scan, dfm_images=args.dfm_images,
                          dfm_patch=args.dfm_patch, dfm_top=args.dfm_top,
                          recon_iterations=args.recon_iterations,
                          recon_candidates=args.recon_candidates, seed=args.seed)
    except (InputError, DatasetUnavailable, CorruptData) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for s in report.sections:
        print(f"{s.name}: {s.status}{' - ' + (s.why or s.error) if s.why or s.error else ''}"
              f" ({s.seconds:.1f} s)")
    print(f"report: {report.html_path} and {report.json_path}")
    return 1 if any(s.error for s in report.sections) else 0
