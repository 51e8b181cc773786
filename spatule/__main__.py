"""Command line: ``python -m spatule gpu-check [--preset gpu] [--steps 20]`` (``spatule`` once installed)."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import Optional, Sequence

from spatule.problems import SpatuleError


def parser() -> argparse.ArgumentParser:
    """The ``spatule`` command and its subcommands."""
    top = argparse.ArgumentParser(prog="spatule", description="spoonbill leg-tag detector: tools beside the workflow")
    commands = top.add_subparsers(dest="command", required=True)
    check = commands.add_parser("gpu-check", help="what TensorFlow sees, then a few training steps of a preset",
                                description="Print the GPUs TensorFlow sees and its CUDA/cuDNN build, then train "
                                            "the preset for a few steps on generated tiles and print steps/s, "
                                            "images/s and GPU memory.")
    check.add_argument("--preset", default="gpu", help="training preset (default: gpu)")
    check.add_argument("--steps", type=int, default=20, help="training steps (default: 20)")
    check.add_argument("--batch-size", type=int, default=None, help="global batch (default: the preset's)")
    check.add_argument("--threads", type=int, default=None, help="CPU threads for TensorFlow")
    check.add_argument("--data", type=Path, default=None,
                       help="a workflow working directory: train on its results/tfrecords (default: generated tiles)")
    check.add_argument("--json", type=Path, default=None, help="also write the result to this JSON file")
    return top


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run a subcommand; a :class:`SpatuleError` is one message on stderr and exit status 1."""
    args = parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s", stream=sys.stderr)
    try:
        if args.command == "gpu-check":
            from spatule.gpu_check import gpu_check

            if args.steps < 4:
                raise SpatuleError(f"--steps {args.steps}: at least 4 (the first loop traces the graph)")
            overrides = {"batch_size": args.batch_size} if args.batch_size else {}
            result = gpu_check(args.preset, args.steps, overrides, threads=args.threads, data=args.data)
            if args.json:
                args.json.write_text(json.dumps(result, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    except SpatuleError as exc:
        logging.getLogger("spatule").error("%s", exc)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
