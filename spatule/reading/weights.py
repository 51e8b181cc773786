"""The reader's weights on disk: one ``.npz`` whose bytes depend only on the weights (fixed zip
times, arrays in layer order), so the same config and seed give a byte-identical file."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from spatule.problems import SpatuleError


def save_weights(arrays: Sequence[np.ndarray], path: Path) -> None:
    """``arrays`` as ``w000.npy``, ``w001.npy``, ... in a zip with fixed times."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for k, array in enumerate(arrays):
            buffer = io.BytesIO()
            np.save(buffer, np.asarray(array), allow_pickle=False)
            info = zipfile.ZipInfo(f"w{k:03d}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, buffer.getvalue())


def load_weights(path: Path) -> list[np.ndarray]:
    """The arrays :func:`save_weights` wrote, in order (a :class:`SpatuleError` names an unreadable file)."""
    try:
        with np.load(path, allow_pickle=False) as stored:
            return [stored[name] for name in sorted(stored.files)]
    except (OSError, ValueError, zipfile.BadZipFile) as exc:
        raise SpatuleError(f"{path}: not a reader's weights ({exc})") from None


def set_weights(model: Any, arrays: Sequence[np.ndarray], path: Path) -> None:
    """Load ``arrays`` into ``model``, naming ``path`` when they do not fit its shapes."""
    expected = [tuple(w.shape) for w in model.get_weights()]
    if [tuple(a.shape) for a in arrays] != expected:
        raise SpatuleError(f"{path}: these weights do not fit the reader network (trained with another version "
                           "or alphabet; rerun rule train_reader)")
    model.set_weights(list(arrays))
