// The benchmark's node side, kept alive between rounds so that V8 stays warmed up.
// argv[2]: JSON {gateway: {endpoint, authorization}, tencent: config of Logto's Tencent connector}
// stdin: one command per line: {"path": "http-sms" | "tencent", "n": N, "to": "+86…"}
// stdout: one line per command: {"ms": [latency of each send, in order]} (or {"error": …}).
// Sends run one after the other, the way one sign-in after another reaches Logto.
import readline from 'node:readline';
import createHttpSms from '@logto/connector-http-sms';
import createTencent from '@logto/connector-tencent-sms';

const setup = JSON.parse(process.argv[2]);
const connectors = {
  'http-sms': await createHttpSms({ getConfig: async () => setup.gateway }),
  tencent: await createTencent({ getConfig: async () => setup.tencent }),
};

const lines = readline.createInterface({ input: process.stdin });
for await (const line of lines) {
  const { path, n, to } = JSON.parse(line);
  const connector = connectors[path];
  const ms = [];
  try {
    for (let i = 0; i < n; i += 1) {
      const started = performance.now();
      await connector.sendMessage({ to, type: 'SignIn', payload: { code: '123456' } });
      ms.push(performance.now() - started);
    }
    process.stdout.write(JSON.stringify({ ms }) + '\n');
  } catch (error) {
    const detail = { code: error.code, data: error.data, message: String(error.message) };
    process.stdout.write(JSON.stringify({ error: detail }) + '\n');
  }
}
