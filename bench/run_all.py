"""Run every benchmark in turn: `uv run python -m bench.run_all`.

The parse benchmark needs a corpus folder in HELPDESK_EMAIL_CORPUS and is skipped
without one. The resolve-contact, SLA timer and ticket scale benchmarks load a million
rows each and take several minutes; the portal benchmarks load their own tickets too.
"""

import os
import sys

from bench import (
    agent_auth,
    inbound_throughput,
    parse_throughput,
    portal_latency,
    portal_requests,
    resolve_contact,
    sla_timers,
    ticket_scale,
)


def main() -> None:
    # Each benchmark parses its own command line; run_all passes none of its arguments on.
    sys.argv = sys.argv[:1]
    inbound_throughput.main()
    if os.environ.get("HELPDESK_EMAIL_CORPUS"):
        parse_throughput.main()
    else:
        print("parse_throughput skipped: HELPDESK_EMAIL_CORPUS is not set")
    resolve_contact.main()
    sla_timers.main()
    ticket_scale.main()
    portal_requests.main()
    portal_latency.main()
    agent_auth.main()


if __name__ == "__main__":
    main()
