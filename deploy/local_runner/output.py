"""The runner's own lines on stdout, prefixed like the children's lines."""


def say(message: str) -> None:
    """Print `message` as the runner's, each line prefixed with `[runner]`."""
    for line in message.splitlines() or [""]:
        print(f"[runner] {line}", flush=True)
