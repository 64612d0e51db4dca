"""Process-local counters, exposed in the Prometheus text format at `/metrics`."""

import threading


class Counter:
    """A monotonically increasing count, safe to increment from any thread."""

    def __init__(self, name: str, help_text: str) -> None:
        self.name = name
        self.help_text = help_text
        self._values: dict[tuple[tuple[str, str], ...], float] = {}
        self._lock = threading.Lock()

    def inc(self, amount: float = 1, **labels: str) -> None:
        key = tuple(sorted(labels.items()))
        with self._lock:
            self._values[key] = self._values.get(key, 0) + amount

    def value(self, **labels: str) -> float:
        return self._values.get(tuple(sorted(labels.items())), 0)

    def render(self) -> str:
        lines = [f"# HELP {self.name} {self.help_text}", f"# TYPE {self.name} counter"]
        with self._lock:
            items = list(self._values.items())
        for key, amount in items:
            label_text = ",".join(f'{name}="{value}"' for name, value in key)
            suffix = "{" + label_text + "}" if label_text else ""
            lines.append(f"{self.name}{suffix} {amount:g}")
        return "\n".join(lines)


_registry: dict[str, Counter] = {}


def counter(name: str, help_text: str) -> Counter:
    """Return the counter called `name`, creating it on first use."""
    if name not in _registry:
        _registry[name] = Counter(name, help_text)
    return _registry[name]


def render_all() -> str:
    """Render every counter in the Prometheus text exposition format."""
    return "\n".join(c.render() for c in _registry.values()) + "\n"
