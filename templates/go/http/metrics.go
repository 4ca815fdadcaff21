package main

import (
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"
)

// metrics holds hand-written Prometheus metrics: a request counter by path and
// status code, and the process start time. It serves text exposition format 0.0.4.
type metrics struct {
	start    time.Time
	mu       sync.Mutex
	requests map[requestKey]uint64
}

type requestKey struct {
	path string
	code int
}

func newMetrics() *metrics {
	return &metrics{start: time.Now(), requests: make(map[requestKey]uint64)}
}

func (m *metrics) count(path string, code int) {
	m.mu.Lock()
	m.requests[requestKey{path, code}]++
	m.mu.Unlock()
}

// instrument counts every request handled by next. Paths not in known are
// counted as "other" so that unknown URLs cannot grow the label set.
func (m *metrics) instrument(next http.Handler, known []string) http.Handler {
	knownPaths := make(map[string]bool, len(known))
	for _, p := range known {
		knownPaths[p] = true
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &statusRecorder{ResponseWriter: w, code: http.StatusOK}
		next.ServeHTTP(rec, r)
		path := r.URL.Path
		if !knownPaths[path] {
			path = "other"
		}
		m.count(path, rec.code)
	})
}

func (m *metrics) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	fmt.Fprint(w, m.render())
}

func (m *metrics) render() string {
	m.mu.Lock()
	keys := make([]requestKey, 0, len(m.requests))
	for k := range m.requests {
		keys = append(keys, k)
	}
	values := make(map[requestKey]uint64, len(m.requests))
	for k, v := range m.requests {
		values[k] = v
	}
	m.mu.Unlock()
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].path != keys[j].path {
			return keys[i].path < keys[j].path
		}
		return keys[i].code < keys[j].code
	})

	var b strings.Builder
	b.WriteString("# HELP http_requests_total Total HTTP requests by path and status code.\n")
	b.WriteString("# TYPE http_requests_total counter\n")
	for _, k := range keys {
		fmt.Fprintf(&b, "http_requests_total{path=\"%s\",code=\"%d\"} %d\n", escapeLabel(k.path), k.code, values[k])
	}
	b.WriteString("# HELP process_start_time_seconds Start time of the process since unix epoch in seconds.\n")
	b.WriteString("# TYPE process_start_time_seconds gauge\n")
	fmt.Fprintf(&b, "process_start_time_seconds %.3f\n", float64(m.start.UnixNano())/1e9)
	return b.String()
}

var labelEscaper = strings.NewReplacer(`\`, `\\`, "\n", `\n`, `"`, `\"`)

func escapeLabel(s string) string { return labelEscaper.Replace(s) }

// statusRecorder remembers the status code written by a handler.
type statusRecorder struct {
	http.ResponseWriter
	code        int
	wroteHeader bool
}

func (r *statusRecorder) WriteHeader(code int) {
	if !r.wroteHeader {
		r.code = code
		r.wroteHeader = true
	}
	r.ResponseWriter.WriteHeader(code)
}
