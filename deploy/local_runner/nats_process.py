"""An embedded nats-server in a process of its own: `python nats_process.py --dir D --port P`.

LocalNats starts nats-server in its caller's process group, where Ctrl-C in the terminal
would stop it at once, before the services that still use it. The runner therefore starts
this script in a new session: nats-server then shares that session, and stops only when
the runner sends SIGTERM after the services have stopped.
"""

import argparse
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

from helpdesk_runtime.local_servers import LocalNats, ServerStartError


def main(argv: Sequence[str] | None = None) -> int:
    """Run nats-server with JetStream until SIGTERM, SIGINT or SIGHUP; return the exit code."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dir", type=Path, required=True, help="JetStream data folder")
    parser.add_argument("--port", type=int, required=True, help="client port on 127.0.0.1")
    arguments = parser.parse_args(argv)

    stop = threading.Event()

    def request_stop(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, request_stop)

    # sync_always: a single node acknowledges JetStream writes only once they are on disk.
    server = LocalNats(arguments.dir, port=arguments.port, sync_always=True)
    try:
        server.start()
    except (ServerStartError, OSError) as exc:
        print(f"could not start nats-server: {exc}", file=sys.stderr)
        server.stop()
        return 1

    print(f"nats-server listening on {server.url}, data in {arguments.dir}", flush=True)
    stop.wait()
    server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
