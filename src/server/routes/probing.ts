/**
 * Routes of probing (docs/visibility.md): the owner's view of other parties' real submissions
 * that conflicted with its hidden declarations, and the budgets it sets.
 */
import { PartyParams } from '../../api/accounts.ts';
import { BudgetBody, BudgetEntry, ProbingView } from '../../api/probing.ts';
import { BEARER, ERRORS, principalOf, type Routes } from './support.ts';

export const probingRoutes: Routes = (app, hub) => {
  app.get(
    '/api/v1/probing',
    {
      schema: {
        tags: ['probing'],
        summary:
          "Who probed your party's hidden declarations with real submissions, how often, when (never where), and each party's budget left today",
        security: BEARER,
        response: { 200: ProbingView, ...ERRORS },
      },
    },
    async (req) => hub.probing.view(principalOf(req)),
  );
  app.put(
    '/api/v1/probing/budgets/:party',
    {
      schema: {
        tags: ['probing'],
        summary:
          'Set how many conflicts with your hidden declarations a party is answered per UTC day (party_admin); past it they are withheld until released',
        security: BEARER,
        params: PartyParams,
        body: BudgetBody,
        response: { 200: BudgetEntry, ...ERRORS },
      },
    },
    async (req) => hub.probing.setBudget(principalOf(req), req.params.party, req.body.per_day),
  );
};
