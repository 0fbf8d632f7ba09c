/**
 * The hub's records as the console receives them: the wire types of the hub's own schemas
 * (`src/api`), re-exported under the names the console uses. Types only: nothing of the schema
 * library reaches the bundle.
 */
export type { Session as SessionAnswer } from '../../src/api/accounts.ts';
export type {
  ConflictView,
  DeclarationFeature as Feature,
  NotificationsView,
  SideView as Side,
  SubmissionResult as Submission,
} from '../../src/api/declarations.ts';
export type {
  BudgetEntry as ProbingParty,
  ProbeView as Probe,
  ProbingSummary,
  ProbingView,
} from '../../src/api/probing.ts';
export type {
  AlertView,
  ChannelView,
  EventView as StreamEvent,
  MessageView,
  RosterView,
} from '../../src/api/watch.ts';
