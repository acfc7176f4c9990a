"""A real small file system for disk-full tests: a tmpfs the test mounts (root only;
the tests that need one are skipped where it cannot be mounted)."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["SmallDisk", "small_disk"]


class SmallDisk:
    """A mounted tmpfs: :meth:`fill` it up to a few bytes, :meth:`empty` it again."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._filler = path / ".filler"

    @property
    def free(self) -> int:
        return shutil.disk_usage(self.path).free

    def fill(self, leave: int = 0) -> None:
        """Take all the free space but about ``leave`` bytes (tmpfs counts in pages)."""
        have = self._filler.stat().st_size if self._filler.exists() else 0
        want = max(0, have + self.free - leave)
        if want <= have:
            os.truncate(self._filler, want)
            return
        block = b"\1" * (1 << 16)
        with self._filler.open("ab") as fh:
            while want > have:
                try:
                    fh.write(block[: min(want - have, len(block))])
                    fh.flush()
                except OSError:
                    break
                have += min(want - have, len(block))

    def empty(self) -> None:
        """Remove what :meth:`fill` wrote."""
        self._filler.unlink(missing_ok=True)


@contextmanager
def small_disk(path: Path, size: str = "8m") -> Iterator[SmallDisk | str]:
    """A tmpfs of ``size`` mounted at ``path`` (created), unmounted at the end; the
    reason instead where none can be mounted here."""
    path.mkdir(parents=True, exist_ok=True)
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        yield "mounting a small file system needs root"
        return
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0 or not os.path.ismount(path):
        yield f"cannot mount a tmpfs here: {done.stderr.strip() or done.returncode}"
        return
    try:
        yield SmallDisk(path)
    finally:
        if subprocess.run(["umount", str(path)], capture_output=True, check=False).returncode:
            subprocess.run(["umount", "-l", str(path)], capture_output=True, check=False)
