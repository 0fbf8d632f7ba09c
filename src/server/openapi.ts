/**
 * The API's description (OpenAPI 3.1), served at `/api/v1/openapi.json`. Declarations are GeoJSON
 * Features as in the README; errors are `{"errors": [{code, feature, path, message}]}` with the
 * codes of docs/errors.md.
 */
const errorResponse = {
  description: 'Coded errors (docs/errors.md)',
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Errors' } } },
};
const auth = [{ bearer: [] }];
const json = (description: string, schema: object = { type: 'object' }) => ({
  description,
  content: { 'application/json': { schema } },
});
const idParam = (name: string) => ({ name, in: 'path', required: true, schema: { type: 'string' } });
const query = (name: string, description: string) => ({
  name,
  in: 'query',
  required: false,
  schema: { type: 'string' },
  description,
});

export const openapi = {
  openapi: '3.1.0',
  info: {
    title: 'deconflict hub API',
    version: '1',
    description:
      'Parties declare areas of responsibility, protected sites, movements, air operations, strikes and restricted zones; the hub detects every conflict and shows each party only what it may see.',
  },
  components: {
    securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
    schemas: {
      Errors: {
        type: 'object',
        properties: {
          errors: {
            type: 'array',
            items: {
              type: 'object',
              required: ['code', 'feature', 'path', 'message'],
              properties: {
                code: { type: 'string' },
                feature: {
                  type: ['object', 'null'],
                  properties: { index: { type: 'integer' }, id: { type: 'string' } },
                },
                path: { type: 'string' },
                message: { type: 'string' },
              },
            },
          },
        },
      },
      Declaration: {
        type: 'object',
        description: 'A GeoJSON Feature whose properties are a declaration (README: Declarations).',
      },
      Conflict: {
        type: 'object',
        description:
          'A conflict as the viewing party may see it. A side the viewer may not see is {party, hidden: true}; distance_m and closest are then absent.',
      },
      Submission: {
        type: 'object',
        properties: {
          accepted: { type: 'boolean' },
          dry_run: { type: 'boolean' },
          declarations: { type: 'array', items: { type: 'object' } },
          conflicts: { type: 'array', items: { $ref: '#/components/schemas/Conflict' } },
        },
      },
    },
  },
  paths: {
    '/healthz': { get: { summary: 'Liveness', responses: { 200: json('ok') } } },
    '/api/v1/openapi.json': {
      get: { summary: 'This description (no token needed)', responses: { 200: json('OpenAPI 3.1') } },
    },
    '/api/v1/session': {
      post: {
        summary: 'Log in: {username, password} → {token, expires_at, member}',
        responses: { 201: json('A session token'), 401: errorResponse, 429: errorResponse },
      },
      delete: {
        summary: 'Log out (revoke this token)',
        security: auth,
        responses: { 204: { description: 'Revoked' } },
      },
    },
    '/api/v1/tokens': {
      get: {
        summary: "The party's API tokens (party_admin)",
        security: auth,
        responses: { 200: json('Tokens') },
      },
      post: {
        summary:
          'Create an API token for a system: {name, roles?, ttl_days?} (party_admin); the secret is shown once',
        security: auth,
        responses: { 201: json('The token'), 400: errorResponse, 403: errorResponse },
      },
    },
    '/api/v1/tokens/{id}': {
      delete: {
        summary: 'Revoke a token',
        security: auth,
        parameters: [idParam('id')],
        responses: { 204: { description: 'Revoked' }, 404: errorResponse },
      },
    },
    '/api/v1/parties': {
      get: {
        summary: 'The parties (ids and names: whom to call)',
        security: auth,
        responses: { 200: json('Parties') },
      },
      post: {
        summary:
          'Create a party with its first administrator: {id, name, admin: {username, password}} (hub_admin)',
        security: auth,
        responses: { 201: json('The party'), 403: errorResponse, 409: errorResponse },
      },
    },
    '/api/v1/parties/{party}/members': {
      get: {
        summary: 'Members (party_admin)',
        security: auth,
        parameters: [idParam('party')],
        responses: { 200: json('Members') },
      },
      post: {
        summary: 'Create a member: {username, password, roles} (party_admin)',
        security: auth,
        parameters: [idParam('party')],
        responses: { 201: json('The member'), 409: errorResponse, 422: errorResponse },
      },
    },
    '/api/v1/parties/{party}/members/{username}': {
      patch: {
        summary: 'Change roles or disable: {roles?, disabled?} (party_admin); disabling revokes tokens',
        security: auth,
        parameters: [idParam('party'), idParam('username')],
        responses: { 200: json('The member'), 404: errorResponse },
      },
    },
    '/api/v1/declarations': {
      post: {
        summary: 'Submit one Feature or a FeatureCollection (all or none); answers with the conflicts found',
        security: auth,
        parameters: [query('dry_run', 'true: check only, store nothing')],
        requestBody: {
          content: {
            'application/geo+json': { schema: { type: 'object' } },
            'application/json': { schema: { type: 'object' } },
          },
        },
        responses: {
          201: json('Accepted (with or without conflict)', { $ref: '#/components/schemas/Submission' }),
          200: json('Dry run', { $ref: '#/components/schemas/Submission' }),
          409: errorResponse,
          413: errorResponse,
          422: errorResponse,
        },
      },
      get: {
        summary: 'Declarations the caller may see, as a FeatureCollection',
        security: auth,
        parameters: [
          query('bbox', 'west,south,east,north'),
          query('start', 'overlapping [start, end): ISO 8601 UTC or DTG'),
          query('end', 'ISO 8601 UTC or DTG'),
          query('kind', 'a declaration kind'),
          query('party', 'owning party'),
          query('status', 'active | withdrawn | expired'),
          query('limit', '1–5000, default 500'),
        ],
        responses: { 200: json('FeatureCollection'), 400: errorResponse },
      },
    },
    '/api/v1/declarations/{id}': {
      get: {
        summary: 'The current version (or ?version=n)',
        security: auth,
        parameters: [idParam('id'), query('version', 'a version number')],
        responses: { 200: json('Feature', { $ref: '#/components/schemas/Declaration' }), 404: errorResponse },
      },
      put: {
        summary: 'Amend: a new version (the old one stays in the record); answers with the conflicts found',
        security: auth,
        parameters: [idParam('id')],
        responses: {
          200: json('Accepted', { $ref: '#/components/schemas/Submission' }),
          404: errorResponse,
          409: errorResponse,
        },
      },
    },
    '/api/v1/declarations/{id}/versions': {
      get: {
        summary: 'Every version',
        security: auth,
        parameters: [idParam('id')],
        responses: { 200: json('FeatureCollection'), 404: errorResponse },
      },
    },
    '/api/v1/declarations/{id}/withdraw': {
      post: {
        summary: 'Withdraw: {reason?}',
        security: auth,
        parameters: [idParam('id')],
        responses: { 200: json('Withdrawn'), 404: errorResponse, 409: errorResponse },
      },
    },
    '/api/v1/conflicts': {
      get: {
        summary: "Conflicts involving the caller's party",
        security: auth,
        parameters: [
          query('status', 'open | resolved'),
          query('rule', 'a rule name'),
          query('severity', 'critical | high | medium'),
          query('declaration', 'a declaration id'),
          query('limit', '1–5000'),
        ],
        responses: { 200: json('{conflicts: [...]}') },
      },
    },
    '/api/v1/conflicts/{id}': {
      get: {
        summary: 'One conflict',
        security: auth,
        parameters: [idParam('id')],
        responses: { 200: json('Conflict', { $ref: '#/components/schemas/Conflict' }), 404: errorResponse },
      },
    },
    '/api/v1/conflicts/{id}/resolve': {
      post: {
        summary:
          'Accept the risk: {resolution: "risk_accepted", reason}; resolved once every party involved accepted',
        security: auth,
        parameters: [idParam('id')],
        responses: {
          200: json('Conflict', { $ref: '#/components/schemas/Conflict' }),
          404: errorResponse,
          409: errorResponse,
        },
      },
    },
  },
} as const;
