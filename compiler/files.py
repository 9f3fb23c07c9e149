"""Atomic file writes: every file of a set appears complete, or none changes.

Files are written into a private staging folder next to their targets (same file system, so
``os.replace`` is atomic), then moved into place. When a move fails, the targets already
replaced get their old contents back, so a model and its external data never mismatch.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO


class StagedFiles:
    """Files staged for an atomic commit into ``directory`` (see ``staged_files``)."""

    def __init__(self, directory: Path, staging: Path) -> None:
        self.directory = directory
        self.staging = staging
        self.names: list[str] = []

    @contextmanager
    def open(self, name: str) -> Iterator[BinaryIO]:
        """A binary file to fill; it replaces ``directory/name`` on commit."""
        if name in self.names or Path(name).name != name:
            raise ValueError(f"{name!r} is not a new plain file name")
        self.names.append(name)
        with open(self.staging / name, "wb") as f:
            yield f

    def path(self, name: str) -> Path:
        """Where a staged file is until the commit (to check it before it goes live)."""
        return self.staging / name

    def commit(self) -> None:
        """Move every staged file into place; on failure, put the old files back."""
        placed: list[tuple[Path, Path | None]] = []  # (target, backup of its old contents)
        try:
            for index, name in enumerate(self.names):
                target = self.directory / name
                is_last = index == len(self.names) - 1
                # The last replace either happens or not: its old file needs no backup.
                backup = None if is_last else self._backup(target)
                os.replace(self.staging / name, target)
                placed.append((target, backup))
        except BaseException:
            for target, backup in reversed(placed):
                if backup is None:
                    target.unlink(missing_ok=True)
                else:
                    os.replace(backup, target)
            raise

    def _backup(self, target: Path) -> Path | None:
        """A hard link to ``target``'s current file (a copy where links are not supported), or
        None when there is no such file."""
        if not target.exists():
            return None
        backup = self.staging / f".old-{target.name}"
        try:
            os.link(target, backup)
        except OSError:
            shutil.copy2(target, backup)
        return backup


@contextmanager
def staged_files(directory: str | os.PathLike[str]) -> Iterator[StagedFiles]:
    """Stage files for ``directory``, committed together when the block ends without error::

        with staged_files(folder) as stage:
            with stage.open("model.onnx") as f:
                f.write(data)

    Nothing in ``directory`` changes when the block raises, and the staging folder is
    removed either way."""
    directory = Path(directory)
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=directory))
    try:
        stage = StagedFiles(directory, staging)
        yield stage
        stage.commit()
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def write_atomically(path: str | os.PathLike[str], data: bytes | str) -> Path:
    """Write ``data`` (text as UTF-8) to ``path`` atomically; returns the path."""
    path = Path(path)
    with staged_files(path.parent) as stage, stage.open(path.name) as f:
        f.write(data.encode() if isinstance(data, str) else data)
    return path
