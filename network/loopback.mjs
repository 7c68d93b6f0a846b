// Keeps the reference services on this machine: every server binds 127.0.0.1, and every outbound
// TCP connection or DNS query must be for a loopback name. Imports only Node built-ins, so it can
// be installed before any @atproto module is loaded (they call listen(port) with no host, which
// binds every interface, and would resolve foreign handles through DNS).
import dns from 'node:dns';
import { syncBuiltinESMExports } from 'node:module';
import net from 'node:net';

const LOOPBACK_HOST = '127.0.0.1';
const WILDCARD_HOSTS = new Set([undefined, null, '', '0.0.0.0', '::', '::0']);

const servers = new Set();
/** The addresses the servers of this process listen on now: [{host, port}]. */
export const listeners = () =>
  [...servers]
    .filter((server) => server.listening)
    .map((server) => server.address())
    .filter((address) => address && typeof address === 'object')
    .map((address) => ({ host: address.address, port: address.port }));
/** Every outbound attempt that was refused (should stay empty). */
export const refused = [];

export const isLoopbackName = (host) => {
  if (typeof host !== 'string') return false;
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  return (
    h === 'localhost' ||
    h.endsWith('.localhost') ||
    h === '::1' ||
    /^127\.\d+\.\d+\.\d+$/.test(h) ||
    /^::ffff:127\.\d+\.\d+\.\d+$/.test(h)
  );
};

// --- servers: rewrite wildcard or missing hosts to 127.0.0.1 --------------------------------------
const bindLoopback = (args) => {
  const [first] = args;
  if (typeof first === 'object' && first !== null && !Array.isArray(first)) {
    if (first.path !== undefined || first.fd !== undefined || first.handle !== undefined) return args;
    if (WILDCARD_HOSTS.has(first.host)) return [{ ...first, host: LOOPBACK_HOST }, ...args.slice(1)];
    return args;
  }
  if (typeof first === 'number' || (typeof first === 'string' && /^\d+$/.test(first))) {
    const second = args[1];
    if (typeof second === 'string' && !WILDCARD_HOSTS.has(second)) return args;
    if (WILDCARD_HOSTS.has(second)) return [first, LOOPBACK_HOST, ...args.slice(2)];
    // listen(port, backlog?, cb?) or listen(port, cb?): insert the host after the port
    return [first, LOOPBACK_HOST, ...args.slice(1)];
  }
  if (first === undefined || typeof first === 'function') {
    // listen() / listen(cb): a random port on every interface; keep it on loopback
    return [0, LOOPBACK_HOST, ...args];
  }
  return args; // a pipe path or a handle: not a TCP socket
};

const installListenPatch = () => {
  const originalListen = net.Server.prototype.listen;
  net.Server.prototype.listen = function listenOnLoopback(...args) {
    const patched = bindLoopback(args);
    servers.add(this);
    return originalListen.apply(this, patched);
  };
};

// --- clients: refuse anything that is not loopback -------------------------------------------------
const refuse = (kind, target) => {
  refused.push({ kind, target });
  process.stderr.write(`[atlex network guard] refused ${kind} to ${target}: only loopback is allowed\n`);
  const error = new Error(`atlex network guard: refused ${kind} to ${target} (only loopback is allowed)`);
  error.code = 'ECONNREFUSED';
  return error;
};

const connectTarget = (args) => {
  const [first, second] = args;
  if (Array.isArray(first)) return connectTarget(first); // internal normalized form
  if (typeof first === 'object' && first !== null) {
    if (first.path !== undefined) return null; // unix socket
    return { host: first.host ?? 'localhost', port: first.port };
  }
  if (typeof first === 'number' || (typeof first === 'string' && /^\d+$/.test(first))) {
    return { host: typeof second === 'string' ? second : 'localhost', port: first };
  }
  return null; // a pipe path
};

const installConnectGuard = () => {
  const originalConnect = net.Socket.prototype.connect;
  net.Socket.prototype.connect = function connectToLoopbackOnly(...args) {
    const target = connectTarget(args);
    if (target !== null && !isLoopbackName(target.host)) {
      const error = refuse('a TCP connection', `${target.host}:${target.port}`);
      process.nextTick(() => this.destroy(error));
      return this;
    }
    return originalConnect.apply(this, args);
  };
};

const RESOLVE_METHODS = [
  'resolve',
  'resolve4',
  'resolve6',
  'resolveAny',
  'resolveCaa',
  'resolveCname',
  'resolveMx',
  'resolveNaptr',
  'resolveNs',
  'resolvePtr',
  'resolveSoa',
  'resolveSrv',
  'resolveTxt',
  'reverse',
];

const guardCallbackApi = (target, name) => {
  const original = target[name];
  if (typeof original !== 'function') return;
  target[name] = function guardedDnsCall(hostname, ...rest) {
    if (name === 'lookup' && isLoopbackName(hostname)) return original.call(this, hostname, ...rest);
    const callback = rest.at(-1);
    const error = refuse(`a DNS query (${name})`, String(hostname));
    if (typeof callback === 'function') process.nextTick(() => callback(error));
    return undefined;
  };
};

const guardPromiseApi = (target, name) => {
  const original = target[name];
  if (typeof original !== 'function') return;
  target[name] = function guardedDnsPromise(hostname, ...rest) {
    if (name === 'lookup' && isLoopbackName(hostname)) return original.call(this, hostname, ...rest);
    return Promise.reject(refuse(`a DNS query (${name})`, String(hostname)));
  };
};

const installDnsGuard = () => {
  for (const name of ['lookup', ...RESOLVE_METHODS]) {
    guardCallbackApi(dns, name);
    guardCallbackApi(dns.Resolver.prototype, name);
    guardPromiseApi(dns.promises, name);
    guardPromiseApi(dns.promises.Resolver.prototype, name);
  }
  // 'localhost' must mean 127.0.0.1, where the servers listen, even where it maps to ::1 first
  dns.setDefaultResultOrder('ipv4first');
};

export const installLoopbackGuards = () => {
  installListenPatch();
  installConnectGuard();
  installDnsGuard();
  syncBuiltinESMExports(); // make `import { resolveTxt } from 'node:dns/promises'` see the guards too
};
