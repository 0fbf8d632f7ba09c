/**
 * The Files panel's export: the party's picture as a file, in any format the hub writes
 * (docs/formats/), fetched with the session's token and saved as a download. Every member may
 * export; the file is always the party's own view — what the hub shows this party, nothing hidden
 * from it — whatever is chosen here. Narrowing is the export's own filters: the party's own
 * declarations only (`party=`, the form an import into another hub takes back), and what is
 * active at the moment the time bar shows (`start`/`end`, one second wide).
 */
import type { ExportFormat } from '../../../../src/api/formats.ts';
import { errorText } from '../../api.ts';
import { h, mount } from '../../dom.ts';
import { dtg } from '../../format.ts';
import { on, shownTime } from '../../store.ts';
import { EXPORT_LABELS } from './formats.ts';
import { download, send, sizeText } from './transfer.ts';

/** Instants as the export's filters take them: ISO 8601 UTC to the second. */
const isoSecond = (t: number): string =>
  new Date(Math.floor(t / 1000) * 1000).toISOString().replace('.000Z', 'Z');

/** The export query for what the form says. */
export function exportQuery(format: ExportFormat, o: { own: string | null; at: number | null }): string {
  const q = new URLSearchParams({ format });
  if (o.own !== null) q.set('party', o.own);
  if (o.at !== null) {
    q.set('start', isoSecond(o.at));
    q.set('end', isoSecond(o.at + 1000));
  }
  return `?${q}`;
}

/** The export form: format, narrowing, the button and what happened. */
export function exportSection(party: string): HTMLElement {
  const format = h(
    'select',
    { name: 'export-format', id: 'fl-export-format' },
    (Object.entries(EXPORT_LABELS) as [ExportFormat, string][]).map(([f, label]) =>
      h('option', { value: f }, label),
    ),
  );
  const own = h('input', { type: 'checkbox', name: 'export-own' });
  const atShown = h('input', { type: 'checkbox', name: 'export-at-time' });
  const atLabel = h('span');
  const showAt = () =>
    mount(atLabel, 'Only what is active at the time shown, ', h('span.mono', null, dtg(shownTime())));
  showAt();
  on('time', showAt);
  const status = h('div.fl-status', {
    role: 'status',
    'aria-live': 'polite',
    'data-testid': 'export-status',
  });
  const error = h('div.error', { role: 'alert', 'data-testid': 'export-error' });
  const button = h('button.primary', { type: 'submit', dataset: { action: 'export' } }, 'Export');
  const run = async (e: Event) => {
    e.preventDefault();
    const f = format.value as ExportFormat;
    button.disabled = true;
    mount(error);
    mount(status, 'Exporting…');
    try {
      const query = exportQuery(f, {
        own: own.checked ? party : null,
        at: atShown.checked ? shownTime() : null,
      });
      const res = await send('GET', `/export${query}`);
      const saved = await download(res, `deconflict-${party}.${f}`);
      mount(
        status,
        'Saved ',
        h('span.mono', { 'data-testid': 'export-file' }, saved.name),
        ` (${sizeText(saved.bytes)})`,
      );
    } catch (err) {
      mount(status);
      mount(error, `Export failed: ${errorText(err)}`);
    } finally {
      button.disabled = false;
    }
  };
  return h(
    'form.fl-export',
    { 'data-testid': 'files-export', onsubmit: run, 'aria-labelledby': 'fl-export-title' },
    h('h3#fl-export-title', null, 'Export'),
    h(
      'p.dim.fl-about',
      null,
      `The file holds ${party}'s own view: the declarations, conflicts and alerts the hub shows your party. `,
      'Nothing hidden from your party is in it.',
    ),
    h('label.fl-row', { for: 'fl-export-format' }, h('span', null, 'Format'), format),
    h('label.fl-check', null, own, `Only ${party}'s declarations (to import elsewhere)`),
    h('label.fl-check', null, atShown, atLabel),
    h('div.fl-actions', null, button),
    status,
    error,
    templates(),
  );
}

/** The notification-desk template, to fill in a spreadsheet and import as it is. */
function templates(): HTMLElement {
  const error = h('span.error');
  const get = (name: 'template.csv' | 'template.xlsx') => async () => {
    mount(error);
    try {
      await download(await send('GET', `/imports/${name}`), `deconflict-${name}`);
    } catch (err) {
      mount(error, `Template not saved: ${errorText(err)}`);
    }
  };
  return h(
    'div.fl-templates.dim',
    null,
    'Notification-desk template: ',
    h(
      'button.fl-link',
      { type: 'button', dataset: { action: 'template-csv' }, onclick: get('template.csv') },
      'CSV',
    ),
    ' · ',
    h(
      'button.fl-link',
      { type: 'button', dataset: { action: 'template-xlsx' }, onclick: get('template.xlsx') },
      'Excel',
    ),
    ' ',
    error,
  );
}
