// Drive Logto's real HTTP SMS connector (@logto/connector-http-sms), as Logto's core does.
// stdin: {"endpoint": URL, "authorization": "Bearer …" (optional), "calls": [{to, type, payload, ip?}]}
// The calls run concurrently. stdout: one JSON line per call, in order:
//   {"ok": true, "ms": N} or {"ok": false, "ms": N, "code": ConnectorError code, "data": …}
import createConnector from '@logto/connector-http-sms';

const read = async () => {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
};

const input = await read();
const config = { endpoint: input.endpoint };
if (input.authorization !== undefined) config.authorization = input.authorization;
const connector = await createConnector({ getConfig: async () => config });

const one = async (call) => {
  const started = performance.now();
  try {
    await connector.sendMessage(call);
    return { ok: true, ms: performance.now() - started };
  } catch (error) {
    return { ok: false, ms: performance.now() - started, code: error.code, data: error.data ?? null };
  }
};

const results = await Promise.all(input.calls.map(one));
for (const result of results) process.stdout.write(JSON.stringify(result) + '\n');
