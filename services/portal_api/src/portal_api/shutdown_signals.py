"""Ending live streams when the process is asked to stop.

uvicorn waits for every open response before it runs the lifespan shutdown, and a
server-sent event stream never ends on its own, so without this a SIGTERM would wait for
every browser to go away. The hook chains onto the handlers uvicorn installed for SIGINT
and SIGTERM: it ends the streams, then lets uvicorn's handler run as before.
"""

import asyncio
import signal
import threading
from collections.abc import Callable
from types import FrameType

from helpdesk_runtime.logging import get_logger

log = get_logger(__name__)


def end_on_exit_signals(close_streams: Callable[[], None]) -> None:
    """Run `close_streams` in the event loop when SIGINT or SIGTERM arrives.

    Does nothing outside the main thread, where Python allows no signal handlers (as when
    an app runs inside a test's event loop in a worker thread).
    """
    if threading.current_thread() is not threading.main_thread():
        return
    loop = asyncio.get_running_loop()
    for signal_number in (signal.SIGINT, signal.SIGTERM):
        previous = signal.getsignal(signal_number)
        if not callable(previous):
            continue
        signal.signal(signal_number, _chained(loop, close_streams, previous))
    log.debug("live streams end on SIGINT and SIGTERM")


def _chained(
    loop: asyncio.AbstractEventLoop,
    close_streams: Callable[[], None],
    previous: Callable[[int, FrameType | None], object],
) -> Callable[[int, FrameType | None], None]:
    def handle(signal_number: int, frame: FrameType | None) -> None:
        loop.call_soon_threadsafe(close_streams)
        previous(signal_number, frame)

    return handle
