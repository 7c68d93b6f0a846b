// Starts the reference AT Protocol services on 127.0.0.1 and prints one ready line:
//
//   ATLEX_NETWORK_READY {"mode": ..., "pds": "http://127.0.0.1:PORT", ...}
//
// Ready-line fields: mode ('network' | 'pds'), pid, startupMs, plc, pds (loopback URLs to send
// requests to), pdsPublicUrl (what the PDS advertises: http://localhost:PORT), pdsDid, appview,
// appviewDid (null for a lone PDS without --appview-url), ozone, ozoneDid, dbSchema (network mode
// only), adminPassword, jwtSecret, handleDomain ('.test'), accessTtl ('120mins' unless
// --access-ttl), listeners ([{host, port}] of every server still listening), refusedOutbound
// (non-loopback connections or DNS queries refused so far: 0).
//
// or, when it cannot start, one error line and exit code 1:
//
//   ATLEX_NETWORK_ERROR {"what": "...", "hint": "..."}
//
// Modes:
//   --mode network   PLC + PDS + AppView (@atproto/dev-env TestNetwork; also ozone and bsync).
//                    Needs DB_POSTGRES_URL and REDIS_HOST (private instances, see tests/network).
//   --mode pds       a lone PDS (+ its own in-memory PLC unless --plc-url is given), optionally
//                    with access tokens that expire after --access-ttl (e.g. 5s).
//                    --data-dir DIR (needs --plc-url) keeps its databases, blobs and keys in DIR:
//                    started again with the same DIR and port after a kill, it is the same PDS.
//   --oauth-access-ttl SECONDS / --dpop-nonce-max-age SECONDS (any mode): the OAuth provider's
//                    access-token lifetime and DPoP nonce lifetime (nonces rotate every third).
//
// Stops cleanly on SIGTERM / SIGINT. Logs go to stderr; stdout carries only the two line kinds.
// Run it with Node 22 from network/node22 (see network/install.sh).
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';

import { shortenAccessTokens } from './access-ttl.mjs';
import { installLoopbackGuards, listeners, refused } from './loopback.mjs';
import { shortenOAuthTimes } from './oauth-timing.mjs';

const READY = 'ATLEX_NETWORK_READY';
const ERROR = 'ATLEX_NETWORK_ERROR';
const HANDLE_DOMAINS = ['.test'];
const SHUTDOWN_GRACE_MS = 15_000;
const startedAt = Date.now();

const fail = (what, hint) => {
  process.stdout.write(`${ERROR} ${JSON.stringify({ what, hint })}\n`);
  process.exit(1);
};

const explainStartupError = (error) => {
  if (error?.code === 'EADDRINUSE') {
    return [
      `port ${error.port} on ${error.address ?? '127.0.0.1'} is already in use`,
      'stop whatever holds it (an earlier run? `make network-down`) or start on other ports',
    ];
  }
  if (error?.code === 'ECONNREFUSED' && /5432|543\d|postgres/i.test(String(error?.message))) {
    return [`cannot reach PostgreSQL: ${error.message}`, 'check DB_POSTGRES_URL and that the server runs'];
  }
  return [`the services failed to start: ${error?.message ?? error}`, 'see the stack trace in the log'];
};

const { values: opts } = parseArgs({
  options: {
    mode: { type: 'string', default: 'network' },
    'plc-port': { type: 'string' },
    'pds-port': { type: 'string' },
    'appview-port': { type: 'string' },
    'ozone-port': { type: 'string' },
    'plc-url': { type: 'string' },
    'appview-url': { type: 'string' },
    'appview-did': { type: 'string' },
    'access-ttl': { type: 'string' },
    'oauth-access-ttl': { type: 'string' },
    'dpop-nonce-max-age': { type: 'string' },
    'data-dir': { type: 'string' },
  },
  strict: true,
});

const port = (name) => {
  const raw = opts[name];
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > 65535) fail(`--${name} must be a TCP port (got ${raw})`, 'pass a number between 1 and 65535');
  return value;
};

// dev-env spreads these objects over its own defaults: an undefined key would erase a default
const defined = (object) => Object.fromEntries(Object.entries(object).filter(([, v]) => v !== undefined));

// A local URL for clients: the services advertise http://localhost:PORT, but listen on IPv4 only.
const loopbackUrl = (p) => `http://127.0.0.1:${p}`;

/** No DNS and no internet: DIDs other than did:plc (served by the local PLC) and handles outside
 * the local handle domains resolve to nothing, instead of being looked up. */
const keepIdentityLocal = (idResolver) => {
  const resolveDid = idResolver.did.resolveNoCache;
  idResolver.did.resolveNoCache = async (did) =>
    did.startsWith('did:plc:') ? resolveDid.call(idResolver.did, did) : null;
  const resolveHandle = idResolver.handle.resolve;
  idResolver.handle.resolve = async (handle) =>
    HANDLE_DOMAINS.some((domain) => handle.endsWith(domain))
      ? resolveHandle.call(idResolver.handle, handle)
      : undefined;
};

const startNetwork = async (devEnv) => {
  if (!process.env.DB_POSTGRES_URL) fail('DB_POSTGRES_URL is not set', 'the network mode needs a PostgreSQL URL');
  if (!process.env.REDIS_HOST) fail('REDIS_HOST is not set', 'the network mode needs a Redis host:port');
  // a fresh schema per run: the AppView, bsync and ozone keep their data in Postgres schemas
  // (schema names may hold only letters and '_')
  const letters = [...randomBytes(12)].map((byte) => String.fromCharCode(97 + (byte % 26))).join('');
  const dbPostgresSchema = `run_${letters}`;
  const network = await devEnv.TestNetwork.create({
    dbPostgresSchema,
    plc: defined({ port: port('plc-port') }),
    pds: defined({ port: port('pds-port'), hostname: 'localhost' }),
    bsky: defined({ port: port('appview-port') }),
    ozone: defined({ port: port('ozone-port') }),
  });
  for (const resolver of [network.pds.ctx.idResolver, network.bsky.ctx.idResolver, network.bsky.dataplane.idResolver]) {
    keepIdentityLocal(resolver);
  }
  return {
    close: () => network.close(),
    info: {
      plc: loopbackUrl(network.plc.port),
      pds: loopbackUrl(network.pds.port),
      pdsPublicUrl: network.pds.url,
      pdsDid: network.pds.ctx.cfg.service.did,
      appview: loopbackUrl(network.bsky.port),
      appviewDid: network.bsky.serverDid,
      ozone: loopbackUrl(network.ozone.port),
      ozoneDid: network.ozone.ctx.cfg.service.did,
      dbSchema: dbPostgresSchema,
    },
  };
};

/** What a PDS keeps (SQLite databases and actor stores, blobs) and the keys that TestPds would
 * otherwise draw afresh at each start, all in ``dir``: the first start creates them, a restart
 * reads them back. The JWT secret and admin password are fixed by dev-env already. */
const persistentState = async (dir) => {
  const keysFile = path.join(dir, 'keys.json');
  if (!existsSync(keysFile)) {
    const { Secp256k1Keypair } = await import('@atproto/crypto');
    const rotation = await Secp256k1Keypair.create({ exportable: true });
    const keys = {
      plcRotationKeyK256PrivateKeyHex: Buffer.from(await rotation.export()).toString('hex'),
      recoveryDidKey: (await Secp256k1Keypair.create()).did(),
    };
    mkdirSync(dir, { recursive: true });
    writeFileSync(keysFile, JSON.stringify(keys), { mode: 0o600 });
  }
  const state = {
    ...JSON.parse(readFileSync(keysFile, 'utf8')),
    dataDirectory: path.join(dir, 'data'),
    blobstoreDiskLocation: path.join(dir, 'blobs'),
  };
  mkdirSync(state.dataDirectory, { recursive: true });
  return state;
};

const startLonePds = async (devEnv) => {
  let plc = null;
  let plcUrl = opts['plc-url'];
  if (plcUrl === undefined) {
    plc = await devEnv.TestPlc.create(defined({ port: port('plc-port') }));
    plcUrl = plc.url;
  }
  const appviewUrl = opts['appview-url'];
  const appviewDid = opts['appview-did'];
  if ((appviewUrl === undefined) !== (appviewDid === undefined)) {
    fail('--appview-url and --appview-did go together', 'pass both or neither');
  }
  const dataDir = opts['data-dir'];
  if (dataDir !== undefined && opts['plc-url'] === undefined) {
    fail('--data-dir needs --plc-url', 'a lone PLC lives in memory: its DIDs would not survive a restart');
  }
  const persistent = dataDir === undefined ? {} : await persistentState(dataDir);
  const pds = await devEnv.TestPds.create(defined({
    ...persistent,
    port: port('pds-port'),
    hostname: 'localhost',
    didPlcUrl: plcUrl,
    // a placeholder AppView still lets app.bsky.actor.{get,put}Preferences be served locally
    bskyAppViewUrl: appviewUrl ?? 'http://127.0.0.1:9',
    bskyAppViewDid: appviewDid ?? 'did:example:no-appview',
  }));
  devEnv.mockResolvers(pds.ctx.idResolver, pds);
  keepIdentityLocal(pds.ctx.idResolver);
  return {
    close: async () => {
      await pds.close();
      await plc?.close();
    },
    info: {
      plc: plc ? loopbackUrl(plc.port) : plcUrl,
      pds: loopbackUrl(pds.port),
      pdsPublicUrl: pds.url,
      pdsDid: pds.ctx.cfg.service.did,
      appview: appviewUrl ?? null,
      appviewDid: appviewDid ?? null,
    },
  };
};

const main = async () => {
  if (!['network', 'pds'].includes(opts.mode)) fail(`unknown --mode ${opts.mode}`, 'use --mode network or --mode pds');
  if (opts['data-dir'] !== undefined && opts.mode !== 'pds') {
    fail('--data-dir needs --mode pds', 'only a lone PDS keeps its state in a directory');
  }
  if (opts['access-ttl'] !== undefined && opts.mode !== 'pds') {
    fail('--access-ttl needs --mode pds', 'short-lived tokens apply to a whole process; run a separate lone PDS for them');
  }
  installLoopbackGuards();
  // dev-env keeps PDS data and its port-lock files in os.tmpdir(): one private directory per run
  const scratch = mkdtempSync(path.join(process.env.TMPDIR ?? os.tmpdir(), 'atlex-devenv-'));
  process.env.TMPDIR = scratch;
  process.on('exit', () => rmSync(scratch, { recursive: true, force: true }));
  const checkTtl = opts['access-ttl'] === undefined ? null : shortenAccessTokens(opts['access-ttl']);
  const checkOAuth = shortenOAuthTimes({ tokenTtl: opts['oauth-access-ttl'], nonceMaxAge: opts['dpop-nonce-max-age'] });

  const devEnv = await import('@atproto/dev-env'); // only now: the guards and hooks must come first
  let running;
  try {
    running = opts.mode === 'network' ? await startNetwork(devEnv) : await startLonePds(devEnv);
    checkTtl?.();
    checkOAuth();
  } catch (error) {
    const [what, hint] = explainStartupError(error);
    process.stderr.write(`${error?.stack ?? error}\n`);
    fail(what, hint);
  }

  let stopping = false;
  const stop = async (signal) => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`[atlex network] ${signal}: stopping\n`);
    const force = setTimeout(() => {
      process.stderr.write('[atlex network] shutdown took too long; exiting anyway\n');
      process.exit(2);
    }, SHUTDOWN_GRACE_MS);
    force.unref();
    try {
      await running.close();
    } catch (error) {
      process.stderr.write(`[atlex network] error while stopping: ${error?.stack ?? error}\n`);
    }
    process.stderr.write(`[atlex network] stopped; refused outbound attempts: ${refused.length}\n`);
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));

  const ready = {
    mode: opts.mode,
    pid: process.pid,
    startupMs: Date.now() - startedAt,
    ...running.info,
    adminPassword: 'admin-pass', // fixed by @atproto/dev-env
    jwtSecret: 'jwt-secret', // fixed by @atproto/dev-env; lets tests forge tokens
    handleDomain: HANDLE_DOMAINS[0],
    accessTtl: opts['access-ttl'] ?? '120mins',
    listeners: listeners(),
    refusedOutbound: refused.length,
  };
  process.stdout.write(`${READY} ${JSON.stringify(ready)}\n`);
};

process.on('unhandledRejection', (error) => {
  process.stderr.write(`[atlex network] unhandled rejection: ${error?.stack ?? error}\n`);
});

main().catch((error) => {
  const [what, hint] = explainStartupError(error);
  process.stderr.write(`${error?.stack ?? error}\n`);
  fail(what, hint);
});
