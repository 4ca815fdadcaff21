'use strict';

const express = require('express');
const { Metrics } = require('./metrics');

const SERVICE_NAME = '{{name}}';

// Builds the Express application (used by src/server.js and by the tests).
function createApp() {
  const app = express();
  const metrics = new Metrics();
  app.disable('x-powered-by');
  app.locals.metrics = metrics;

  // Count every request once the response is sent. Label by route pattern, not raw URL,
  // so unknown URLs (404s) are all counted as "other" and cannot grow the label set.
  app.use((req, res, next) => {
    res.on('finish', () => {
      const path = req.route ? req.baseUrl + req.route.path : 'other';
      metrics.count(path, res.statusCode);
    });
    next();
  });

  app.get('/', (req, res) => {
    res.json({ service: SERVICE_NAME, message: `hello from ${SERVICE_NAME}` });
  });

  app.get('/healthz', (req, res) => {
    res.json({ status: 'ok' });
  });

  return app;
}

// The metrics listener: only GET /metrics, on its own port (METRICS_PORT), which the platform's
// Service exposes to Prometheus and no Ingress routes. The public app does not serve /metrics.
function createMetricsApp(metrics) {
  const app = express();
  app.disable('x-powered-by');
  app.get('/metrics', (req, res) => {
    // Send a Buffer: for strings Express rewrites the Content-Type parameters.
    res.set('Content-Type', 'text/plain; version=0.0.4; charset=utf-8');
    res.send(Buffer.from(metrics.render(), 'utf8'));
  });
  return app;
}

module.exports = { createApp, createMetricsApp, SERVICE_NAME };
