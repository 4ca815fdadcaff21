'use strict';

// In-process tests with node's built-in test runner: `npm test` or `node --test`.
// Each test starts its own app on a free port (port 0) and talks to it with fetch.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { createApp, createMetricsApp } = require('../src/app');

// Starts the public app and the metrics app (each on a free port) and passes both base URLs.
async function withServer(fn) {
  const app = createApp();
  const servers = [app.listen(0, '127.0.0.1'), createMetricsApp(app.locals.metrics).listen(0, '127.0.0.1')];
  await Promise.all(servers.map((server) => new Promise((resolve) => server.once('listening', resolve))));
  try {
    await fn(...servers.map((server) => `http://127.0.0.1:${server.address().port}`));
  } finally {
    for (const server of servers) {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  }
}

test('GET /healthz returns ok', () => withServer(async (baseUrl) => {
  const response = await fetch(`${baseUrl}/healthz`);
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type'), /^application\/json/);
  assert.deepEqual(await response.json(), { status: 'ok' });
}));

test('GET / names the service', () => withServer(async (baseUrl) => {
  const response = await fetch(`${baseUrl}/`);
  assert.equal(response.status, 200);
  assert.equal((await response.json()).service, '{{name}}');
}));

test('the public port does not serve /metrics', () => withServer(async (baseUrl) => {
  const response = await fetch(`${baseUrl}/metrics`);
  await response.arrayBuffer();
  assert.equal(response.status, 404);
}));

test('GET /metrics on the metrics port counts requests by path and status', () => withServer(async (baseUrl, metricsUrl) => {
  for (const path of ['/healthz', '/healthz', '/no-such-page']) {
    const response = await fetch(`${baseUrl}${path}`);
    await response.arrayBuffer();
  }

  const response = await fetch(`${metricsUrl}/metrics`);
  assert.equal(response.status, 200);
  assert.equal(response.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
  const text = await response.text();
  assert.match(text, /# TYPE http_requests_total counter/);
  assert.match(text, /^http_requests_total\{path="\/healthz",code="200"\} 2$/m);
  assert.match(text, /^http_requests_total\{path="other",code="404"\} 1$/m);
  assert.match(text, /# TYPE process_start_time_seconds gauge/);
  assert.match(text, /^process_start_time_seconds \d+\.\d{3}$/m);
}));
