'use strict';

const { createApp, createMetricsApp, SERVICE_NAME } = require('./app');

const DEFAULT_PORT = {{port}};
const DEFAULT_METRICS_PORT = 9090;
const port = Number.parseInt(process.env.PORT || '', 10) || DEFAULT_PORT;
const metricsPort = Number.parseInt(process.env.METRICS_PORT || '', 10) || DEFAULT_METRICS_PORT;
const host = process.env.HOST || '0.0.0.0';

const app = createApp();
const servers = [
  app.listen(port, host, () => {
    console.log(`${SERVICE_NAME} listening on http://${host}:${servers[0].address().port}`);
  }),
  createMetricsApp(app.locals.metrics).listen(metricsPort, host, () => {
    console.log(`${SERVICE_NAME} metrics on http://${host}:${servers[1].address().port}/metrics`);
  }),
];

// Stop accepting connections and exit cleanly on SIGTERM/SIGINT (docker stop, Ctrl-C).
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => {
    let open = servers.length;
    for (const server of servers) server.close(() => { open -= 1; if (open === 0) process.exit(0); });
    setTimeout(() => process.exit(0), 5000).unref();
  });
}
