'use strict';

// Hand-written Prometheus metrics in text exposition format 0.0.4:
// a request counter by path and status code, plus the process start time.
class Metrics {
  constructor() {
    this.startTime = Date.now() / 1000;
    this.requests = new Map(); // "path\u0000code" -> count
  }

  count(path, code) {
    const key = `${path}\u0000${code}`;
    this.requests.set(key, (this.requests.get(key) || 0) + 1);
  }

  render() {
    const lines = [
      '# HELP http_requests_total Total HTTP requests by path and status code.',
      '# TYPE http_requests_total counter',
    ];
    for (const key of [...this.requests.keys()].sort()) {
      const [path, code] = key.split('\u0000');
      lines.push(`http_requests_total{path="${escapeLabel(path)}",code="${code}"} ${this.requests.get(key)}`);
    }
    lines.push(
      '# HELP process_start_time_seconds Start time of the process since unix epoch in seconds.',
      '# TYPE process_start_time_seconds gauge',
      `process_start_time_seconds ${this.startTime.toFixed(3)}`,
    );
    return lines.join('\n') + '\n';
  }
}

function escapeLabel(value) {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

module.exports = { Metrics };
