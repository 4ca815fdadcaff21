"""gunicorn settings (read from the working directory): the public port and the metrics port."""

import os

bind = [f"0.0.0.0:{os.environ.get('PORT', '{{port}}')}", f"0.0.0.0:{os.environ.get('METRICS_PORT', '9090')}"]
# One worker process keeps the in-memory metrics consistent; threads give concurrency.
workers = 1
threads = 8
accesslog = "-"
# The root filesystem is read-only in the cluster: the worker heartbeat lives in /tmp (an emptyDir).
worker_tmp_dir = "/tmp"
