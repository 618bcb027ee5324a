// A real, independently written OpenID provider for the interop suite: oidc-provider on
// 127.0.0.1, issuing JWT access tokens (RFC 9068, typ at+jwt) through the client-credentials
// grant with resource indicators (RFC 8707). Each client's tokens are signed with one algorithm,
// so the suite gets RS256, ES256 and EdDSA tokens from the same issuer.
//
// Usage: node provider.mjs PORT   (prints "ready <issuer>" when listening)
import { createServer } from 'node:http';
import { generateKeyPairSync } from 'node:crypto';
import Provider, { errors } from 'oidc-provider';

const port = Number(process.argv[2]);
const issuer = `http://127.0.0.1:${port}`;

const jwk = (type, options, kid) => ({
  ...generateKeyPairSync(type, options).privateKey.export({ format: 'jwk' }),
  kid,
  use: 'sig',
});

const signing = { 'rs256-client': 'RS256', 'es256-client': 'ES256', 'eddsa-client': 'EdDSA', 'ed25519-client': 'Ed25519' };

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
  scopes: ['orders:read', 'orders:write'],
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => undefined,
      useGrantedResource: () => true,
      getResourceServerInfo: (ctx, resourceIndicator, client) => {
        if (!resourceIndicator.startsWith('urn:')) throw new errors.InvalidTarget();
        return {
          scope: 'orders:read orders:write',
          audience: resourceIndicator,
          accessTokenTTL: 600,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: signing[client.clientId] } },
        };
      },
    },
  },
});

createServer(provider.callback()).listen(port, '127.0.0.1', () => {
  console.log(`ready ${issuer}`);
});
