// Sustained load for the benchmark: C keep-alive clients POST to the gateway for S seconds.
// argv[2]: JSON {url, authorization, clients, seconds}. stdout: {"sent": N, "errors": E, "ms": [...]}
import http from 'node:http';

const { url, authorization, clients, seconds } = JSON.parse(process.argv[2]);
const agent = new http.Agent({ keepAlive: true, maxSockets: clients });
const stop = performance.now() + seconds * 1000;
let sent = 0;
let errors = 0;
const ms = [];

const post = (body) =>
  new Promise((resolve) => {
    const request = http.request(url, {
      method: 'POST',
      agent,
      headers: { 'content-type': 'application/json', authorization },
    });
    request.on('response', (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode));
    });
    request.on('error', () => resolve(0));
    request.end(body);
  });

const client = async (index) => {
  let sequence = 0;
  while (performance.now() < stop) {
    const to = `+86139${String(index).padStart(2, '0')}${String(sequence).padStart(6, '0')}`;
    const started = performance.now();
    const status = await post(JSON.stringify({ to, type: 'SignIn', payload: { code: '123456' } }));
    ms.push(performance.now() - started);
    if (status === 200) sent += 1;
    else errors += 1;
    sequence += 1;
  }
};

await Promise.all(Array.from({ length: clients }, (_, i) => client(i)));
agent.destroy();
process.stdout.write(JSON.stringify({ sent, errors, ms }) + '\n');
