// A real, independently written OpenID provider for the interop suite: oidc-provider on
// 127.0.0.1, issuing JWT access tokens (RFC 9068, typ at+jwt) through the client-credentials
// grant with resource indicators (RFC 8707). Each client's tokens are signed with one algorithm,
// so the suite gets RS256, ES256 and EdDSA tokens from the same issuer.
//
// DPoP (RFC 9449) is on: a token request that carries a `DPoP` proof header gets a DPoP-bound
// token (token_type DPoP, `cnf.jkt` = the proof key's RFC 7638 thumbprint); without the header
// the same client gets a plain Bearer token. `dpop-client` (ES256 access tokens) is the client
// the DPoP suite uses. The provider can mint DPoP nonces (nonceSecret is set) but demands them
// only when started with --dpop-nonce.
//
// Resource indicators: any `urn:` URI (audience = the URN), or the resource server's own URL
// `http://127.0.0.1:<port>[/path]` for the RFC 9728 discovery flow (audience = that URL, exactly
// as sent).
//
// For the client suite (auth-client): `--ttl SECONDS` sets the access-token lifetime (default
// 600), and `GET /_test/token-requests` answers every token request seen so far as
// {client_id: [milliseconds since the epoch, ...]} (the client id from the Basic header).
//
// Usage: node provider.mjs PORT [--dpop-nonce] [--ttl SECONDS]   (prints "ready <issuer>")
import { createServer } from 'node:http';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import Provider, { errors } from 'oidc-provider';

const port = Number(process.argv[2]);
const requireDpopNonce = process.argv.slice(3).includes('--dpop-nonce');
const ttlAt = process.argv.indexOf('--ttl');
const accessTokenTTL = ttlAt > 0 ? Number(process.argv[ttlAt + 1]) : 600;
const tokenRequests = {};
const issuer = `http://127.0.0.1:${port}`;

const jwk = (type, options, kid) => ({
  ...generateKeyPairSync(type, options).privateKey.export({ format: 'jwk' }),
  kid,
  use: 'sig',
});

const signing = {
  'rs256-client': 'RS256',
  'es256-client': 'ES256',
  'eddsa-client': 'EdDSA',
  'ed25519-client': 'Ed25519',
  'dpop-client': 'ES256',
};

// `urn:...`, or an http URL on the loopback address (the resource server under test).
const acceptedResource = (indicator) => {
  if (indicator.startsWith('urn:')) return true;
  let url;
  try {
    url = new URL(indicator);
  } catch {
    return false;
  }
  return url.protocol === 'http:' && url.hostname === '127.0.0.1' && !url.search && !url.hash;
};

const provider = new Provider(issuer, {
  clients: Object.keys(signing).map((client_id) => ({
    client_id,
    client_secret: `${client_id}-secret`,
    grant_types: ['client_credentials'],
    redirect_uris: [],
    response_types: [],
  })),
  jwks: {
    keys: [
      jwk('rsa', { modulusLength: 2048 }, 'rsa-1'),
      jwk('ec', { namedCurve: 'P-256' }, 'ec-1'),
      jwk('ed25519', {}, 'ed-1'),
    ],
  },
  scopes: ['orders:read', 'orders:write', 'orders:admin'],
  // The proof algorithms the provider accepts at its token endpoint (default: ES256, Ed25519,
  // EdDSA); widened so that every algorithm the resource server announces can get a token.
  enabledJWA: { dPoPSigningAlgValues: ['ES256', 'ES384', 'PS256', 'RS256', 'EdDSA', 'Ed25519'] },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    dPoP: {
      enabled: true,
      nonceSecret: randomBytes(32),
      requireNonce: () => requireDpopNonce,
    },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => undefined,
      useGrantedResource: () => true,
      getResourceServerInfo: (ctx, resourceIndicator, client) => {
        if (!acceptedResource(resourceIndicator)) throw new errors.InvalidTarget();
        return {
          scope: 'orders:read orders:write orders:admin',
          audience: resourceIndicator,
          accessTokenTTL,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: signing[client.clientId] } },
        };
      },
    },
  },
});

// Counts token requests per client (client_secret_basic: the id is in the header, so the
// body stream is left to the provider untouched), then hands every request to the provider.
const handle = provider.callback();
const clientOf = (req) => {
  const basic = /^Basic (.+)$/i.exec(req.headers.authorization || '');
  return basic ? decodeURIComponent(Buffer.from(basic[1], 'base64').toString().split(':')[0]) : '?';
};
createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/_test/token-requests') {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(tokenRequests));
    return;
  }
  if (req.method === 'POST' && req.url === '/token') {
    (tokenRequests[clientOf(req)] ||= []).push(Date.now());
  }
  handle(req, res);
}).listen(port, '127.0.0.1', () => {
  console.log(`ready ${issuer}`);
});
