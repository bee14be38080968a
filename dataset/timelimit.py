"""A time limit for a call in any thread: `within_time_limit(seconds, f, ...)` raises PageTimeout in it.

One watchdog thread per process keeps the deadlines of the calls running under a limit. When one is
past, it raises PageTimeout in that call's thread with CPython's PyThreadState_SetAsyncExc: the
exception is raised at the thread's next bytecode, as a signal handler's is in the main thread (SIGALRM
works there only, and the flow cleans pages in worker threads: Prefect's thread pool, Dask's workers).
A long call into C (lxml parsing a page, a blocking read) is not interrupted; it ends first, and the
exception follows. Such calls are bounded by the size caps on what they are given instead.

The exception never lands after its call has returned: the watchdog decides and raises under its
lock; the call, once over, first says so (a plain attribute store, where CPython delivers no pending
exception), then takes that lock and withdraws an exception raised in the meantime but not yet
delivered. A call past its limit always ends with PageTimeout, even when its code caught the exception
(a bare `except:`, as in warcio): until it returns, the watchdog raises it again every REFIRE_SECONDS.
This is a function and not a context manager on purpose: `with`'s __enter__/__exit__ are Python calls
at whose entry an exception can be delivered, past the code that would clean up after it.
"""

from __future__ import annotations

import ctypes
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import ParamSpec, TypeVar

# A call that caught its PageTimeout and went on gets another this often, until it returns.
REFIRE_SECONDS = 1.0

P = ParamSpec("P")
T = TypeVar("T")


class PageTimeout(BaseException):
    """Raised inside a page's cleaning when it runs past its time.

    A BaseException, like KeyboardInterrupt: the libraries it interrupts catch `Exception` broadly
    (trafilatura wraps its fallback extractors in `except Exception`, logs and carries on), which
    would swallow the timeout and leave the page running unbounded.
    """


@dataclass(slots=True, eq=False)
class _Block:
    """One call under a time limit."""

    thread_id: int
    due: float  # time.monotonic() at which the watchdog raises next
    done: bool = False  # set by the call's own thread when it ends: the watchdog leaves it alone
    fired: bool = False  # set by the watchdog when it raised PageTimeout in it


def _raise_in(thread_id: int, exception: type[BaseException] | None) -> None:
    """Raise `exception` in the thread at its next bytecode (None: withdraw one not yet raised)."""
    set_async = ctypes.pythonapi.PyThreadState_SetAsyncExc
    changed = set_async(ctypes.c_ulong(thread_id), ctypes.py_object(exception) if exception else None)
    if changed > 1:  # "more than one thread state": the C API's documentation says to undo it
        set_async(ctypes.c_ulong(thread_id), None)


class _Watchdog:
    """The process's one watchdog thread and the calls it watches (started on first use)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._blocks: dict[int, _Block] = {}
        self._thread: threading.Thread | None = None

    def watch(self, block: _Block) -> None:
        """Start watching a call: PageTimeout in its thread once `block.due` is past."""
        with self._lock:
            self._blocks[id(block)] = block
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="tinsach-time-limit", daemon=True)
                self._thread.start()
            self._wake.notify()

    def settle(self, block: _Block) -> bool:
        """Stop watching a call that has said it is done; True when its time ran out."""
        with self._lock:  # a raise decided before `done` was set has happened once this is held
            self._blocks.pop(id(block), None)
            return block.fired

    def _run(self) -> None:
        with self._lock:
            while True:
                now = time.monotonic()
                for key in [key for key, block in self._blocks.items() if block.done]:
                    del self._blocks[key]  # ended, but an exception cut its settling short
                for block in self._blocks.values():
                    if block.due <= now and not block.done:
                        block.fired = True
                        block.due = now + REFIRE_SECONDS
                        _raise_in(block.thread_id, PageTimeout)
                due = min((b.due for b in self._blocks.values()), default=None)
                self._wake.wait(None if due is None else max(0.0, due - now))

    def _after_fork(self) -> None:
        # a forked child has only the thread that forked: no watchdog yet, and the lock may have been
        # held by the parent's watchdog at the fork
        self.__init__()  # type: ignore[misc]


_WATCHDOG = _Watchdog()
os.register_at_fork(after_in_child=_WATCHDOG._after_fork)


def within_time_limit(seconds: float, function: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """Call `function`; PageTimeout if it runs past `seconds` (0 or less: no limit), in whatever thread.
    A call past its limit ends with PageTimeout even if its code caught it."""
    if seconds <= 0:
        return function(*args, **kwargs)
    block = _Block(threading.get_ident(), time.monotonic() + seconds)  # made before it can be raised in
    try:
        _WATCHDOG.watch(block)
        return function(*args, **kwargs)
    finally:
        block.done = True  # first: from here on the watchdog decides nothing more for this call
        if _WATCHDOG.settle(block):
            _raise_in(block.thread_id, None)  # raised after the call's last bytecode: not delivered
            raise PageTimeout(f"took longer than {seconds:g} s")
