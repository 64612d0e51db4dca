"""Checks on operating-system processes shared by the runner's tests."""

import os
from pathlib import Path


def process_gone(pid: int) -> bool:
    """Return whether `pid` has exited: no such process, or a zombie not yet reaped."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    stat = Path(f"/proc/{pid}/stat")
    try:
        # The state letter follows the command name, which is in parentheses.
        state = stat.read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state == "Z"
