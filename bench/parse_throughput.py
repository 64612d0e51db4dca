"""Parse throughput: the full `parse_email` pipeline against a bare standard-library pass.

The bare pass is `email.message_from_bytes(raw, policy=email.policy.default)` and
`get_content()` on every leaf part, catching the exceptions the standard library raises
on some real-world files. The full pass is `parse_email`. Both read the same files,
already in memory, in interleaved rounds, so both see the same background load. The
report gives messages per second for each (median of the rounds) and the ratio full /
bare. The target is a ratio of at least 0.5.

Run with `uv run python -m bench.parse_throughput --corpus FOLDER` from the repository
root. FOLDER defaults to the environment variable HELPDESK_EMAIL_CORPUS. README.md and
MANIFEST.tsv files describe a corpus and are skipped.
"""

import argparse
import email
import email.policy
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from email_gateway.parsing import UnparseableEmail, parse_email

CORPUS_VARIABLE = "HELPDESK_EMAIL_CORPUS"
NOT_MESSAGES = frozenset({"README.md", "MANIFEST.tsv"})


def load_corpus(root: Path) -> list[bytes]:
    paths = sorted(
        path for path in root.rglob("*") if path.is_file() and path.name not in NOT_MESSAGES
    )
    return [path.read_bytes() for path in paths]


def bare_parse(raw: bytes) -> bool:
    """Parse with the standard library's default policy; return False when it raises."""
    try:
        message = email.message_from_bytes(raw, policy=email.policy.default)
        for part in message.walk():
            if not part.is_multipart():
                part.get_content()
    except Exception:
        return False
    return True


def full_parse(raw: bytes) -> bool:
    """Parse with `parse_email`; return False when it raises UnparseableEmail."""
    try:
        parse_email(raw)
    except UnparseableEmail:
        return False
    return True


def timed_pass(messages: list[bytes], parse: Callable[[bytes], bool]) -> tuple[float, int]:
    """Parse every message once; return the elapsed seconds and how many failed."""
    failed = 0
    started = time.perf_counter()
    for raw in messages:
        if not parse(raw):
            failed += 1
    return time.perf_counter() - started, failed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--corpus",
        default=os.environ.get(CORPUS_VARIABLE),
        help=f"folder of raw messages, searched recursively (default: ${CORPUS_VARIABLE})",
    )
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds per pass")
    arguments = parser.parse_args()
    if not arguments.corpus:
        sys.exit(f"no corpus: pass --corpus FOLDER or set {CORPUS_VARIABLE}")

    messages = load_corpus(Path(arguments.corpus))
    if not messages:
        sys.exit(f"no files found under {arguments.corpus}")
    total_bytes = sum(len(raw) for raw in messages)

    # One untimed pass each warms caches (codecs, compiled regexes, imports).
    timed_pass(messages, bare_parse)
    timed_pass(messages, full_parse)

    bare_rates: list[float] = []
    full_rates: list[float] = []
    bare_failed = full_failed = 0
    for _ in range(arguments.rounds):
        elapsed, bare_failed = timed_pass(messages, bare_parse)
        bare_rates.append(len(messages) / elapsed)
        elapsed, full_failed = timed_pass(messages, full_parse)
        full_rates.append(len(messages) / elapsed)

    bare = statistics.median(bare_rates)
    full = statistics.median(full_rates)
    print(f"{len(messages)} messages, {total_bytes / 1e6:.1f} MB, {arguments.rounds} rounds")
    print(f"  bare stdlib pass: {bare:8.1f} messages/s ({bare_failed} raised)")
    print(f"  parse_email:      {full:8.1f} messages/s ({full_failed} UnparseableEmail)")
    print(f"  ratio full/bare:  {full / bare:8.2f}")


if __name__ == "__main__":
    main()
