"""Parse every file of a real-world email corpus; only UnparseableEmail may escape.

The corpus is not part of the repository. Set HELPDESK_EMAIL_CORPUS to its folder to run
the test, for example `HELPDESK_EMAIL_CORPUS=/path/to/corpus uv run pytest tests/email_gateway`.
README.md and MANIFEST.tsv files describe the corpus and are skipped.
"""

import os
import time
from collections import Counter
from pathlib import Path

import msgspec
import pytest

from email_gateway.parsing import ParsedEmail, UnparseableEmail, parse_email

CORPUS_VARIABLE = "HELPDESK_EMAIL_CORPUS"
NOT_MESSAGES = frozenset({"README.md", "MANIFEST.tsv"})

pytestmark = pytest.mark.corpus


def corpus_files(root: Path) -> list[Path]:
    return sorted(
        path for path in root.rglob("*") if path.is_file() and path.name not in NOT_MESSAGES
    )


def test_corpus_parses_or_rejects() -> None:
    folder = os.environ.get(CORPUS_VARIABLE)
    if not folder:
        pytest.skip(f"{CORPUS_VARIABLE} is not set, so there is no corpus to parse")
    root = Path(folder)
    if not root.is_dir():
        pytest.skip(f"{CORPUS_VARIABLE}={folder} is not a folder")

    files = corpus_files(root)
    parsed = 0
    rejected: Counter[str] = Counter()
    empty_reasons: list[Path] = []
    started = time.perf_counter()

    for path in files:
        try:
            result = parse_email(path.read_bytes())
        except UnparseableEmail as error:
            rejected[error.reason] += 1
            if not error.reason.strip():
                empty_reasons.append(path)
            continue

        assert isinstance(result, ParsedEmail)
        # Every string must be valid Unicode: msgspec rejects lone surrogates.
        msgspec.json.encode(result)
        parsed += 1

    elapsed = time.perf_counter() - started
    unparseable = rejected.total()
    print(f"\n{len(files)} files in {elapsed:.1f} s: {parsed} parsed, {unparseable} unparseable")
    for reason, count in rejected.most_common():
        print(f"  {count:5d}  {reason}")

    assert files
    assert empty_reasons == []
