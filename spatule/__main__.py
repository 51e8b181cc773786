"""Command line (``spatule`` once installed, else ``python -m spatule``):

* ``spatule detect PHOTOS --model results/exported --out DIR``: the detect rule's search on a folder,
  with no Snakefile, for someone who received a trained model;
* ``spatule gpu-check [--preset gpu] [--steps 20]``: what TensorFlow sees, then a few training steps.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import Any, Optional, Sequence

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
    add_detect(commands)
    return top


def add_detect(commands: argparse._SubParsersAction) -> None:
    """The ``detect`` subcommand."""
    detect = commands.add_parser("detect", help="find tags in a folder of photos with an exported model",
                                 description="Search every photo under PHOTOS (nested folders too) at full size with "
                                             "an exported model, as the workflow's detect rule does: detections.csv, "
                                             "photos.csv, one crop per tag, labelImg files and a sheet in --out. "
                                             "Photos already searched with the same model and settings are "
                                             "skipped (the cache in --out).")
    detect.add_argument("photos", type=Path, help="folder of photos")
    detect.add_argument("--model", type=Path, required=True,
                        help="the exported model: the workflow's results/exported (or its saved_model folder)")
    detect.add_argument("--out", type=Path, required=True, help="folder for the results")
    detect.add_argument("--score-threshold", type=float, default=None,
                        help="boxes kept (default: the model card's, chosen on the real val photos)")
    detect.add_argument("--info-bar-px", type=int, default=None,
                        help="rows at the bottom not searched: the camera's info bar (default: the model card's)")
    detect.add_argument("--overlap", type=int, default=None, help="pixels shared by tiles (default: the model card's)")
    detect.add_argument("--mask", type=rectangle, action="append", default=None, metavar="X0,Y0,X1,Y1",
                        help="a rectangle never searched (camera.mask: a negative value counts from the right or "
                             "bottom edge, 0 as X1 or Y1 is that edge; write --mask=-300,0,0,50 when it starts with "
                             "a minus); repeat it for several; given, these replace the model card's")
    detect.add_argument("--batch-size", type=int, default=None, help="tiles per model call")
    detect.add_argument("--threads", type=int, default=4, help="CPU threads (default: 4)")
    detect.add_argument("--engine", choices=("auto", "tflite", "saved_model"), default="auto",
                        help="runtime: tflite (model.tflite beside the SavedModel; fast on a CPU), saved_model (GPU), "
                             "auto: the SavedModel where a GPU is visible, else model.tflite when there is one "
                             "(default: auto)")
    detect.add_argument("--reader", type=Path, default=None,
                        help="also read each tag's code with this reader (a results/reader folder: reader.npz, "
                             "reader.json), writing sightings.csv and birds.csv")
    detect.add_argument("--registry", type=Path, default=None,
                        help="with --reader: the registry CSV of banded birds (a 'code' column); a tag is read as "
                             "one of its codes or unread")
    detect.add_argument("--read-threshold", type=float, default=None,
                        help="with --reader: probability a registry code needs (default: the one chosen on validation "
                             "tags, in the reader folder's threshold.json)")
    detect.add_argument("--read-margin", type=float, default=None,
                        help="with --reader: how many times likelier than the runner-up a registry code must be "
                             "(default: the reader folder's threshold.json)")


def rectangle(text: str) -> tuple[int, int, int, int]:
    """``--mask X0,Y0,X1,Y1`` as four integers."""
    try:
        values = tuple(int(v) for v in text.split(","))
    except ValueError:
        values = ()
    if len(values) != 4:
        raise argparse.ArgumentTypeError(f"{text!r}: give four integers X0,Y0,X1,Y1 (pixels)")
    return values  # type: ignore[return-value]


def run_detect(args: argparse.Namespace) -> dict:
    """``spatule detect``: settings from the model card beside the model, the flags on top."""
    from spatule.detection.card import ModelCard, read_card, saved_model_of, search_dict, tflite_of
    from spatule.detection.engines import ModelFiles, searcher
    from spatule.stages import detect_folder

    saved_model = saved_model_of(args.model)
    card = read_card(args.model)
    flags = {"score_threshold": args.score_threshold, "info_bar_px": args.info_bar_px, "overlap": args.overlap,
             "batch_size": args.batch_size, "mask": tuple(args.mask) if args.mask else None}
    settings = card.settings({k: v for k, v in flags.items() if v is not None})
    card = ModelCard(search_dict(settings), card.class_name, card.threshold)
    log = logging.getLogger("spatule.detect")
    log.info("score threshold %.4f (%s)", settings.score_threshold, "--score-threshold" if args.score_threshold
             is not None else f"the model card's, {card.threshold.get('source', 'as written')}")
    model = searcher(ModelFiles(saved_model, tflite_of(args.model), args.engine, args.threads), log)
    reader = None
    if args.reader is not None:
        from spatule.stages.reading import code_reader

        reader = code_reader(args.reader, args.registry, args.threads, log)
    elif args.registry is not None:
        raise SpatuleError("--registry needs --reader (the folder rule train_reader writes: results/reader)")
    acceptance = None
    if reader is not None:
        acceptance = reader_acceptance(args.reader, args.read_threshold, args.read_margin, log)
    return detect_folder(args.photos, model, card, args.out, cache_root=args.out / "cache", reader=reader,
                         acceptance=acceptance, log=log)


def reader_acceptance(folder: Path, threshold: Optional[float], margin: Optional[float], log: logging.Logger) -> Any:
    """When ``spatule detect`` takes a reading as a bird: the reader folder's ``threshold.json`` (chosen on
    validation tags), each flag given overriding its value; without the file, the fallback."""
    from dataclasses import replace

    from spatule.reading.codes import ACCEPTANCE_FILE, read_acceptance
    from spatule.stages.detection import fallback_acceptance

    chosen = folder / ACCEPTANCE_FILE
    acceptance = read_acceptance(chosen) if chosen.is_file() else fallback_acceptance()
    if not chosen.is_file():
        log.warning("%s: not found; a code is accepted at probability %g (the fallback), not at a threshold chosen "
                    "on validation tags", chosen, acceptance.threshold)
    if threshold is not None:
        acceptance = replace(acceptance, threshold=float(threshold), source="--read-threshold")
    if margin is not None:
        acceptance = replace(acceptance, margin=float(margin))
    return acceptance


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run a subcommand; a :class:`SpatuleError` is one message on stderr and exit status 1."""
    args = parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s", stream=sys.stderr)
    from spatule.progress import show_bar

    show_bar(sys.stderr)  # a bar on a terminal, lines in a log file
    try:
        if args.command == "detect":
            run_detect(args)
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
