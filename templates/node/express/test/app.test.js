'use strict';

// In-process tests with node's built-in test runner: `npm test` or `node --test`.
// Each test starts its own app on a free port (port 0) and talks to it with fetch.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { createApp } = require('../src/app');

async function withServer(fn) {
  const server = createApp().listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  try {
    await fn(`http://127.0.0.1:${server.address().port}`);
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
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

test('GET /metrics counts requests by path and status', () => withServer(async (baseUrl) => {
  for (const path of ['/healthz', '/healthz', '/no-such-page']) {
    const response = await fetch(`${baseUrl}${path}`);
    await response.arrayBuffer();
  }

  const response = await fetch(`${baseUrl}/metrics`);
  assert.equal(response.status, 200);
  assert.equal(response.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
  const text = await response.text();
  assert.match(text, /# TYPE http_requests_total counter/);
  assert.match(text, /^http_requests_total\{path="\/healthz",code="200"\} 2$/m);
  assert.match(text, /^http_requests_total\{path="other",code="404"\} 1$/m);
  assert.match(text, /# TYPE process_start_time_seconds gauge/);
  assert.match(text, /^process_start_time_seconds \d+\.\d{3}$/m);
}));
