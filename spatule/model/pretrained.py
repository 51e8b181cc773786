"""Published checkpoints: download, sha256 check, safe unpacking under :data:`spatule.presets.PRETRAINED_ROOT`."""

from __future__ import annotations

import dataclasses
import logging
import shutil
import tarfile
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Optional


from spatule.model.checkpoints import find_checkpoint
from spatule.presets import PRETRAINED_ROOT
from spatule.problems import SpatuleError
from spatule.provenance import sha256_file

LOG = logging.getLogger("spatule.model")


@dataclasses.dataclass(frozen=True)
class Pretrained:
    """A published checkpoint: tarball ``url``, its ``sha256`` (None: not pinned yet; the
    computed hash is logged so it can be pinned) and the folder it unpacks to."""

    url: str
    sha256: Optional[str]
    folder: str




def verify_sha256(path: str | Path, expected: Optional[str]) -> str:
    """Check ``path`` against ``expected`` (hex; None skips the check); returns the actual hash.

    Raises :class:`SpatuleError` naming the file and both hashes on a mismatch.
    """
    actual = sha256_file(Path(path))
    if expected and actual.lower() != expected.strip().lower():
        raise SpatuleError(f"{path}: sha256 {actual} does not match the expected {expected} "
                           "(incomplete or altered download: delete it and fetch again)")
    return actual


def download(url: str, dest: str | Path, sha256: Optional[str] = None, timeout: float = 60) -> Path:
    """Fetch ``url`` to ``dest`` (atomically, through ``dest.part``) and verify its sha256."""
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response, open(part, "wb") as out:
            shutil.copyfileobj(response, out, 1 << 20)
    except OSError as exc:
        part.unlink(missing_ok=True)
        raise SpatuleError(f"{url}: download failed ({exc}); without network, put the file at {dest} by hand")
    try:
        actual = verify_sha256(part, sha256)
    except SpatuleError:
        part.unlink(missing_ok=True)
        raise
    part.replace(dest)
    LOG.info("downloaded %s to %s (sha256 %s)", url, dest, actual)
    return dest


def unpack_checkpoint(tarball: str | Path, dest_dir: str | Path, sha256: Optional[str] = None) -> str:
    """Verify and unpack a checkpoint tarball into ``dest_dir``; return the checkpoint prefix in it.

    Members that would land outside ``dest_dir`` (absolute paths, ``..``,
    links) are refused.
    """
    tarball, dest_dir = Path(tarball), Path(dest_dir)
    verify_sha256(tarball, sha256)
    dest_dir.mkdir(parents=True, exist_ok=True)
    root = dest_dir.resolve()
    try:
        with tarfile.open(tarball) as archive:
            members = archive.getmembers()
            for member in members:
                target = (root / member.name).resolve()
                if not (target == root or root in target.parents) or member.issym() or member.islnk():
                    raise SpatuleError(f"{tarball}: unsafe member {member.name!r} (outside {dest_dir} or a link)")
            archive.extractall(root, members=members, filter="data")
    except tarfile.TarError as exc:
        raise SpatuleError(f"{tarball}: not a readable tar archive ({exc})") from None
    return find_checkpoint(dest_dir)


def pretrained_checkpoint(entry: Pretrained, root: str | Path = PRETRAINED_ROOT, fetch: bool = True) -> str:
    """The checkpoint prefix of a published checkpoint, fetched and unpacked under ``root``.

    ``entry``: the config's ``pretrained`` section as a :class:`Pretrained`. The tarball
    goes to ``root/<name from the URL>`` (put it there by hand where there is no network;
    ``fetch=False`` refuses to download) and is unpacked into ``root/<folder>``. Already
    unpacked: returned as is.
    """
    folder = Path(root) / entry.folder
    try:
        return find_checkpoint(folder)
    except SpatuleError:
        pass
    tarball = Path(root) / Path(urllib.parse.urlparse(entry.url).path).name
    if not tarball.is_file():
        if not fetch:
            raise SpatuleError(f"{tarball}: missing; download {entry.url} there")
        download(entry.url, tarball, entry.sha256)
    return unpack_checkpoint(tarball, folder, entry.sha256)
