/**
 * Routes of the watch (DESIGN §5): roster, alerts, the event stream over HTTP, the hotline and
 * outbound hooks. Thin, like every route: parameters in, the hub's answer out.
 */
import type { FastifyInstance } from 'fastify';
import type { Hub } from '../hub/hub.ts';
import {
  afterParam,
  bodyObject,
  intParam,
  oneOf,
  optionalBody,
  principalOf,
  type Query,
  timeParam,
} from './params.ts';

export function watchRoutes(app: FastifyInstance, hub: Hub): void {
  // --- Roster ----------------------------------------------------------------------------------
  app.get<{ Querystring: Query }>('/api/v1/roster', async (req) => {
    const from = timeParam(req.query, 'from');
    const to = timeParam(req.query, 'to');
    return hub.desk.roster(principalOf(req), {
      ...(from !== undefined && { from }),
      ...(to !== undefined && { to }),
    });
  });
  app.post('/api/v1/roster', async (req, reply) =>
    reply.status(201).send(await hub.desk.addShift(principalOf(req), bodyObject(req))),
  );
  app.delete<{ Params: { id: string } }>('/api/v1/roster/:id', async (req, reply) => {
    await hub.desk.removeShift(principalOf(req), req.params.id);
    return reply.status(204).send();
  });

  // --- Alerts ----------------------------------------------------------------------------------
  app.get<{ Querystring: Query }>('/api/v1/alerts', async (req) => {
    const status = oneOf(req.query, 'status', ['open', 'acknowledged', 'closed'] as const);
    const limit = intParam(req.query, 'limit', 5000);
    return {
      alerts: await hub.desk.alerts(principalOf(req), {
        ...(status && { status }),
        ...(limit !== undefined && { limit }),
      }),
    };
  });
  app.get<{ Params: { id: string } }>('/api/v1/alerts/:id', async (req) =>
    hub.desk.alert(principalOf(req), req.params.id),
  );
  app.post<{ Params: { id: string } }>('/api/v1/alerts/:id/ack', async (req) =>
    hub.desk.acknowledge(principalOf(req), req.params.id, optionalBody(req)),
  );

  // --- Events (the stream's HTTP twin: poll with the last sequence number seen) ----------------
  app.get<{ Querystring: Query }>('/api/v1/events', async (req) => {
    const r = await hub.desk.events(
      principalOf(req),
      afterParam(req.query, 'after'),
      intParam(req.query, 'limit', 1000) ?? 500,
    );
    return {
      head: r.head,
      events: r.events.map((e) => ({
        seq: e.seq,
        type: e.type,
        at: new Date(e.at).toISOString(),
        data: e.data,
      })),
    };
  });

  // --- Hotline ---------------------------------------------------------------------------------
  app.get('/api/v1/channels', async (req) => ({ channels: await hub.hotline.list(principalOf(req)) }));
  app.post('/api/v1/channels', async (req, reply) =>
    reply.status(201).send(await hub.hotline.create(principalOf(req), bodyObject(req))),
  );
  app.get<{ Params: { id: string } }>('/api/v1/channels/:id', async (req) =>
    hub.hotline.get(principalOf(req), req.params.id),
  );
  app.post<{ Params: { id: string } }>('/api/v1/channels/:id/accept', async (req) =>
    hub.hotline.accept(principalOf(req), req.params.id),
  );
  app.post<{ Params: { id: string } }>('/api/v1/channels/:id/decline', async (req) =>
    hub.hotline.decline(principalOf(req), req.params.id),
  );
  app.get<{ Params: { id: string }; Querystring: Query }>('/api/v1/channels/:id/messages', async (req) => ({
    messages: await hub.hotline.messages(
      principalOf(req),
      req.params.id,
      afterParam(req.query, 'after'),
      intParam(req.query, 'limit', 1000) ?? 200,
    ),
  }));
  app.post<{ Params: { id: string } }>('/api/v1/channels/:id/messages', async (req, reply) =>
    reply.status(201).send(await hub.hotline.post(principalOf(req), req.params.id, bodyObject(req))),
  );
  app.post<{ Params: { id: string } }>('/api/v1/channels/:id/read', async (req) =>
    hub.hotline.read(principalOf(req), req.params.id, bodyObject(req)),
  );
  app.post<{ Params: { id: string } }>('/api/v1/messages/:id/ack', async (req) =>
    hub.hotline.acknowledge(principalOf(req), req.params.id, optionalBody(req)),
  );

  // --- Outbound hooks --------------------------------------------------------------------------
  app.get('/api/v1/webhooks', async (req) => ({ webhooks: await hub.webhooks.list(principalOf(req)) }));
  app.post('/api/v1/webhooks', async (req, reply) =>
    reply.status(201).send(await hub.webhooks.create(principalOf(req), bodyObject(req))),
  );
  app.delete<{ Params: { id: string } }>('/api/v1/webhooks/:id', async (req, reply) => {
    await hub.webhooks.disable(principalOf(req), req.params.id);
    return reply.status(204).send();
  });
  app.get<{ Params: { id: string }; Querystring: Query }>('/api/v1/webhooks/:id/deliveries', async (req) => ({
    deliveries: await hub.webhooks.deliveries(
      principalOf(req),
      req.params.id,
      oneOf(req.query, 'status', ['pending', 'delivered', 'failed'] as const),
      intParam(req.query, 'limit', 1000) ?? 100,
    ),
  }));
}
