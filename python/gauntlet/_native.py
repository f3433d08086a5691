"""The C library (libgauntlet_ffi.so) loaded with ctypes, its calls' signatures declared.

The library ships inside this package; ``GAUNTLET_LIBRARY`` names another one (a cargo build
tree's, say). ctypes releases the GIL during every call, so a ``wait`` on one thread never
blocks a ``cancel`` or ``progress`` on another.
"""

import ctypes
import os
import shutil
import sysconfig

LIBRARY_ENV = "GAUNTLET_LIBRARY"
LIBRARY_NAME = "libgauntlet_ffi.so"
HELPER_ENV = "GAUNTLET_FFMPEG_HELPER"
HELPER_NAME = "gauntlet-ffmpeg"

# The status codes of include/gauntlet.h.
OK = 0
STATUS_NAMES = {
    1: "GAUNTLET_ERR_NULL",
    2: "GAUNTLET_ERR_UTF8",
    3: "GAUNTLET_ERR_CONFIG",
    4: "GAUNTLET_ERR_STATE",
    5: "GAUNTLET_ERR_RUN",
    6: "GAUNTLET_ERR_PANIC",
    7: "GAUNTLET_ERR_SYSTEM",
    8: "GAUNTLET_ERR_TIMEOUT",
}
ERR_CONFIG = 3
ERR_TIMEOUT = 8


class RunHandle(ctypes.Structure):
    """The opaque ``GauntletRun``."""


RUN_P = ctypes.POINTER(RunHandle)


def _library_path():
    path = os.environ.get(LIBRARY_ENV)
    if path:
        return path
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), LIBRARY_NAME)


def _point_at_helper():
    """Synthetic video and MP3 run in the gauntlet-ffmpeg helper, which the library looks
    for beside the executable: here that is Python, so name the one the wheel installed."""
    if os.environ.get(HELPER_ENV):
        return
    candidates = [os.path.join(sysconfig.get_path("scripts"), HELPER_NAME), shutil.which(HELPER_NAME)]
    for candidate in candidates:
        if candidate and os.path.isfile(candidate):
            os.environ[HELPER_ENV] = candidate
            return


def _load():
    path = _library_path()
    try:
        lib = ctypes.CDLL(path)
    except OSError as e:
        raise ImportError(
            f"gauntlet: cannot load the C library {path}: {e} (set {LIBRARY_ENV} to its path)"
        ) from e
    c_int, c_char_p, c_void_p = ctypes.c_int, ctypes.c_char_p, ctypes.c_void_p
    out_string = ctypes.POINTER(c_void_p)
    signatures = {
        "gauntlet_version": (c_char_p, []),
        "gauntlet_last_error": (c_char_p, []),
        "gauntlet_run_create": (c_int, [c_char_p, c_char_p, c_char_p, ctypes.POINTER(RUN_P)]),
        "gauntlet_run_start": (c_int, [RUN_P]),
        "gauntlet_run_progress": (c_int, [RUN_P, out_string]),
        "gauntlet_run_cancel": (c_int, [RUN_P]),
        "gauntlet_run_wait": (c_int, [RUN_P, ctypes.c_int64]),
        "gauntlet_run_summary": (c_int, [RUN_P, out_string]),
        "gauntlet_run_artifact_dir": (c_int, [RUN_P, out_string]),
        "gauntlet_run_free": (c_int, [RUN_P]),
        # A void pointer, not c_char_p: ctypes would copy a c_char_p result and lose the
        # pointer the library wants back.
        "gauntlet_string_free": (c_int, [c_void_p]),
    }
    for name, (restype, argtypes) in signatures.items():
        function = getattr(lib, name)
        function.restype = restype
        function.argtypes = argtypes
    return lib


_point_at_helper()
lib = _load()


def last_error():
    """The message of this thread's last failed call."""
    return (lib.gauntlet_last_error() or b"").decode("utf-8", "replace")


def take_string(call, *args):
    """Runs a call that returns a string through its last argument: (status, text)."""
    slot = ctypes.c_void_p()
    status = call(*args, ctypes.byref(slot))
    if status != OK or not slot.value:
        return status, None
    try:
        return status, ctypes.string_at(slot.value).decode("utf-8")
    finally:
        lib.gauntlet_string_free(slot)
