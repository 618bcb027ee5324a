// An independent DPoP (RFC 9449) and protected-resource-metadata (RFC 9728) client for the
// interop suite, built on panva's oauth4webapi: key generation, the DPoP proofs (htm, htu, iat,
// jti, ath, nonce), the DPoP-bound client-credentials token request and the protected-resource
// calls are all oauth4webapi's; this file only drives them and reports what happened, one JSON
// object on one stdout line per command.
//
// Commands (all options take a value; URLs are absolute):
//   token    --issuer URL --resource R [--scope S] [--client ID] [--alg A | --bearer]
//            a token from the client-credentials grant (DPoP-bound unless --bearer).
//   call     --issuer URL --resource R --url U [--scope S] [--client ID] [--alg A]
//            [--proof-alg NAME] [--method M] [--mint]
//            a DPoP-bound token, then M (default GET) U through protectedResourceRequest,
//            retried once on a `use_dpop_nonce` challenge (the documented pattern).
//            --proof-alg rewrites the proof header's `alg` (e.g. EdDSA for an Ed25519 key,
//            which oauth4webapi labels Ed25519).
//            --mint adds proofs made by oauth4webapi but never sent, for negative tests:
//            another htu, another htm (POST), an ath for another token, another key.
//   discover --url U [--client ID] [--scope S] [--alg A]
//            the flow of a Model Context Protocol client: U without credentials, 401,
//            `resource_metadata` from the WWW-Authenticate challenge, the RFC 9728 document,
//            authorization_servers[0], AS discovery, a token for the metadata's `resource`
//            (DPoP when the metadata has dpop_signing_alg_values_supported), U again.
// The client secret of client ID is `ID-secret` (provider.mjs). Exit status 0 unless the
// command itself could not run (then {"error": ...} and status 2).
import * as oauth from 'oauth4webapi';

const insecure = { [oauth.allowInsecureRequests]: true };

function parseArgs(argv) {
  const [command, ...rest] = argv;
  const opts = {};
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i];
    if (!arg.startsWith('--')) throw new Error(`unexpected argument ${arg}`);
    const name = arg.slice(2);
    if (name === 'mint' || name === 'bearer') {
      opts[name] = true;
    } else {
      if (i + 1 >= rest.length) throw new Error(`${arg} needs a value`);
      opts[name] = rest[++i];
    }
  }
  return { command, opts };
}

function need(opts, name) {
  if (!opts[name]) throw new Error(`--${name} is required`);
  return opts[name];
}

const b64uJson = (part) => JSON.parse(Buffer.from(part, 'base64url').toString());
const decodeJwt = (jwt) => {
  const [h, p] = jwt.split('.');
  return { header: b64uJson(h), payload: b64uJson(p) };
};

// Everything oauth4webapi sends goes through here (its customFetch option): the exact headers
// of each request are recorded, and each response's DPoP-Nonce is remembered.
function recorder() {
  const log = [];
  const state = { lastNonce: undefined };
  const fetcher = async (url, init) => {
    const entry = { url: String(url), method: init.method, headers: { ...init.headers } };
    log.push(entry);
    const res = await fetch(url, init);
    entry.status = res.status;
    entry.response_headers = Object.fromEntries(res.headers.entries());
    entry.response_body = await res.clone().text();
    const nonce = res.headers.get('dpop-nonce');
    if (nonce) state.lastNonce = nonce;
    return res;
  };
  return { log, state, fetcher };
}

async function newKey(alg) {
  const keyPair = await oauth.generateKeyPair(alg);
  const jwk = await crypto.subtle.exportKey('jwk', keyPair.publicKey);
  return { keyPair, jwk };
}

// modifyAssertion: optionally relabel the proof's `alg`, and fill in a nonce the handle itself
// has not seen (used for proofs of another key, minted by a handle of their own).
function proofModifier(proofAlg, nonceSource) {
  if (!proofAlg && !nonceSource) return undefined;
  return {
    [oauth.modifyAssertion]: (header, payload) => {
      if (proofAlg) header.alg = proofAlg;
      if (nonceSource && payload.nonce === undefined && nonceSource.lastNonce) payload.nonce = nonceSource.lastNonce;
    },
  };
}

async function discoverAs(issuer, rec) {
  const url = new URL(issuer);
  const res = await oauth.discoveryRequest(url, { ...insecure, [oauth.customFetch]: rec.fetcher });
  return oauth.processDiscoveryResponse(url, res);
}

// The client-credentials grant, retried once when the authorization server asks for a nonce.
async function getToken(as, clientId, parameters, dpop, rec) {
  const client = { client_id: clientId };
  const auth = oauth.ClientSecretBasic(`${clientId}-secret`);
  const options = { ...insecure, [oauth.customFetch]: rec.fetcher, ...(dpop ? { DPoP: dpop } : {}) };
  let retried = false;
  for (;;) {
    const res = await oauth.clientCredentialsGrantRequest(as, client, auth, new URLSearchParams(parameters), options);
    try {
      return { result: await oauth.processClientCredentialsResponse(as, client, res), retried };
    } catch (err) {
      if (dpop && !retried && oauth.isDPoPNonceError(err)) {
        retried = true;
        continue;
      }
      throw err;
    }
  }
}

const summary = (res) => ({
  status: res.status,
  www_authenticate: res.headers.get('www-authenticate'),
  dpop_nonce_header: res.headers.get('dpop-nonce'),
});

// protectedResourceRequest rejects any response that carries a WWW-Authenticate challenge
// (WWWAuthenticateChallengeError); a `use_dpop_nonce` one is retried once with the nonce the
// DPoP handle has just cached, as oauth4webapi documents. Returns the final response.
async function callResource(token, method, url, dpop, rec) {
  const options = { ...insecure, [oauth.customFetch]: rec.fetcher, ...(dpop ? { DPoP: dpop } : {}) };
  const attempts = [];
  let retried = false;
  for (;;) {
    const before = rec.log.length;
    let res;
    let challenge;
    try {
      res = await oauth.protectedResourceRequest(token, method, new URL(url), new Headers(), undefined, options);
    } catch (err) {
      if (!(err instanceof oauth.WWWAuthenticateChallengeError)) throw err;
      res = err.response;
      challenge = err;
    }
    const sent = rec.log.slice(before).at(-1);
    attempts.push({ ...summary(res), challenges: challenge?.cause, authorization: sent?.headers.authorization, proof: sent?.headers.dpop });
    if (dpop && !retried && challenge && oauth.isDPoPNonceError(challenge)) {
      retried = true;
      await res.body?.cancel();
      continue;
    }
    const body = await res.text();
    return { res, body, attempts, retried };
  }
}

// A proof minted by oauth4webapi exactly as protectedResourceRequest would send it, but
// captured instead of sent (customFetch answers locally).
async function mintProof(dpop, token, method, url) {
  let proof;
  const capture = async (_url, init) => {
    proof = init.headers.dpop;
    return new Response(null, { status: 204 });
  };
  await oauth.protectedResourceRequest(token, method, new URL(url), new Headers(), undefined, {
    ...insecure,
    [oauth.customFetch]: capture,
    DPoP: dpop,
  });
  return proof;
}

async function cmdToken(opts) {
  const rec = recorder();
  const as = await discoverAs(need(opts, 'issuer'), rec);
  const clientId = opts.client || 'dpop-client';
  let key;
  let dpop;
  if (!opts.bearer) {
    key = await newKey(opts.alg || 'ES256');
    dpop = oauth.DPoP({}, key.keyPair, proofModifier(opts['proof-alg']));
  }
  const { result, retried } = await getToken(as, clientId, { resource: need(opts, 'resource'), scope: opts.scope || 'orders:read' }, dpop, rec);
  const tokenRequest = rec.log.filter((e) => e.url === as.token_endpoint);
  return {
    token: result.access_token,
    token_type: result.token_type,
    token_header: decodeJwt(result.access_token).header,
    token_payload: decodeJwt(result.access_token).payload,
    jkt: dpop ? await dpop.calculateThumbprint() : null,
    jwk: key?.jwk ?? null,
    token_request_retried: retried,
    token_request_proof: tokenRequest.at(-1)?.headers.dpop ?? null,
    token_response: JSON.parse(tokenRequest.at(-1).response_body),
  };
}

async function cmdCall(opts) {
  const rec = recorder();
  const as = await discoverAs(need(opts, 'issuer'), rec);
  const url = need(opts, 'url');
  const method = (opts.method || 'GET').toUpperCase();
  const key = await newKey(opts.alg || 'ES256');
  const dpop = oauth.DPoP({}, key.keyPair, proofModifier(opts['proof-alg']));
  const { result, retried: tokenRetried } = await getToken(as, opts.client || 'dpop-client', { resource: need(opts, 'resource'), scope: opts.scope || 'orders:read' }, dpop, rec);
  const token = result.access_token;
  const { res, body, attempts, retried } = await callResource(token, method, url, dpop, rec);
  const last = attempts.at(-1);
  const out = {
    ...summary(res),
    body,
    retried,
    attempts,
    first_status: attempts[0].status,
    first_www_authenticate: attempts[0].www_authenticate,
    first_dpop_nonce: attempts[0].dpop_nonce_header,
    token,
    token_type: result.token_type,
    token_payload: decodeJwt(token).payload,
    token_request_retried: tokenRetried,
    proof_used: last.proof,
    authorization_used: last.authorization,
    proof_header: last.proof ? decodeJwt(last.proof).header : null,
    proof_payload: last.proof ? decodeJwt(last.proof).payload : null,
    jkt: await dpop.calculateThumbprint(),
    jwk: key.jwk,
  };
  if (opts.mint) {
    // The handle has the resource server's latest nonce cached (if it sent one), so these
    // proofs carry it: each differs from a good proof in one respect only.
    const other = new URL(url);
    other.pathname = '/not-orders';
    const otherKey = await newKey(opts.alg || 'ES256');
    const otherDpop = oauth.DPoP({}, otherKey.keyPair, proofModifier(opts['proof-alg'], rec.state));
    out.mint = {
      other_htu: await mintProof(dpop, token, method, other.href),
      other_htu_url: other.href,
      other_htm: await mintProof(dpop, token, method === 'POST' ? 'PUT' : 'POST', url),
      other_ath: await mintProof(dpop, `${token}x`, method, url),
      other_key: await mintProof(otherDpop, token, method, url),
      other_key_jkt: await otherDpop.calculateThumbprint(),
      other_key_jwk: otherKey.jwk,
      fresh: await mintProof(dpop, token, method, url),
    };
  }
  return out;
}

// The resource identifier an RFC 9728 §3.1 metadata URL was built from: the well-known segment
// taken out again (https://rs/.well-known/oauth-protected-resource/x -> https://rs/x).
function identifierOfMetadataUrl(metadataUrl) {
  const url = new URL(metadataUrl);
  const prefix = '/.well-known/oauth-protected-resource';
  if (!url.pathname.startsWith(prefix)) return null;
  url.pathname = url.pathname.slice(prefix.length) || '/';
  return url.href;
}

// The rule MCP clients apply (and draft-mcguinness-oauth-rfc9728bis proposes): same origin, and
// the resource's path a prefix of the requested URL's path.
function resourceCovers(resource, requested) {
  const r = new URL(resource);
  const q = new URL(requested);
  if (r.origin !== q.origin) return false;
  const base = r.pathname.endsWith('/') ? r.pathname : `${r.pathname}/`;
  return q.pathname === r.pathname || q.pathname.startsWith(base);
}

async function tryProcessResource(expected, res) {
  try {
    return { ok: true, metadata: await oauth.processResourceDiscoveryResponse(new URL(expected), res.clone()) };
  } catch (err) {
    return { ok: false, error: `${err.code ?? err.name}: ${err.message}` };
  }
}

async function cmdDiscover(opts) {
  const rec = recorder();
  const url = need(opts, 'url');
  const out = { url };

  // 1. The resource without credentials.
  const first = await rec.fetcher(url, { method: 'GET', headers: {}, redirect: 'manual' });
  out.unauthenticated = summary(first);
  // oauth4webapi's WWW-Authenticate parser (not exported by itself) through one of its
  // response processors: any challenge in a response is rejected as WWWAuthenticateChallengeError.
  let challenges = [];
  try {
    await oauth.processRevocationResponse(first);
  } catch (err) {
    if (err instanceof oauth.WWWAuthenticateChallengeError) challenges = err.cause;
    else out.challenge_parse_error = `${err.code ?? err.name}: ${err.message}`;
  }
  out.challenges = challenges;
  const withMetadata = challenges.find((c) => c.parameters.resource_metadata);
  if (!withMetadata) {
    out.error = 'no resource_metadata parameter in the WWW-Authenticate challenges';
    return out;
  }
  const metadataUrl = withMetadata.parameters.resource_metadata;
  out.metadata_url = metadataUrl;
  out.metadata_url_in_every_challenge = challenges.every((c) => c.parameters.resource_metadata === metadataUrl);

  // 2. The RFC 9728 document at the URL the challenge names.
  const metaRes = await rec.fetcher(metadataUrl, { method: 'GET', headers: { accept: 'application/json' }, redirect: 'manual' });
  out.metadata_status = metaRes.status;
  // §3.3: metadata reached through a WWW-Authenticate challenge must name as `resource` exactly
  // the URL that was requested; metadata reached by the well-known construction must name the
  // identifier the URL was built from. oauth4webapi compares with the identifier it is given.
  out.resource_check_request_url = await tryProcessResource(url, metaRes);
  const implied = identifierOfMetadataUrl(metadataUrl);
  out.metadata_url_identifier = implied;
  out.resource_check_metadata_url = implied ? await tryProcessResource(implied, metaRes) : { ok: false, error: 'not a well-known URL' };
  const checked = [out.resource_check_request_url, out.resource_check_metadata_url].find((c) => c.ok);
  const metadata = checked ? checked.metadata : await metaRes.clone().json().catch(() => null);
  for (const c of [out.resource_check_request_url, out.resource_check_metadata_url]) delete c.metadata;
  out.metadata = metadata;
  if (!checked) {
    out.error = 'the metadata document does not name the resource it was fetched for';
    return out;
  }
  out.resource_covers_url = resourceCovers(metadata.resource, url);

  // oauth4webapi's own well-known construction from the announced resource identifier.
  const wk = await oauth.resourceDiscoveryRequest(new URL(metadata.resource), { ...insecure, [oauth.customFetch]: rec.fetcher });
  out.well_known_url = rec.log.at(-1).url;
  out.well_known_status = wk.status;
  out.well_known_check = await tryProcessResource(metadata.resource, wk);
  delete out.well_known_check.metadata;
  await wk.body?.cancel();

  if (!out.resource_covers_url) {
    out.error = "the metadata's resource does not cover the requested URL";
    return out;
  }

  // 3. The authorization server: RFC 8414 first (as MCP clients do), then OpenID discovery.
  const issuer = metadata.authorization_servers?.[0];
  out.authorization_server = issuer ?? null;
  if (!issuer) {
    out.error = 'no authorization_servers in the metadata';
    return out;
  }
  let as;
  for (const algorithm of ['oauth2', 'oidc']) {
    const res = await oauth.discoveryRequest(new URL(issuer), { ...insecure, algorithm, [oauth.customFetch]: rec.fetcher });
    if (res.status !== 200) {
      out[`as_discovery_${algorithm}`] = res.status;
      await res.body?.cancel();
      continue;
    }
    as = await oauth.processDiscoveryResponse(new URL(issuer), res);
    out.as_discovery = { algorithm, url: rec.log.at(-1).url };
    break;
  }
  if (!as) {
    out.error = 'authorization server discovery failed';
    return out;
  }

  // 4. A token for the metadata's resource, DPoP-bound when the resource supports DPoP, with an
  // algorithm both sides accept.
  const rsAlgs = metadata.dpop_signing_alg_values_supported;
  let dpop;
  if (Array.isArray(rsAlgs) && rsAlgs.length) {
    const asAlgs = as.dpop_signing_alg_values_supported || [];
    const alg = [opts.alg || 'ES256', ...rsAlgs].find((a) => rsAlgs.includes(a) && asAlgs.includes(a));
    if (!alg) {
      out.error = `no DPoP algorithm common to ${rsAlgs} and ${asAlgs}`;
      return out;
    }
    const key = await newKey(alg);
    dpop = oauth.DPoP({}, key.keyPair);
    out.dpop_alg = alg;
    out.jkt = await dpop.calculateThumbprint();
  }
  out.scheme = dpop ? 'DPoP' : 'Bearer';
  const scope = opts.scope || (metadata.scopes_supported?.includes('orders:read') ? 'orders:read' : metadata.scopes_supported?.join(' '));
  const { result } = await getToken(as, opts.client || 'dpop-client', { resource: metadata.resource, scope }, dpop, rec);
  out.token = result.access_token;
  out.token_type = result.token_type;
  out.token_payload = decodeJwt(result.access_token).payload;

  // 5. The resource again, with the token.
  const { res, body, attempts, retried } = await callResource(result.access_token, 'GET', url, dpop, rec);
  Object.assign(out, summary(res), { body, retried, attempts });
  return out;
}

async function main() {
  const { command, opts } = parseArgs(process.argv.slice(2));
  const commands = { token: cmdToken, call: cmdCall, discover: cmdDiscover };
  if (!commands[command]) throw new Error(`unknown command ${command}; one of ${Object.keys(commands).join(', ')}`);
  return commands[command](opts);
}

main().then(
  (out) => {
    console.log(JSON.stringify(out));
  },
  (err) => {
    console.log(JSON.stringify({ error: `${err.code ?? err.name}: ${err.message}`, cause: err.cause ?? null }));
    process.exitCode = 2;
  },
);
