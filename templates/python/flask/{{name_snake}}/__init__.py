"""The {{name}} service: a small Flask application."""

from flask import Flask, Response, jsonify, request

from .metrics import Metrics

SERVICE_NAME = "{{name}}"
DEFAULT_PORT = {{port}}


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

    @app.get("/metrics")
    def metrics_endpoint():
        return Response(metrics.render(), content_type="text/plain; version=0.0.4; charset=utf-8")

    return app
