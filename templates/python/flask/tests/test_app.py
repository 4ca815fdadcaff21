"""In-process tests using Flask's test client: run with `python3 -m pytest`."""

import unittest

from {{name_snake}} import create_app, create_metrics_app


class AppTest(unittest.TestCase):
    def setUp(self) -> None:
        app = create_app()
        self.client = app.test_client()
        self.metrics = create_metrics_app(app.extensions["metrics"]).test_client()

    def test_the_public_app_does_not_serve_metrics(self) -> None:
        self.assertEqual(self.client.get("/metrics").status_code, 404)

    def test_healthz(self) -> None:
        response = self.client.get("/healthz")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.mimetype, "application/json")
        self.assertEqual(response.get_json(), {"status": "ok"})

    def test_index_names_the_service(self) -> None:
        response = self.client.get("/")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.get_json()["service"], "{{name}}")

    def test_metrics_counts_requests(self) -> None:
        self.client.get("/healthz")
        self.client.get("/healthz")
        self.assertEqual(self.client.get("/no-such-page").status_code, 404)

        response = self.metrics.get("/metrics")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.headers["Content-Type"], "text/plain; version=0.0.4; charset=utf-8")
        text = response.get_data(as_text=True)
        self.assertIn("# TYPE http_requests_total counter", text)
        self.assertIn('http_requests_total{path="/healthz",code="200"} 2', text)
        self.assertIn('http_requests_total{path="other",code="404"} 1', text)
        self.assertIn("# TYPE process_start_time_seconds gauge", text)


if __name__ == "__main__":
    unittest.main()
