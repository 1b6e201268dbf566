"""``.keras`` archives (``model.save("m.keras")``): the model's ``config.json`` only.

The archive is a zip file. Only its directory and ``config.json`` are read, in memory, with
bounds checked before reading (declared size, compression ratio, entry count) and while reading
(the bytes actually inflated). Nothing is extracted to disk; weights (``model.weights.h5``) and
any code are never opened, and nothing is unpickled.
"""
from __future__ import annotations

import io
import zipfile
import zlib
from typing import IO

from ..errors import ExplainError
from ..model import Model
from .keras_json import load_keras_json
from .textfile import decode, open_regular, parse_json

MAX_CONFIG_BYTES = 64 * 1024 * 1024
"""The largest ``config.json`` read (uncompressed)."""
MAX_RATIO = 200
"""The largest compression ratio accepted for an entry over ``RATIO_FLOOR`` bytes (zip bombs)."""
RATIO_FLOOR = 1024 * 1024
MAX_ENTRIES = 10_000
CONFIG = "config.json"
COMPRESSIONS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)
"""The compression methods read (those Keras and every zip tool write)."""
COMPRESSIONS_NAMES = {zipfile.ZIP_BZIP2: "bzip2", zipfile.ZIP_LZMA: "LZMA"}


def load_keras_archive(path: str, data: bytes | None = None) -> Model:
    """The model described by the archive's ``config.json`` (``data``: the file's bytes, if read)."""
    parsed = parse_json(decode(read_config(path, data), path), path)
    return load_keras_json(parsed, path)


def read_config(path: str, data: bytes | None = None, member: str = CONFIG,
                limit: int | None = None) -> bytes:
    """The bytes of one archive member, read within bounds (never extracted)."""
    limit = MAX_CONFIG_BYTES if limit is None else limit
    if data is not None:
        return _read(io.BytesIO(data), path, member, limit)
    with open_regular(path) as f:
        return _read(f, path, member, limit)


def _read(f: IO[bytes], path: str, member: str, limit: int) -> bytes:
    try:
        archive = zipfile.ZipFile(f)
    except zipfile.BadZipFile:
        raise ExplainError("is not a .keras archive: it is not a valid zip file", file=path) from None
    except (OSError, ValueError, EOFError) as e:
        raise ExplainError(f"is not a readable zip archive ({e})", file=path) from None
    with archive:
        infos = archive.infolist()
        if len(infos) > MAX_ENTRIES:
            raise ExplainError(f"has more than {MAX_ENTRIES} entries; not a .keras archive", file=path)
        info = next((i for i in infos if i.filename == member), None)
        if info is None:
            names = ", ".join(i.filename for i in infos[:5]) or "nothing"
            raise ExplainError(f"is not a .keras archive: it has no {member} (it holds {names})",
                               file=path)
        check_entry(info, path, limit)
        try:
            with archive.open(info) as stream:
                content = stream.read(limit + 1)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, OSError,
                EOFError, ValueError, zlib.error, MemoryError) as e:
            # a corrupt deflate stream (zlib.error), a damaged header or CRC
            raise ExplainError(f"{member} cannot be read from the archive "
                               f"({type(e).__name__}: {e})", file=path) from None
        if len(content) > limit or len(content) != info.file_size:
            raise ExplainError(f"{member} inflates to more bytes than the archive declares "
                               f"(a zip bomb?); refused", file=path)
        return content


def check_entry(info: zipfile.ZipInfo, path: str, limit: int) -> None:
    """Refuse an entry before reading it: too large, encrypted, or compressed suspiciously well."""
    if info.flag_bits & 0x1:
        raise ExplainError(f"{info.filename} is encrypted", file=path)
    if info.compress_type not in COMPRESSIONS:
        # Keras writes entries stored or deflated; LZMA and bzip2 decoders take memory as the
        # entry's header asks (an LZMA dictionary of 4 GiB), so they are not used at all
        raise ExplainError(f"{info.filename} is compressed with method {info.compress_type} "
                           f"({COMPRESSIONS_NAMES.get(info.compress_type, 'unknown')}); a .keras archive "
                           f"stores or deflates its entries", file=path)
    if info.file_size > limit:
        raise ExplainError(f"{info.filename} is {info.file_size} bytes uncompressed, over the limit "
                           f"of {limit // (1024 * 1024)} MiB; refused", file=path)
    if info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1):
        raise ExplainError(f"{info.filename} would inflate {info.file_size // max(info.compress_size, 1)} "
                           f"times (over {MAX_RATIO}×, a zip bomb?); refused", file=path)
