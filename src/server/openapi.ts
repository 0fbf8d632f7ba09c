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
/** A declaration's full id, `<party>:<local id>`. */
const declarationId = {
  ...idParam('id'),
  description: 'the full declaration id, "<party>:<local id>"',
  example: 'northern-forces:nf-strike-1',
};
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
    '/': {
      get: {
        summary: 'The web console (no token needed; it logs in itself)',
        responses: { 200: { description: 'HTML', content: { 'text/html': {} } } },
      },
    },
    '/assets/{name}': {
      get: {
        summary: "The console's files (script, styles, offline basemap data)",
        parameters: [idParam('name')],
        responses: { 200: { description: 'The file' }, 404: errorResponse },
      },
    },
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
        description:
          'Declaration ids are per party: a local `properties.id` "x" is stored as "<party>:x" (the caller’s party); a full id must carry the caller’s prefix (else 403 party_mismatch); without an id the hub assigns "<party>:d-<random>". Answers and URLs use the full id.',
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
          403: errorResponse,
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
        parameters: [declarationId, query('version', 'a version number')],
        responses: { 200: json('Feature', { $ref: '#/components/schemas/Declaration' }), 404: errorResponse },
      },
      put: {
        summary: 'Amend: a new version (the old one stays in the record); answers with the conflicts found',
        security: auth,
        parameters: [declarationId],
        responses: {
          200: json('Accepted', { $ref: '#/components/schemas/Submission' }),
          403: errorResponse,
          404: errorResponse,
          409: errorResponse,
        },
      },
    },
    '/api/v1/declarations/{id}/versions': {
      get: {
        summary: 'Every version',
        security: auth,
        parameters: [declarationId],
        responses: { 200: json('FeatureCollection'), 404: errorResponse },
      },
    },
    '/api/v1/declarations/{id}/withdraw': {
      post: {
        summary: 'Withdraw: {reason?}',
        security: auth,
        parameters: [declarationId],
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

    // --- The watch (DESIGN §5) ---------------------------------------------------------------
    '/api/v1/stream': {
      get: {
        summary:
          "WebSocket: the party's events, pushed as they commit. Authenticate with the bearer header or a first frame {type:'auth', token, since}; ?since=N replays every event after N first (protocol: src/server/stream.ts)",
        parameters: [query('since', 'the last sequence number seen')],
        responses: { 101: { description: 'Switching to WebSocket' } },
      },
    },
    '/api/v1/events': {
      get: {
        summary: "The party's events after a sequence number (the stream's HTTP twin, for polling)",
        security: auth,
        parameters: [query('after', 'a sequence number, default 0'), query('limit', '1–1000, default 500')],
        responses: { 200: json('{head, events: [{seq, type, at, data}]}'), 400: errorResponse },
      },
    },
    '/api/v1/roster': {
      get: {
        summary:
          'The on-call roster over [from, to) (default now + 7 days): on_call_now, shifts, warnings for gaps',
        security: auth,
        parameters: [
          query('from', 'ISO 8601 UTC or DTG'),
          query('to', 'ISO 8601 UTC or DTG, at most 62 days on'),
        ],
        responses: { 200: json('Roster'), 400: errorResponse },
      },
      post: {
        summary:
          'Put a member on call: {role: watch_officer | senior_officer, username, start, end} (party_admin)',
        security: auth,
        responses: { 201: json('The shift'), 400: errorResponse, 403: errorResponse, 404: errorResponse },
      },
    },
    '/api/v1/roster/{id}': {
      delete: {
        summary: 'Remove a shift (party_admin)',
        security: auth,
        parameters: [idParam('id')],
        responses: { 204: { description: 'Removed' }, 404: errorResponse },
      },
    },
    '/api/v1/alerts': {
      get: {
        summary:
          "The party's alerts: open ones first by precedence then deadline, then the rest newest first",
        security: auth,
        parameters: [query('status', 'open | acknowledged | closed'), query('limit', '1–5000')],
        responses: { 200: json('{alerts: [...]}') },
      },
    },
    '/api/v1/alerts/{id}': {
      get: {
        summary: 'One alert, with its escalations',
        security: auth,
        parameters: [idParam('id')],
        responses: { 200: json('Alert'), 404: errorResponse },
      },
    },
    '/api/v1/alerts/{id}/ack': {
      post: {
        summary: 'Acknowledge: {reply?} (watch_officer, senior_officer, party_admin); the other side is told',
        security: auth,
        parameters: [idParam('id')],
        responses: { 200: json('Alert'), 403: errorResponse, 404: errorResponse, 409: errorResponse },
      },
    },
    '/api/v1/channels': {
      get: {
        summary: 'Hotline channels of the party',
        security: auth,
        responses: { 200: json('{channels}') },
      },
      post: {
        summary: 'Open a hotline channel: {name, parties} (party_admin); the others are invited',
        security: auth,
        responses: { 201: json('Channel'), 400: errorResponse, 403: errorResponse, 404: errorResponse },
      },
    },
    '/api/v1/channels/{id}': {
      get: {
        summary: 'One channel (members only)',
        security: auth,
        parameters: [idParam('id')],
        responses: { 200: json('Channel'), 404: errorResponse },
      },
    },
    '/api/v1/channels/{id}/accept': {
      post: {
        summary: 'Accept an invitation (party_admin)',
        security: auth,
        parameters: [idParam('id')],
        responses: { 200: json('Channel'), 404: errorResponse, 409: errorResponse },
      },
    },
    '/api/v1/channels/{id}/decline': {
      post: {
        summary: 'Decline an invitation (party_admin)',
        security: auth,
        parameters: [idParam('id')],
        responses: { 200: json('Channel'), 404: errorResponse, 409: errorResponse },
      },
    },
    '/api/v1/channels/{id}/messages': {
      get: {
        summary: 'Messages after a channel sequence number; reading them records delivery to the party',
        security: auth,
        parameters: [idParam('id'), query('after', 'a channel seq'), query('limit', '1–1000')],
        responses: { 200: json('{messages}'), 404: errorResponse, 409: errorResponse },
      },
      post: {
        summary:
          'Send: {text, precedence?, ref?: {type: declaration | conflict, id}}; flash and immediate need an acknowledgement',
        security: auth,
        parameters: [idParam('id')],
        responses: { 201: json('Message'), 400: errorResponse, 404: errorResponse, 409: errorResponse },
      },
    },
    '/api/v1/channels/{id}/read': {
      post: {
        summary: 'Mark read up to {seq}',
        security: auth,
        parameters: [idParam('id')],
        responses: { 200: json('{marked}'), 404: errorResponse },
      },
    },
    '/api/v1/messages/{id}/ack': {
      post: {
        summary: 'Acknowledge a flash or immediate message: {reply?}',
        security: auth,
        parameters: [idParam('id')],
        responses: { 200: json('Message'), 400: errorResponse, 404: errorResponse, 409: errorResponse },
      },
    },
    '/api/v1/webhooks': {
      get: {
        summary: "The party's webhooks and their failures (party_admin)",
        security: auth,
        responses: { 200: json('{webhooks}') },
      },
      post: {
        summary: 'Register a URL: {url} (party_admin); the signing secret is shown once',
        security: auth,
        responses: { 201: json('Webhook with secret'), 400: errorResponse, 403: errorResponse },
      },
    },
    '/api/v1/webhooks/{id}': {
      delete: {
        summary: 'Disable a webhook (pending deliveries fail)',
        security: auth,
        parameters: [idParam('id')],
        responses: { 204: { description: 'Disabled' }, 404: errorResponse },
      },
    },
    '/api/v1/webhooks/{id}/deliveries': {
      get: {
        summary: 'Deliveries, newest first',
        security: auth,
        parameters: [
          idParam('id'),
          query('status', 'pending | delivered | failed'),
          query('limit', '1–1000'),
        ],
        responses: { 200: json('{deliveries}'), 404: errorResponse },
      },
    },
  },
} as const;
