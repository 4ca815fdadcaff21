"""The {{name}} service: a small Flask application."""

import os

from flask import Flask, Response, jsonify, request

from .metrics import Metrics

SERVICE_NAME = "{{name}}"
DEFAULT_PORT = {{port}}
# /metrics is served only here, never on the public port: the platform's Service exposes this port
# (named "metrics") to Prometheus and no Ingress routes it.
DEFAULT_METRICS_PORT = 9090


def create_app() -> Flask:
    """Build the Flask application (used by `python3 -m {{name_snake}}`, gunicorn and the tests)."""
    app = Flask(__name__)
    metrics = Metrics()
    app.extensions["metrics"] = metrics

    @app.after_request
    def count_request(response: Response) -> Response:
        # Label by route rule, not raw path, so unknown URLs cannot grow the label set.
        rule = request.url_rule.rule if request.url_rule is not None else "other"
        metrics.count(rule, response.status_code)
        return response

    @app.get("/")
    def index():
        return jsonify(service=SERVICE_NAME, message=f"hello from {SERVICE_NAME}")

    @app.get("/healthz")
    def healthz():
        return jsonify(status="ok")

    return app


def create_metrics_app(metrics: Metrics) -> Flask:
    """The metrics listener: only GET /metrics."""
    app = Flask(__name__ + ".metrics")

    @app.get("/metrics")
    def metrics_endpoint():
        return Response(metrics.render(), content_type="text/plain; version=0.0.4; charset=utf-8")

    return app


def metrics_port() -> int:
    return int(os.environ.get("METRICS_PORT", DEFAULT_METRICS_PORT))


def create_service():
    """The WSGI application gunicorn serves on both ports (gunicorn.conf.py binds PORT and
    METRICS_PORT): requests that arrived on the metrics port go to the metrics app, all others to
    the public app, judged by the local port of the connection."""
    app = create_app()
    metrics_app = create_metrics_app(app.extensions["metrics"])
    port = metrics_port()

    def service(environ, start_response):
        sock = environ.get("gunicorn.socket")
        local = sock.getsockname()[1] if sock is not None else None
        target = metrics_app if local == port else app
        return target(environ, start_response)

    return service
