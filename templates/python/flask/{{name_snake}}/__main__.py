"""Run the service locally: `python3 -m {{name_snake}}` (listens on $PORT, default {{port}}, and serves
/metrics on $METRICS_PORT, default 9090)."""

import os
import threading

from werkzeug.serving import make_server

from . import DEFAULT_PORT, create_app, create_metrics_app, metrics_port


def main() -> None:
    port = int(os.environ.get("PORT", DEFAULT_PORT))
    host = os.environ.get("HOST", "0.0.0.0")
    app = create_app()
    metrics = make_server(host, metrics_port(), create_metrics_app(app.extensions["metrics"]), threaded=True)
    threading.Thread(target=metrics.serve_forever, daemon=True).start()
    make_server(host, port, app, threaded=True).serve_forever()


if __name__ == "__main__":
    main()
