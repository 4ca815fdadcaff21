"""Run the service locally: `python3 -m {{name_snake}}` (listens on $PORT, default {{port}})."""

import os

from . import DEFAULT_PORT, create_app


def main() -> None:
    port = int(os.environ.get("PORT", DEFAULT_PORT))
    host = os.environ.get("HOST", "0.0.0.0")
    create_app().run(host=host, port=port, threaded=True)


if __name__ == "__main__":
    main()
