"""Worker processes end with the process that started them, even when it is killed outright.

A SIGKILL gives the parent no chance to stop its pool; its workers would go on drawing batches
for nobody. :func:`bind_to_parent`, run as the pool's initializer in each worker, asks Linux to
kill the worker when its parent dies (``prctl(PR_SET_PDEATHSIG)``) and, on every system, starts a
watchdog thread that ends the worker once its parent's process id is no longer its parent.
"""

import ctypes
import os
import signal
import sys
import threading

_PR_SET_PDEATHSIG = 1
WATCH_SECONDS = 0.5


def bind_to_parent(parent_pid: int) -> None:
    """Make this worker end when ``parent_pid`` ends (pool initializer; the parent passes ``os.getpid()``)."""
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):
            pass  # the watchdog below still ends the worker
    if os.getppid() != parent_pid:  # the parent died before the request above was made
        os._exit(1)
    threading.Thread(target=_watch, args=(parent_pid,), name="parent-watchdog", daemon=True).start()


def _watch(parent_pid: int) -> None:
    stop = threading.Event()
    while not stop.wait(WATCH_SECONDS):
        if os.getppid() != parent_pid:
            os._exit(1)
