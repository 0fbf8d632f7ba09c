/**
 * Routes of the watch (docs/design.md §5): roster, alerts, the event stream over HTTP, the
 * hotline and outbound webhooks.
 */
import Type from 'typebox';
import { IdParams, NoContent } from '../../api/common.ts';
import {
  AckBody,
  AlertQuery,
  AlertView,
  ChannelBody,
  ChannelView,
  DeliveriesQuery,
  DeliveryView,
  EventPage,
  EventsQuery,
  MessageBody,
  MessagesQuery,
  MessageView,
  NewWebhook,
  ReadBody,
  ReadResult,
  RosterQuery,
  RosterView,
  ShiftBody,
  ShiftView,
  WebhookBody,
  WebhookView,
} from '../../api/watch.ts';
import { parseTime } from '../../field/dtg.ts';
import { BEARER, ERRORS, principalOf, type Routes, replyText } from './support.ts';

const list = <K extends string, T extends Parameters<typeof Type.Array>[0]>(key: K, item: T) =>
  Type.Object({ [key]: Type.Array(item) } as { [P in K]: ReturnType<typeof Type.Array<T>> }, {
    additionalProperties: false,
  });

export const rosterAndAlertRoutes: Routes = (app, hub) => {
  app.get(
    '/api/v1/roster',
    {
      schema: {
        tags: ['watch'],
        summary: 'The on-call roster over [from, to) (default now + 7 days): on_call_now, shifts, gaps',
        security: BEARER,
        querystring: RosterQuery,
        response: { 200: RosterView, ...ERRORS },
      },
    },
    async (req) => {
      const { from, to } = req.query;
      return hub.desk.roster(principalOf(req), {
        ...(from !== undefined && { from: parseTime(from) }),
        ...(to !== undefined && { to: parseTime(to) }),
      });
    },
  );
  app.post(
    '/api/v1/roster',
    {
      schema: {
        tags: ['watch'],
        summary: 'Put a member on call (party_admin)',
        security: BEARER,
        body: ShiftBody,
        response: { 201: ShiftView, ...ERRORS },
      },
    },
    async (req, reply) => {
      const b = req.body;
      const shift = { role: b.role, username: b.username, start: parseTime(b.start), end: parseTime(b.end) };
      return reply.status(201).send(await hub.desk.addShift(principalOf(req), shift));
    },
  );
  app.delete(
    '/api/v1/roster/:id',
    {
      schema: {
        tags: ['watch'],
        summary: 'Remove a shift (party_admin)',
        security: BEARER,
        params: IdParams,
        response: { 204: NoContent, ...ERRORS },
      },
    },
    async (req, reply) => {
      await hub.desk.removeShift(principalOf(req), req.params.id);
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/api/v1/alerts',
    {
      schema: {
        tags: ['watch'],
        summary:
          "The party's alerts: open ones first by precedence then deadline, then the rest newest first",
        security: BEARER,
        querystring: AlertQuery,
        response: { 200: list('alerts', AlertView), ...ERRORS },
      },
    },
    async (req) => ({ alerts: await hub.desk.alerts(principalOf(req), req.query) }),
  );
  app.get(
    '/api/v1/alerts/:id',
    {
      schema: {
        tags: ['watch'],
        summary: 'One alert, with its escalations',
        security: BEARER,
        params: IdParams,
        response: { 200: AlertView, ...ERRORS },
      },
    },
    async (req) => hub.desk.alert(principalOf(req), req.params.id),
  );
  app.post(
    '/api/v1/alerts/:id/ack',
    {
      config: { optionalBody: true },
      schema: {
        tags: ['watch'],
        summary:
          'Acknowledge, with an optional reply (watch_officer, senior_officer, party_admin); the other side is told',
        security: BEARER,
        params: IdParams,
        body: AckBody,
        response: { 200: AlertView, ...ERRORS },
      },
    },
    async (req) =>
      hub.desk.acknowledge(principalOf(req), req.params.id, replyText(req.body), req.body?.signed),
  );

  app.get(
    '/api/v1/events',
    {
      schema: {
        tags: ['watch'],
        summary: "The party's events after a sequence number (the stream's HTTP twin, for polling)",
        security: BEARER,
        querystring: EventsQuery,
        response: { 200: EventPage, ...ERRORS },
      },
    },
    async (req) => {
      const r = await hub.desk.events(principalOf(req), req.query.after ?? 0, req.query.limit ?? 500);
      return {
        head: r.head,
        events: r.events.map((e) => ({
          seq: e.seq,
          type: e.type,
          at: new Date(e.at).toISOString(),
          data: e.data,
        })),
      };
    },
  );
};

export const hotlineRoutes: Routes = (app, hub) => {
  app.get(
    '/api/v1/channels',
    {
      schema: {
        tags: ['hotline'],
        summary: 'Hotline channels of the party',
        security: BEARER,
        response: { 200: list('channels', ChannelView), ...ERRORS },
      },
    },
    async (req) => ({ channels: await hub.hotline.list(principalOf(req)) }),
  );
  app.post(
    '/api/v1/channels',
    {
      schema: {
        tags: ['hotline'],
        summary: 'Open a hotline channel (party_admin); the other parties are invited',
        security: BEARER,
        body: ChannelBody,
        response: { 201: ChannelView, ...ERRORS },
      },
    },
    async (req, reply) => reply.status(201).send(await hub.hotline.create(principalOf(req), req.body)),
  );
  app.get(
    '/api/v1/channels/:id',
    {
      schema: {
        tags: ['hotline'],
        summary: 'One channel (its parties only)',
        security: BEARER,
        params: IdParams,
        response: { 200: ChannelView, ...ERRORS },
      },
    },
    async (req) => hub.hotline.get(principalOf(req), req.params.id),
  );
  for (const [action, what] of [
    ['accept', 'Accept an invitation (party_admin)'],
    ['decline', 'Decline an invitation (party_admin)'],
  ] as const) {
    app.post(
      `/api/v1/channels/:id/${action}`,
      {
        config: { optionalBody: true },
        schema: {
          tags: ['hotline'],
          summary: what,
          security: BEARER,
          params: IdParams,
          body: Type.Object({}, { additionalProperties: false }),
          response: { 200: ChannelView, ...ERRORS },
        },
      },
      async (req) => hub.hotline[action](principalOf(req), req.params.id),
    );
  }
  app.get(
    '/api/v1/channels/:id/messages',
    {
      schema: {
        tags: ['hotline'],
        summary: 'Messages after a channel sequence number; reading them records delivery to the party',
        security: BEARER,
        params: IdParams,
        querystring: MessagesQuery,
        response: { 200: list('messages', MessageView), ...ERRORS },
      },
    },
    async (req) => ({
      messages: await hub.hotline.messages(
        principalOf(req),
        req.params.id,
        req.query.after ?? 0,
        req.query.limit ?? 200,
      ),
    }),
  );
  app.post(
    '/api/v1/channels/:id/messages',
    {
      schema: {
        tags: ['hotline'],
        summary: 'Send a message; flash and immediate need an acknowledgement',
        security: BEARER,
        params: IdParams,
        body: MessageBody,
        response: { 201: MessageView, ...ERRORS },
      },
    },
    async (req, reply) =>
      reply.status(201).send(await hub.hotline.post(principalOf(req), req.params.id, req.body)),
  );
  app.post(
    '/api/v1/channels/:id/read',
    {
      schema: {
        tags: ['hotline'],
        summary: 'Mark the channel read up to a sequence number',
        security: BEARER,
        params: IdParams,
        body: ReadBody,
        response: { 200: ReadResult, ...ERRORS },
      },
    },
    async (req) => hub.hotline.read(principalOf(req), req.params.id, req.body.seq, req.body.signed),
  );
  app.post(
    '/api/v1/messages/:id/ack',
    {
      config: { optionalBody: true },
      schema: {
        tags: ['hotline'],
        summary: 'Acknowledge a flash or immediate message, with an optional reply',
        security: BEARER,
        params: IdParams,
        body: AckBody,
        response: { 200: MessageView, ...ERRORS },
      },
    },
    async (req) =>
      hub.hotline.acknowledge(principalOf(req), req.params.id, replyText(req.body), req.body?.signed),
  );
};

export const webhookRoutes: Routes = (app, hub) => {
  app.get(
    '/api/v1/webhooks',
    {
      schema: {
        tags: ['webhooks'],
        summary: "The party's webhooks and their failures (party_admin)",
        security: BEARER,
        response: { 200: list('webhooks', WebhookView), ...ERRORS },
      },
    },
    async (req) => ({ webhooks: await hub.webhooks.list(principalOf(req)) }),
  );
  app.post(
    '/api/v1/webhooks',
    {
      schema: {
        tags: ['webhooks'],
        summary: 'Register a URL (party_admin); the signing secret is shown once',
        security: BEARER,
        body: WebhookBody,
        response: { 201: NewWebhook, ...ERRORS },
      },
    },
    async (req, reply) => reply.status(201).send(await hub.webhooks.create(principalOf(req), req.body)),
  );
  app.delete(
    '/api/v1/webhooks/:id',
    {
      schema: {
        tags: ['webhooks'],
        summary: 'Disable a webhook (its pending deliveries fail)',
        security: BEARER,
        params: IdParams,
        response: { 204: NoContent, ...ERRORS },
      },
    },
    async (req, reply) => {
      await hub.webhooks.disable(principalOf(req), req.params.id);
      return reply.status(204).send(null);
    },
  );
  app.get(
    '/api/v1/webhooks/:id/deliveries',
    {
      schema: {
        tags: ['webhooks'],
        summary: 'Deliveries, newest first',
        security: BEARER,
        params: IdParams,
        querystring: DeliveriesQuery,
        response: { 200: list('deliveries', DeliveryView), ...ERRORS },
      },
    },
    async (req) => ({
      deliveries: await hub.webhooks.deliveries(
        principalOf(req),
        req.params.id,
        req.query.status,
        req.query.limit ?? 100,
      ),
    }),
  );
};
