"""Child processes: prefixed output, stop with SIGTERM then SIGKILL, first exit."""

import asyncio
import sys

import pytest

from deploy.local_runner.children import (
    MAX_LINE_BYTES,
    ChildProcess,
    describe_exit,
    describe_tail,
    wait_for_first_exit,
)
from tests.deploy.processes import process_gone
from tests.support.servers import wait_until


def python_child(name: str, code: str) -> ChildProcess:
    return ChildProcess(name, [sys.executable, "-c", code], {"PYTHONUNBUFFERED": "1"})


async def has_printed(child: ChildProcess, line: str) -> bool:
    return line in child.last_lines()


async def first_line(child: ChildProcess) -> str | None:
    lines = child.last_lines()
    return lines[0] if lines else None


async def test_output_lines_are_prefixed(capsys: pytest.CaptureFixture[str]) -> None:
    child = python_child("echo", "import sys; print('hello'); print('to stderr', file=sys.stderr)")
    await child.start()

    code = await child.wait()

    printed = capsys.readouterr().out.splitlines()
    assert code == 0
    assert "[echo] hello" in printed
    assert "[echo] to stderr" in printed
    # Both streams share one unbuffered pipe, so the lines keep the order they were written in.
    assert child.last_lines() == ["hello", "to stderr"]


async def test_tail_keeps_last_lines() -> None:
    child = ChildProcess(
        "counter",
        [sys.executable, "-c", "for i in range(100): print(i)"],
        {},
        tail_size=5,
    )
    await child.start()

    await child.wait()

    assert child.last_lines() == ["95", "96", "97", "98", "99"]


async def test_overlong_line_is_dropped_with_notice() -> None:
    code = f"print('x' * {MAX_LINE_BYTES * 2}); print('after')"
    child = python_child("verbose", code)
    await child.start()

    await child.wait()

    lines = child.last_lines()
    assert lines[-1] == "after"
    assert any("was dropped" in line for line in lines)


async def test_stop_sends_sigterm() -> None:
    child = python_child("sleeper", "import time; print('up', flush=True); time.sleep(60)")
    await child.start()
    await wait_until(lambda: has_printed(child, "up"))

    code = await child.stop(grace=10)

    assert describe_exit(code) == "ended by SIGTERM"
    assert child.is_running() is False


async def test_stop_kills_child_ignoring_sigterm() -> None:
    code = (
        "import signal, time\n"
        "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
        "print('ignoring', flush=True)\n"
        "time.sleep(60)\n"
    )
    child = python_child("stubborn", code)
    await child.start()
    await wait_until(lambda: has_printed(child, "ignoring"))

    exit_code = await child.stop(grace=0.5)

    assert describe_exit(exit_code) == "ended by SIGKILL"


async def test_stop_reaches_grandchildren() -> None:
    code = (
        "import subprocess, sys, time\n"
        "grandchild = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\n"
        "print(grandchild.pid, flush=True)\n"
        "time.sleep(60)\n"
    )
    child = python_child("parent", code)
    await child.start()
    grandchild_pid = int(await wait_until(lambda: first_line(child)))

    await child.stop(grace=10)

    async def grandchild_gone() -> bool:
        return process_gone(grandchild_pid)

    await wait_until(grandchild_gone)


async def test_first_exit_is_returned() -> None:
    quitter = python_child("quitter", "import sys; sys.exit(3)")
    sleeper = python_child("sleeper", "import time; time.sleep(60)")
    await quitter.start()
    await sleeper.start()

    exited = await wait_for_first_exit([sleeper, quitter], asyncio.Event())

    assert exited is quitter
    assert describe_exit(quitter.returncode) == "exit code 3"
    assert sleeper.is_running()
    await sleeper.stop()


async def test_stop_event_ends_waiting() -> None:
    sleeper = python_child("sleeper", "import time; time.sleep(60)")
    await sleeper.start()
    stop = asyncio.Event()
    stop.set()

    exited = await wait_for_first_exit([sleeper], stop)

    assert exited is None
    assert sleeper.is_running()
    await sleeper.stop()


def test_describe_exit_forms() -> None:
    assert describe_exit(None) == "still running"
    assert describe_exit(0) == "exit code 0"
    assert describe_exit(-15) == "ended by SIGTERM"
    assert describe_exit(-200) == "ended by signal 200"


async def test_tail_description_lists_last_lines() -> None:
    child = python_child("counter", "for i in range(30): print(i)")
    await child.start()
    await child.wait()

    description = describe_tail(child, count=3)

    assert description == "last lines of counter:\n    27\n    28\n    29"


def test_tail_description_of_silent_child() -> None:
    child = python_child("quiet", "pass")

    assert describe_tail(child) == "(quiet wrote no output)"
