"""Give back the resident pages of a read-only shared file mapping that a library touched once.

Sudachi memory-maps its 202 MB dictionary and, while loading it, reads through 72 MB of it
once; those pages stay mapped and count in the process's resident memory (RSS) although a
query's tokenization needs far fewer of them. ``drop_resident_pages`` asks the kernel
(``madvise(MADV_DONTNEED)``) to unmap them: the data stays in the page cache and the file, and a
later read maps the page again (a minor fault, microseconds). Only shared read-only mappings
are touched, where this can lose nothing. Linux only; elsewhere it does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools

MADV_DONTNEED = 4


@functools.cache
def _madvise():
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    libc.madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
    return libc.madvise


def read_only_shared_mappings(path_suffix: str, maps: str = "/proc/self/maps") -> list[tuple[int, int]]:
    """(start, end) of this process's shared read-only mappings of files ending in ``path_suffix``."""
    try:
        with open(maps, encoding="utf-8", errors="replace") as fh:
            lines = fh.readlines()
    except OSError:
        return []
    spans = []
    for line in lines:
        parts = line.split(maxsplit=5)
        if len(parts) == 6 and parts[1] == "r--s" and parts[5].rstrip("\n").endswith(path_suffix):
            start, end = (int(x, 16) for x in parts[0].split("-"))
            spans.append((start, end))
    return spans


def drop_resident_pages(path_suffix: str) -> int:
    """Unmap the resident pages of every shared read-only mapping of ``path_suffix``; the bytes
    of mappings advised (0 where the platform has no such call or no such mapping)."""
    spans = read_only_shared_mappings(path_suffix)
    if not spans:
        return 0
    try:
        madvise = _madvise()
    except (OSError, AttributeError):
        return 0
    return sum(end - start for start, end in spans if madvise(start, end - start, MADV_DONTNEED) == 0)
