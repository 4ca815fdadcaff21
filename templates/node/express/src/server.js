'use strict';

const { createApp, SERVICE_NAME } = require('./app');

const DEFAULT_PORT = {{port}};
const port = Number.parseInt(process.env.PORT || '', 10) || DEFAULT_PORT;
const host = process.env.HOST || '0.0.0.0';

const server = createApp().listen(port, host, () => {
  console.log(`${SERVICE_NAME} listening on http://${host}:${server.address().port}`);
});

// Stop accepting connections and exit cleanly on SIGTERM/SIGINT (docker stop, Ctrl-C).
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => {
    server.close(() => process.exit(0));
    setTimeout(() => process.exit(0), 5000).unref();
  });
}
