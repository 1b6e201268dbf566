"""Where ``explain`` keeps what it computed once between runs: compiled templates and catalogs
(:mod:`.render.i18n`), records' compiled ``__init__`` (:mod:`.records`); $XDG_CACHE_HOME/explain
(~/.cache/explain), and only in a folder nobody else can write. EXPLAIN_NO_CACHE=1 turns it off."""
from __future__ import annotations


def cache_folder(name: str) -> "str | None":
    """``name`` in $XDG_CACHE_HOME/explain (~/.cache/explain), created if missing, where only
    this user can write (:func:`private_folder`); None if not, or with EXPLAIN_NO_CACHE=1."""
    import os
    if os.environ.get("EXPLAIN_NO_CACHE"):
        return None
    try:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        if not os.path.isabs(base):
            return None
        folder = private_folder(os.path.join(base, "explain"))
        return folder and private_folder(os.path.join(folder, name))
    except Exception:
        return None


def private_folder(path: str) -> "str | None":
    """``path``, created if missing, if it is a real folder (no link) owned by this user and
    writable by nobody else, in a parent that others cannot rename it in; else None."""
    import os
    import stat
    os.makedirs(path, mode=0o700, exist_ok=True)
    parent = os.stat(os.path.dirname(path) or ".")
    if parent.st_mode & 0o002 and not parent.st_mode & stat.S_ISVTX:
        return None  # a world-writable folder without the sticky bit: the folder could be swapped
    if parent.st_mode & 0o020 and parent.st_uid != os.geteuid() and not parent.st_mode & stat.S_ISVTX:
        return None
    info = os.lstat(path)
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.geteuid() or info.st_mode & 0o022:
        return None
    return path
