// The authorization server of the introspection suite: oidc-provider on 127.0.0.1 issuing
// OPAQUE access tokens through the client-credentials grant with resource indicators (RFC 8707;
// `urn:` resources, audience = the URN), with token introspection (RFC 7662) and revocation
// (RFC 7009) on. Both endpoints are in the discovery document.
//
// Clients:
//   app-client / app-client-secret   gets opaque tokens (and revokes them)
//   jwt-client / jwt-client-secret   gets RS256 JWT access tokens (RFC 9068) for the same resource
//   orders-api / rs:secret%+         the resource server: may introspect every client's tokens;
//                                    its secret needs form-encoding in client_secret_basic
//                                    (RFC 6749 §2.3.1), which oidc-provider decodes.
//
// `GET /test/introspections` answers {"introspections": N, "active": A}: the POSTs the
// introspection endpoint has received since start, and how many of them were answered active.
// `POST /test/introspection-delay?ms=N` holds every later introspection answer N ms (0: none),
// so that a burst of requests is certainly waiting on one call.
//
// Usage: node introspection_provider.mjs PORT   (prints "ready <issuer>" when listening)
import { createServer } from 'node:http';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import Provider, { errors } from 'oidc-provider';

const port = Number(process.argv[2]);
const issuer = `http://127.0.0.1:${port}`;
const INTROSPECTION = '/token/introspection';
const REVOCATION = '/token/revocation';

// A fresh key (and kid) per start: a restarted provider never reuses a kid for another key.
const key = {
  ...generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' }),
  kid: `rsa-${randomBytes(4).toString('hex')}`,
  use: 'sig',
};

const client = (client_id, client_secret, grant_types) => ({
  client_id,
  client_secret,
  grant_types,
  redirect_uris: [],
  response_types: [],
  token_endpoint_auth_method: 'client_secret_basic',
});

const provider = new Provider(issuer, {
  clients: [
    client('app-client', 'app-client-secret', ['client_credentials']),
    client('jwt-client', 'jwt-client-secret', ['client_credentials']),
    client('orders-api', 'rs:secret%+', []),
  ],
  jwks: { keys: [key] },
  scopes: ['orders:read', 'orders:write'],
  routes: { introspection: INTROSPECTION, revocation: REVOCATION },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    // The resource server introspects tokens issued to other clients; a client may always
    // introspect its own.
    introspection: {
      enabled: true,
      allowedPolicy: (ctx, caller, token) => caller.clientId === 'orders-api' || caller.clientId === token.clientId,
    },
    // A client revokes its own tokens only.
    revocation: {
      enabled: true,
      allowedPolicy: (ctx, caller, token) => {
        if (caller.clientId !== token.clientId) {
          throw new errors.InvalidRequest('client is not authorized to revoke the presented token');
        }
        return true;
      },
    },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => undefined,
      useGrantedResource: () => true,
      getResourceServerInfo: (ctx, resourceIndicator, caller) => {
        if (!resourceIndicator.startsWith('urn:')) throw new errors.InvalidTarget();
        const jwt = caller.clientId === 'jwt-client';
        return {
          scope: 'orders:read orders:write',
          audience: resourceIndicator,
          accessTokenTTL: 600,
          accessTokenFormat: jwt ? 'jwt' : 'opaque',
          ...(jwt ? { jwt: { sign: { alg: 'RS256' } } } : {}),
        };
      },
    },
  },
});

let introspections = 0;
let active = 0;
let delayMs = 0;
provider.use(async (ctx, next) => {
  const counted = ctx.method === 'POST' && ctx.path === INTROSPECTION;
  if (counted) introspections += 1;
  if (counted && delayMs > 0) await new Promise((resolve) => { setTimeout(resolve, delayMs); });
  await next();
  if (counted && ctx.status === 200 && ctx.body?.active === true) active += 1;
});

const callback = provider.callback();
createServer((req, res) => {
  const url = new URL(req.url, issuer);
  if (req.method === 'GET' && url.pathname === '/test/introspections') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ introspections, active }));
    return;
  }
  if (req.method === 'POST' && url.pathname === '/test/introspection-delay') {
    delayMs = Math.max(0, Number(url.searchParams.get('ms')) || 0);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ delayMs }));
    return;
  }
  callback(req, res);
}).listen(port, '127.0.0.1', () => {
  console.log(`ready ${issuer}`);
});
