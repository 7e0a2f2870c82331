"""Files the package writes, written whole or not at all.

:func:`write_atomic` writes into a temporary file in the target's folder and renames it onto the
target (``os.replace``), so a reader finds the old file or the new one, never a part of either,
and an interrupted or failed write leaves the target untouched. A symbolic link is written
through: the file it points to is replaced and the link kept. An error names the path the
caller gave, not the temporary file. Every user-visible file of the package goes through it:
the command line's ``--out`` and ``--plot``, the reports and notebooks of the main job, the
exercises, the data manifest, the exported comparison tables and saved figures.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def _umask() -> int:
    """The process's umask: from /proc/self/status where Linux gives it (reading it never changes
    it), else by setting and restoring it once, at import."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    umask = os.umask(0)
    os.umask(umask)
    return umask


#: the process's umask, read once at import (the permissions of a new file)
UMASK = _umask()


def write_atomic(path, content, *, make_folder: bool = False) -> Path:
    """Write ``content`` to ``path`` whole (module doc) and return ``path``.

    ``content``: text (written as UTF-8), bytes, or a function that writes to the binary
    handle it is given (e.g. ``lambda handle: fig.savefig(handle, format="png")``).
    ``make_folder``: create the target's folder first (otherwise a missing folder is an error).
    """
    path = Path(path)
    target = path.resolve()  # through a symbolic link: its target is replaced, the link kept
    tmp = None
    try:
        if make_folder:
            target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
        with os.fdopen(fd, "wb") as handle:
            if callable(content):
                content(handle)
            else:
                handle.write(content.encode("utf-8") if isinstance(content, str) else content)
        # mkstemp creates it private (0600): an existing file keeps its permissions, a new one gets the usual
        mode = target.stat().st_mode & 0o7777 if target.exists() else 0o666 & ~UMASK
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except OSError as err:
        raise OSError(err.errno, err.strerror or str(err), str(path)) from None
    finally:
        if tmp is not None and Path(tmp).exists():
            Path(tmp).unlink()
    return path
