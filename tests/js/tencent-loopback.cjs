// Preload (node --require) for the benchmark: Logto's Tencent connector always talks to
// https://sms.tencentcloudapi.com:443. Inside this process that name leads to the local
// emulator (127.0.0.1, port $TENCENT_EMULATOR_PORT), whose throwaway CA is trusted through
// NODE_EXTRA_CA_CERTS; certificate checks stay on. Any other connection off loopback is
// refused, so nothing leaves this machine.
'use strict';
const dns = require('node:dns');
const net = require('node:net');
const tls = require('node:tls');

const TENCENT = 'sms.tencentcloudapi.com';
const port = Number(process.env.TENCENT_EMULATOR_PORT);
if (!Number.isInteger(port) || port <= 0) throw new Error('set TENCENT_EMULATOR_PORT');

const loopback = (host) =>
  host === undefined || host === 'localhost' || host === '::1' || /^127\./.test(host);

const lookup = dns.lookup;
dns.lookup = function (hostname, options, callback) {
  if (hostname === TENCENT) hostname = '127.0.0.1';
  else if (!loopback(hostname)) throw new Error(`benchmark: ${hostname} is not on loopback`);
  return lookup.call(this, hostname, options, callback);
};

const tlsConnect = tls.connect;
tls.connect = function (...args) {
  const options = args.find((a) => a && typeof a === 'object');
  if (options && (options.host === TENCENT || options.servername === TENCENT)) {
    // The emulator's certificate names localhost: verify it as such.
    Object.assign(options, { host: '127.0.0.1', port, servername: 'localhost' });
  }
  return tlsConnect.apply(this, args);
};

const netConnect = net.connect;
net.connect = net.createConnection = function (...args) {
  const options = args.find((a) => a && typeof a === 'object');
  const host = options ? options.host : typeof args[1] === 'string' ? args[1] : undefined;
  if (!loopback(host) && host !== TENCENT) throw new Error(`benchmark: ${host} is not on loopback`);
  return netConnect.apply(this, args);
};
