"""gauntlet in-process: run a benchmark from Python through gauntlet's C ABI.

    import gauntlet
    summary = gauntlet.profile({"schemaVersion": "2.0", "benchmark": {...}}, artifact_dir="out")
    print(summary["request_accounting"])

``profile`` runs one benchmark to its end and returns its summary (the
``profile_export_aiperf.json`` document). ``Run`` gives the steps: start, poll ``progress()``,
``cancel()`` (from any thread), ``wait(timeout)``, then ``summary()`` and ``artifact_dir``.
A config is the YAML v2 text ``gauntlet profile --config FILE`` reads, or a dict of the same
(sent as JSON). Failures raise ``GauntletError`` with the library's message. docs/embedding.md
is the guide.
"""

import json
import os

from . import _native

__all__ = ["GauntletError", "Run", "profile", "__version__"]

__version__ = _native.lib.gauntlet_version().decode("ascii")

# How long one wait blocks in C before Python checks for Ctrl-C (KeyboardInterrupt).
_WAIT_SLICE_S = 0.2


class GauntletError(Exception):
    """A call failed. ``status`` is the C status name (``GAUNTLET_ERR_CONFIG``, ...), ``code``
    its number, the message the library's (``gauntlet_last_error``)."""

    def __init__(self, code, message):
        self.code = code
        self.status = _native.STATUS_NAMES.get(code, f"status {code}")
        super().__init__(message or self.status)


def _check(code):
    if code != _native.OK:
        raise GauntletError(code, _native.last_error())


def _config_text(config):
    if isinstance(config, dict):
        return json.dumps(config)
    if isinstance(config, str):
        return config
    raise TypeError(f"config must be a YAML/JSON str or a dict, not {type(config).__name__}")


def _encode(text):
    return None if text is None else os.fsencode(text)


class Run:
    """One benchmark run. Made from a config (not started); ``artifact_dir`` is where it
    writes the CLI's artifact files (``--output-artifact-dir``; None: the CLI's default folder
    under the working directory), ``name`` names the config in error messages.

    Every method may be called from any thread; ``close()`` (or leaving a ``with`` block) must
    be the last call and cancels a run still running, waiting for its artifacts.
    """

    def __init__(self, config, artifact_dir=None, name=None):
        self._handle = None
        handle = _native.RUN_P()
        text = _config_text(config)
        if artifact_dir is not None:
            artifact_dir = os.fspath(artifact_dir)
        _check(
            _native.lib.gauntlet_run_create(
                text.encode("utf-8"), _encode(name), _encode(artifact_dir), handle
            )
        )
        self._handle = handle

    def _live(self):
        if not self._handle:
            raise GauntletError(4, "the run was closed")
        return self._handle

    def start(self):
        """Starts the run on a background thread and returns at once (once per run)."""
        _check(_native.lib.gauntlet_run_start(self._live()))
        return self

    def progress(self):
        """The progress dict: ``state`` (created, running, cancelling, finished, cancelled,
        failed), ``elapsed_s`` and the request counts (live while it runs)."""
        code, text = _native.take_string(_native.lib.gauntlet_run_progress, self._live())
        _check(code)
        return json.loads(text)

    def cancel(self):
        """Asks the run to stop, as Ctrl-C stops the CLI: its artifacts are written, marked
        partial. Returns at once."""
        _check(_native.lib.gauntlet_run_cancel(self._live()))

    def wait(self, timeout=None):
        """Waits until the run has ended, at most ``timeout`` seconds (None: no limit).
        True when it has ended (whatever its outcome: see ``progress()``), False on the
        timeout. A Ctrl-C (KeyboardInterrupt) during the wait is raised as usual; the run
        goes on until cancelled."""
        if timeout is not None and timeout < 0:
            raise ValueError("timeout must be >= 0 or None")
        left = timeout
        while True:
            step = _WAIT_SLICE_S if left is None else min(left, _WAIT_SLICE_S)
            code = _native.lib.gauntlet_run_wait(self._live(), int(step * 1000))
            if code == _native.OK:
                return True
            if code != _native.ERR_TIMEOUT:
                _check(code)
            if left is not None:
                left -= step
                if left <= 0:
                    return False

    def summary(self):
        """The ended run's summary: its ``profile_export_aiperf.json`` as a dict."""
        code, text = _native.take_string(_native.lib.gauntlet_run_summary, self._live())
        _check(code)
        return json.loads(text)

    @property
    def artifact_dir(self):
        """The ended run's artifact folder (the CLI's files)."""
        code, text = _native.take_string(_native.lib.gauntlet_run_artifact_dir, self._live())
        _check(code)
        return text

    def close(self):
        """Releases the run; a run still running is cancelled and waited for first."""
        handle, self._handle = self._handle, None
        if handle:
            _check(_native.lib.gauntlet_run_free(handle))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass


def profile(config, artifact_dir=None, name=None):
    """Runs one benchmark to its end and returns its summary (the
    ``profile_export_aiperf.json`` document as a dict). A run that fails raises
    ``GauntletError``; a Ctrl-C cancels the run, waits for its partial artifacts and raises
    KeyboardInterrupt."""
    with Run(config, artifact_dir=artifact_dir, name=name) as run:
        run.start()
        try:
            run.wait()
        except KeyboardInterrupt:
            run.cancel()
            run.wait()
            raise
        progress = run.progress()
        if progress["state"] == "failed":
            raise GauntletError(5, progress.get("error", "the run failed"))
        return run.summary()
