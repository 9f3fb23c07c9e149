"""Atomic file writes: every file of a set appears complete, or none changes.

Files are written into a private staging folder next to their targets (same file system, so
``os.replace`` is atomic), then moved into place. When a move fails, the targets already
replaced get their old contents back, so a model and its external data never mismatch.
An ``OSError`` names the file the caller asked for, never the staging folder.
"""

from __future__ import annotations

import errno
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO


class StagedFiles:
    """Files staged for an atomic commit into ``directory`` (see ``staged_files``). The
    staging folder is made when the first file is opened, so that a folder that cannot be
    written is reported for that file."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._staging: Path | None = None
        self.names: list[str] = []

    @property
    def staging(self) -> Path:
        """The private staging folder inside ``directory`` (made on first use)."""
        if self._staging is None:
            self._staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=self.directory))
        return self._staging

    @contextmanager
    def open(self, name: str) -> Iterator[BinaryIO]:
        """A binary file to fill; it replaces ``directory/name`` on commit."""
        if name in self.names or Path(name).name != name:
            raise ValueError(f"{name!r} is not a new plain file name")
        with _naming(self.directory / name):
            if (self.directory / name).is_dir():
                # Found now rather than at the commit, after the whole model is written.
                raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR))
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
                with _naming(target):
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

    def remove(self) -> None:
        """Delete the staging folder and what is left in it."""
        if self._staging is not None:
            shutil.rmtree(self._staging, ignore_errors=True)

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
    stage = StagedFiles(Path(directory))
    try:
        yield stage
        stage.commit()
    finally:
        stage.remove()


@contextmanager
def _naming(target: Path) -> Iterator[None]:
    """An ``OSError`` inside the block is raised again about ``target`` (the caller's path):
    the staging folder's names mean nothing to the user. The class (``FileNotFoundError``,
    ``PermissionError``, ...) and errno stay."""
    try:
        yield
    except OSError as e:
        if e.filename == str(target) and e.filename2 is None:
            raise
        raise type(e)(e.errno, e.strerror or str(e), str(target)) from e


def write_atomically(path: str | os.PathLike[str], data: bytes | str) -> Path:
    """Write ``data`` (text as UTF-8) to ``path`` atomically; returns the path."""
    path = Path(path)
    with staged_files(path.parent) as stage, stage.open(path.name) as f:
        f.write(data.encode() if isinstance(data, str) else data)
    return path
