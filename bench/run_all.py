"""Run every benchmark in turn: `uv run python -m bench.run_all`."""

from bench import inbound_throughput


def main() -> None:
    inbound_throughput.main()


if __name__ == "__main__":
    main()
