"""Writing output files whole or not at all."""
from __future__ import annotations

import os
import stat
import tempfile

from .errors import ExplainError


def write_atomic(path: str, data: bytes, shown: str | None = None) -> None:
    """``data`` into ``path``: written to a temporary file beside it and moved into place only
    when complete, so an existing file is never truncated by a failed run. An existing file keeps
    its permissions; a new one gets the usual ones (0666 less the umask), not mkstemp's 0600.
    A symbolic link is written through, as a shell's ``>`` would; a device or pipe (``/dev/null``,
    ``/dev/stdout``) is written to directly, never replaced by a file.
    Failures are an ExplainError naming ``shown`` (default ``path``)."""
    shown = shown or path
    target = os.path.realpath(path)
    try:
        if os.path.isdir(target):
            raise IsADirectoryError(21, "Is a directory")
        if os.path.exists(target) and not stat.S_ISREG(os.stat(target).st_mode):
            with open(target, "wb") as stream:
                stream.write(data)
            return
        fd, temp = tempfile.mkstemp(dir=os.path.dirname(target), prefix=".explain-", suffix=".tmp")
    except OSError as e:
        raise ExplainError(f"cannot write: {e.strerror or e}", file=shown) from None
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        try:
            mode = os.stat(target).st_mode & 0o777
        except OSError:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        os.chmod(temp, mode)
        os.replace(temp, target)
    except OSError as e:
        _remove(temp)
        raise ExplainError(f"cannot write: {e.strerror or e}", file=shown) from None
    except BaseException:
        _remove(temp)
        raise


def _remove(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass
