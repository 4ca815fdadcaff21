package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func get(t *testing.T, h http.Handler, path string) *http.Response {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	return rec.Result()
}

func body(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestHealthz(t *testing.T) {
	resp := get(t, newHandler(newMetrics()), "/healthz")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status = %d, want 200", resp.StatusCode)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
	var got map[string]string
	if err := json.Unmarshal([]byte(body(t, resp)), &got); err != nil {
		t.Fatal(err)
	}
	if got["status"] != "ok" || len(got) != 1 {
		t.Errorf("body = %v, want status ok", got)
	}
}

func TestIndexNamesService(t *testing.T) {
	resp := get(t, newHandler(newMetrics()), "/")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status = %d, want 200", resp.StatusCode)
	}
	if b := body(t, resp); !strings.Contains(b, `"service":"{{name}}"`) {
		t.Errorf("body = %s, want the service name", b)
	}
}

func TestThePublicHandlerDoesNotServeMetrics(t *testing.T) {
	if resp := get(t, newHandler(newMetrics()), "/metrics"); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("status = %d, want 404", resp.StatusCode)
	}
}

func TestMetricsCountsRequests(t *testing.T) {
	m := newMetrics()
	h := newHandler(m)
	get(t, h, "/healthz")
	get(t, h, "/healthz")
	if resp := get(t, h, "/no-such-page"); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("status = %d, want 404", resp.StatusCode)
	}

	resp := get(t, newMetricsHandler(m), "/metrics")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status = %d, want 200", resp.StatusCode)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "text/plain; version=0.0.4; charset=utf-8" {
		t.Errorf("Content-Type = %q", ct)
	}
	text := body(t, resp)
	for _, want := range []string{
		"# TYPE http_requests_total counter\n",
		`http_requests_total{path="/healthz",code="200"} 2` + "\n",
		`http_requests_total{path="other",code="404"} 1` + "\n",
		"# TYPE process_start_time_seconds gauge\n",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("metrics missing %q:\n%s", want, text)
		}
	}
}
