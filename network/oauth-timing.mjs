// Shortens the OAuth provider's access-token lifetime and DPoP nonce rotation, which
// @atproto/oauth-provider hard-codes (TOKEN_MAX_AGE 60 min, DPOP_NONCE_MAX_AGE 3 min, nonces
// rotating every third of that), by rewriting those constants while the module loads, so tests
// can watch tokens expire and nonces rotate within seconds. No file in node_modules is edited.
// Must run before @atproto/pds is imported.
import { registerHooks } from 'node:module';

const CONSTANTS = '/@atproto/oauth-provider/dist/oauth-constants.js';
const TOKEN = 'export const TOKEN_MAX_AGE = 60 * MINUTE;';
const NONCE = 'export const DPOP_NONCE_MAX_AGE = 3 * MINUTE;';

const seconds = (name, raw) => {
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a whole number of seconds (got ${JSON.stringify(raw)})`);
  return value;
};

/** `tokenTtl` / `nonceMaxAge` in seconds (undefined keeps the default); nonces then rotate
 * every nonceMaxAge/3 seconds (at least 1 s). Returns a check to call after the import. */
export const shortenOAuthTimes = ({ tokenTtl, nonceMaxAge }) => {
  const token = tokenTtl === undefined ? null : seconds('--oauth-access-ttl', tokenTtl);
  const nonce = nonceMaxAge === undefined ? null : Math.max(3, seconds('--dpop-nonce-max-age', nonceMaxAge));
  let applied = false;
  registerHooks({
    load(url, context, nextLoad) {
      const result = nextLoad(url, context);
      if (!url.endsWith(CONSTANTS)) return result;
      let source = String(result.source);
      for (const [line, value, name] of [[TOKEN, token, 'TOKEN_MAX_AGE'], [NONCE, nonce, 'DPOP_NONCE_MAX_AGE']]) {
        if (value === null) continue;
        if (!source.includes(line)) {
          // An upgrade changed this code: fail loudly instead of silently testing nothing.
          throw new Error(`cannot shorten ${name}: ${url} no longer contains ${JSON.stringify(line)}; update network/oauth-timing.mjs`);
        }
        source = source.replace(line, `export const ${name} = ${value} * SECOND;`);
      }
      applied = true;
      return { ...result, source };
    },
  });
  return () => {
    if (!applied && (token !== null || nonce !== null)) throw new Error(`the PDS never loaded ${CONSTANTS}; OAuth times were not shortened`);
  };
};
