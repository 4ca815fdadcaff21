"""Hand-written Prometheus metrics in text exposition format 0.0.4."""

import threading
import time


class Metrics:
    """A request counter by path and status code, plus the process start time."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests: dict[tuple[str, int], int] = {}
        self.start_time = time.time()

    def count(self, path: str, code: int) -> None:
        with self._lock:
            key = (path, code)
            self._requests[key] = self._requests.get(key, 0) + 1

    def render(self) -> str:
        with self._lock:
            counts = sorted(self._requests.items())
        lines = [
            "# HELP http_requests_total Total HTTP requests by path and status code.",
            "# TYPE http_requests_total counter",
        ]
        for (path, code), value in counts:
            lines.append(f'http_requests_total{{path="{_escape(path)}",code="{code}"}} {value}')
        lines += [
            "# HELP process_start_time_seconds Start time of the process since unix epoch in seconds.",
            "# TYPE process_start_time_seconds gauge",
            f"process_start_time_seconds {self.start_time:.3f}",
        ]
        return "\n".join(lines) + "\n"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')
