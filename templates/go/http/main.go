// Command {{name}} is a small HTTP service built on the Go standard library.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

const (
	serviceName        = "{{name}}"
	defaultPort        = "{{port}}"
	defaultMetricsPort = "9090"
)

// newHandler builds the service's routes; main and the tests both use it.
func newHandler(m *metrics) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{
			"service": serviceName,
			"message": "hello from " + serviceName,
		})
	})
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	return m.instrument(mux, []string{"/", "/healthz"})
}

// newMetricsHandler serves only GET /metrics, on its own port (METRICS_PORT): the platform's
// Service exposes it to Prometheus as the port named "metrics" and no Ingress routes it.
func newMetricsHandler(m *metrics) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/metrics", m)
	return mux
}

func writeJSON(w http.ResponseWriter, status int, v interface{}) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if err := json.NewEncoder(w).Encode(v); err != nil {
		log.Printf("writing response: %v", err)
	}
}

func envOr(key, fallback string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return fallback
}

// healthcheck is used by the container HEALTHCHECK (the runtime image has no shell or curl).
func healthcheck(port string) int {
	client := http.Client{Timeout: 3 * time.Second}
	resp, err := client.Get("http://127.0.0.1:" + port + "/healthz")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintln(os.Stderr, "unhealthy:", resp.Status)
		return 1
	}
	return 0
}

func main() {
	check := flag.Bool("healthcheck", false, "probe /healthz of a running instance and exit")
	flag.Parse()
	port := envOr("PORT", defaultPort)
	metricsPort := envOr("METRICS_PORT", defaultMetricsPort)
	if *check {
		os.Exit(healthcheck(port))
	}

	m := newMetrics()
	srv := &http.Server{Addr: ":" + port, Handler: newHandler(m), ReadHeaderTimeout: 10 * time.Second}
	metricsSrv := &http.Server{Addr: ":" + metricsPort, Handler: newMetricsHandler(m), ReadHeaderTimeout: 10 * time.Second}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		for _, s := range []*http.Server{srv, metricsSrv} {
			if err := s.Shutdown(shutdownCtx); err != nil {
				log.Printf("shutdown: %v", err)
			}
		}
	}()

	go func() {
		log.Printf("%s metrics on :%s/metrics", serviceName, metricsPort)
		if err := metricsSrv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Fatal(err)
		}
	}()
	log.Printf("%s listening on :%s", serviceName, port)
	if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Fatal(err)
	}
}
