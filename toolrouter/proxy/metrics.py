"""The proxy's counters and routing-latency histogram, rendered in Prometheus' text format.

Self-contained (no ``prometheus_client``): a handful of numbers updated under one lock.

::

    toolrouter_requests_total{endpoint,status}   responses sent, by endpoint and HTTP status
    toolrouter_tools_in_total                    tool definitions received
    toolrouter_tools_out_total                   tools left to the model after routing
    toolrouter_routing_seconds                   histogram of reranking time per routed request
    toolrouter_fail_open_total                   requests forwarded unchanged because routing failed
    toolrouter_upstream_errors_total{reason}     timeout, unreachable, invalid or too_large upstream answers
"""

from __future__ import annotations

import bisect
import threading
from collections import Counter

from toolrouter.proxy.routing import RoutedRequest

# Upper bounds (seconds) of the routing-latency histogram buckets; +Inf is implied.
ROUTING_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
# The Content-Type of the exposition format.
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class Metrics:
    """The proxy's metrics; every method is thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests: Counter[tuple[str, int]] = Counter()
        self.tools_in = 0
        self.tools_out = 0
        self.routing_buckets = [0] * len(ROUTING_BUCKETS)
        self.routing_count = 0
        self.routing_sum = 0.0
        self.fail_opens = 0
        self.upstream_errors: Counter[str] = Counter()

    def count_request(self, endpoint: str, status: int) -> None:
        """One response sent on ``endpoint`` with ``status``."""
        with self._lock:
            self.requests[(endpoint, status)] += 1

    def count_routing(self, routed: RoutedRequest) -> None:
        """Tools in and out, the reranking time when the reranker ran, and fail-opens."""
        with self._lock:
            self.tools_in += routed.tools_in
            self.tools_out += routed.tools_out
            self.fail_opens += routed.error is not None
            if routed.ranked:
                index = bisect.bisect_left(ROUTING_BUCKETS, routed.seconds)
                if index < len(ROUTING_BUCKETS):
                    self.routing_buckets[index] += 1
                self.routing_count += 1
                self.routing_sum += routed.seconds

    def count_upstream_error(self, reason: str) -> None:
        """An upstream failure: ``timeout``, ``unreachable``, ``invalid`` or ``too_large``."""
        with self._lock:
            self.upstream_errors[reason] += 1

    def render(self) -> str:
        """All metrics in Prometheus' text exposition format."""
        with self._lock:
            lines = _header("toolrouter_requests_total", "counter", "Responses sent, by endpoint and HTTP status.")
            lines += [f'toolrouter_requests_total{{endpoint="{endpoint}",status="{status}"}} {count}'
                      for (endpoint, status), count in sorted(self.requests.items())]
            lines += _header("toolrouter_tools_in_total", "counter", "Tool definitions received.")
            lines.append(f"toolrouter_tools_in_total {self.tools_in}")
            lines += _header("toolrouter_tools_out_total", "counter", "Tools left to the model after routing.")
            lines.append(f"toolrouter_tools_out_total {self.tools_out}")
            lines += _header("toolrouter_routing_seconds", "histogram", "Reranking time per routed request.")
            cumulative = 0
            for bound, count in zip(ROUTING_BUCKETS, self.routing_buckets):
                cumulative += count
                lines.append(f'toolrouter_routing_seconds_bucket{{le="{bound}"}} {cumulative}')
            lines.append(f'toolrouter_routing_seconds_bucket{{le="+Inf"}} {self.routing_count}')
            lines.append(f"toolrouter_routing_seconds_sum {self.routing_sum:.6f}")
            lines.append(f"toolrouter_routing_seconds_count {self.routing_count}")
            lines += _header("toolrouter_fail_open_total", "counter",
                             "Requests forwarded unchanged because routing failed.")
            lines.append(f"toolrouter_fail_open_total {self.fail_opens}")
            lines += _header("toolrouter_upstream_errors_total", "counter",
                             "Upstream timeouts, connection failures, invalid and too large answers.")
            lines += [f'toolrouter_upstream_errors_total{{reason="{reason}"}} {count}'
                      for reason, count in sorted(self.upstream_errors.items())]
        return "\n".join(lines) + "\n"


def _header(name: str, kind: str, help_text: str) -> list[str]:
    return [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}"]
