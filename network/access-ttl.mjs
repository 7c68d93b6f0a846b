// Shortens the PDS access-token lifetime, which @atproto/pds hard-codes ('120mins', no setting),
// by rewriting that default while the module loads. No file in node_modules is edited. Must run
// before @atproto/pds is imported.
import { registerHooks } from 'node:module';

const AUTH_HELPERS = '/@atproto/pds/dist/account-manager/helpers/auth.js';
const HARD_CODED_DEFAULT = "expiresIn = '120mins'";

/** Makes every access token the PDS issues expire after `ttl` (a jose duration such as '3s'). */
export const shortenAccessTokens = (ttl) => {
  if (!/^\d+(s|sec|secs|m|min|mins)$/.test(ttl)) {
    throw new Error(`access token lifetime must look like '3s' or '1min' (got ${JSON.stringify(ttl)})`);
  }
  let applied = false;
  registerHooks({
    load(url, context, nextLoad) {
      const result = nextLoad(url, context);
      if (!url.endsWith(AUTH_HELPERS)) return result;
      const source = String(result.source);
      if (!source.includes(HARD_CODED_DEFAULT)) {
        // A PDS upgrade changed this code: fail loudly instead of silently testing nothing.
        throw new Error(
          `cannot shorten access tokens: ${url} no longer contains ${HARD_CODED_DEFAULT}; ` +
            'update network/access-ttl.mjs for this @atproto/pds version',
        );
      }
      applied = true;
      return { ...result, source: source.replace(HARD_CODED_DEFAULT, `expiresIn = '${ttl}'`) };
    },
  });
  /** Throws unless the PDS module was loaded through the hook (call it after the import). */
  return () => {
    if (!applied) throw new Error(`the PDS never loaded ${AUTH_HELPERS}; access tokens were not shortened`);
  };
};
