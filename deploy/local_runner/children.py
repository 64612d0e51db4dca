"""Child processes whose output is printed line by line with the child's name in front."""

import asyncio
import contextlib
import os
import signal
import sys
from collections import deque
from collections.abc import Sequence

from deploy.local_runner.output import say

# Maximum length of a printed output line. A longer line is dropped and a notice printed instead.
MAX_LINE_BYTES = 1024 * 1024


class ChildProcess:
    """One child process running in its own session, so terminal signals reach only the runner.

    The runner alone decides when and in which order children stop, so Ctrl-C in the
    terminal does not reach the services directly.
    """

    def __init__(
        self, name: str, argv: Sequence[str], env: dict[str, str], tail_size: int = 40
    ) -> None:
        self.name = name
        self.argv = list(argv)
        self.env = env
        self._tail: deque[str] = deque(maxlen=tail_size)
        self._process: asyncio.subprocess.Process | None = None
        self._copier: asyncio.Task[None] | None = None

    @property
    def pid(self) -> int | None:
        return None if self._process is None else self._process.pid

    @property
    def returncode(self) -> int | None:
        """Exit status once the child has exited (negative: the signal that ended it)."""
        return None if self._process is None else self._process.returncode

    def is_running(self) -> bool:
        """Return whether the child was started and has not exited."""
        return self._process is not None and self._process.returncode is None

    def last_lines(self) -> list[str]:
        """Return the last lines the child wrote, oldest first."""
        return list(self._tail)

    async def start(self) -> None:
        """Start the child with stdout and stderr merged into one prefixed stream."""
        self._process = await asyncio.create_subprocess_exec(
            *self.argv,
            env=self.env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,
            limit=MAX_LINE_BYTES,
        )
        self._copier = asyncio.create_task(self._copy_output(), name=f"output of {self.name}")

    async def wait(self) -> int:
        """Wait until the child exits and all its output is printed; return its exit status."""
        process = self._started()
        code = await process.wait()
        if self._copier is not None:
            # Shielded: a caller that cancels its wait must not cancel the output copying.
            await asyncio.shield(self._copier)
        return code

    async def stop(self, grace: float = 10.0) -> int:
        """Send SIGTERM, wait up to `grace` seconds, then SIGKILL; return the exit status."""
        process = self._started()
        if process.returncode is None:
            self._signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), timeout=grace)
            except TimeoutError:
                say(f"{self.name} did not stop within {grace:g} s; killing it")
                self._signal(signal.SIGKILL)
        return await self.wait()

    def _signal(self, signum: signal.Signals) -> None:
        # The child leads its own process group, so anything it spawned gets the signal too.
        pid = self._started().pid
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signum)

    def _started(self) -> asyncio.subprocess.Process:
        if self._process is None:
            raise RuntimeError(f"{self.name} has not been started")
        return self._process

    async def _copy_output(self) -> None:
        stream = self._started().stdout
        if stream is None:
            return
        while True:
            try:
                raw = await stream.readline()
            except ValueError:
                # readline drops a line longer than the stream limit and raises.
                self._emit(f"(a line longer than {MAX_LINE_BYTES} bytes was dropped)")
                continue
            if not raw:
                return
            self._emit(raw.decode(errors="replace").rstrip("\r\n"))

    def _emit(self, line: str) -> None:
        self._tail.append(line)
        print(f"[{self.name}] {line}", file=sys.stdout, flush=True)


def describe_tail(child: ChildProcess, count: int = 20) -> str:
    """Return the last `count` output lines of `child`, indented under a heading."""
    lines = child.last_lines()[-count:]
    if not lines:
        return f"({child.name} wrote no output)"
    indented = "\n".join(f"    {line}" for line in lines)
    return f"last lines of {child.name}:\n{indented}"


def describe_exit(code: int | None) -> str:
    """Return a readable exit status: "exit code 1", "ended by SIGTERM" or "still running"."""
    if code is None:
        return "still running"
    if code < 0:
        try:
            return f"ended by {signal.Signals(-code).name}"
        except ValueError:
            return f"ended by signal {-code}"
    return f"exit code {code}"


async def wait_for_first_exit(
    children: Sequence[ChildProcess], stop: asyncio.Event
) -> ChildProcess | None:
    """Wait until a child exits (and return it) or `stop` is set (and return None)."""
    waiters = {asyncio.create_task(child.wait()): child for child in children}
    stop_waiter = asyncio.create_task(stop.wait())
    try:
        done, _ = await asyncio.wait([*waiters, stop_waiter], return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in [*waiters, stop_waiter]:
            task.cancel()
    for task, child in waiters.items():
        if task in done:
            return child
    return None
