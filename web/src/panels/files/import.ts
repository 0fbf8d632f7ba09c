/**
 * The Files panel's import: a file chosen or dropped (CSV, XLSX, KML, KMZ, GPX, GeoJSON, CoT, a
 * TAK data package), its format from its extension (changeable), an optional column mapping
 * (docs/formats/import.md), then "Check" — a dry run, `?dry_run=true`: nothing is stored — and
 * "Import", which stores them all or none.
 *
 * "Import" is enabled only by a clean check of the very file, format and mapping shown: changing
 * any of them, or a refusal, disables it again, so what is stored is what was checked. The
 * mapping is read as JSON here first (a typing slip is said at once, next to the field), and sent
 * compact. The check's foreseen conflicts are drawn on the map as a preview; once imported, the
 * declarations and conflicts are read again and the map shows them as any other.
 */
import type { ImportResult } from '../../../../src/api/imports.ts';
import { ApiError, errorText } from '../../api.ts';
import { h, mount } from '../../dom.ts';
import type { MapApi } from '../../map/api.ts';
import { select } from '../../store.ts';
import { loadConflicts, loadDeclarations } from '../../sync.ts';
import { ACCEPT, formatOfName, IMPORT_FORMATS, type ImportFormat } from './formats.ts';
import { drawAccepted, drawRefused } from './result.ts';
import { send, sizeText } from './transfer.ts';

/** The longest mapping the hub reads (characters of its JSON). */
const MAX_MAPPING = 4096;

/** What an import sends: the file, its format, the mapping (compact JSON) or none. */
interface Sending {
  readonly file: File;
  readonly format: ImportFormat;
  readonly mapping: string | null;
}

/** The import form's elements and state. */
interface Importing {
  readonly map: MapApi;
  readonly input: HTMLInputElement;
  readonly drop: HTMLElement;
  readonly chosen: HTMLElement;
  readonly format: HTMLSelectElement;
  readonly mapping: HTMLTextAreaElement;
  readonly mappingError: HTMLElement;
  readonly check: HTMLButtonElement;
  readonly commit: HTMLButtonElement;
  readonly status: HTMLElement;
  readonly result: HTMLElement;
  file: File | null;
  /** What the last clean check was of (file, format, mapping): the only thing Import sends. */
  checked: Sending | null;
  busy: boolean;
}

/** The mapping typed, checked and compact (null: none), or what is wrong with it. */
export function readMapping(text: string): { ok: true; value: string | null } | { ok: false; why: string } {
  if (text.trim() === '') return { ok: true, value: null };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    return { ok: false, why: `not JSON: ${(err as Error).message}` };
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
    return { ok: false, why: 'a JSON object is expected: {"label": "Site name", "kind": "=protected_site"}' };
  const bad = Object.entries(parsed).find(([, v]) => typeof v !== 'string');
  if (bad) return { ok: false, why: `"${bad[0]}": a column name or "=constant" (text) is expected` };
  const value = JSON.stringify(parsed);
  if (value.length > MAX_MAPPING) return { ok: false, why: `longer than ${MAX_MAPPING} characters` };
  return { ok: true, value };
}

/** The import form, for a member who may submit declarations. */
export function importSection(map: MapApi): HTMLElement {
  const im: Importing = {
    map,
    input: h('input', { type: 'file', name: 'import-file', id: 'fl-import-file', accept: ACCEPT }),
    drop: h('div.fl-drop', { 'data-testid': 'import-drop' }),
    chosen: h('div.fl-chosen', { 'aria-live': 'polite' }),
    format: h(
      'select',
      { name: 'import-format', id: 'fl-import-format' },
      h('option', { value: '' }, '— from the file’s name —'),
      (Object.entries(IMPORT_FORMATS) as [ImportFormat, { label: string }][]).map(([f, m]) =>
        h('option', { value: f }, m.label),
      ),
    ),
    mapping: h('textarea.mono', {
      name: 'import-mapping',
      id: 'fl-import-mapping',
      rows: 3,
      spellcheck: false,
      placeholder: '{"label": "Site name", "latitude": "Lat", "kind": "=protected_site"}',
      'aria-describedby': 'fl-mapping-help fl-mapping-error',
    }),
    mappingError: h('div#fl-mapping-error.error'),
    check: h('button', { type: 'submit', dataset: { action: 'import-check' } }, 'Check'),
    commit: h(
      'button.primary',
      { type: 'button', dataset: { action: 'import-commit' }, disabled: true },
      'Import',
    ),
    status: h('div.fl-status', { role: 'status', 'aria-live': 'polite', 'data-testid': 'import-status' }),
    result: h('div.fl-result-slot', { 'data-testid': 'import-result' }),
    file: null,
    checked: null,
    busy: false,
  };
  wire(im);
  return h(
    'form.fl-import',
    {
      'data-testid': 'files-import',
      'aria-labelledby': 'fl-import-title',
      onsubmit: (e: Event) => void check(im, e),
    },
    h('h3#fl-import-title', null, 'Import'),
    h(
      'p.dim.fl-about',
      null,
      'Declarations from a notification sheet, Google Earth, a GPS or a TAK client, all or none. ',
      'Check first: it stores nothing and shows each record, its declaration and the conflicts it would cause.',
    ),
    im.drop,
    im.chosen,
    h('label.fl-row', { for: 'fl-import-format' }, h('span', null, 'Format'), im.format),
    h(
      'label.fl-stack',
      { for: 'fl-import-mapping' },
      h('span', null, 'Column mapping (optional, JSON)'),
      h(
        'span#fl-mapping-help.dim',
        null,
        'Each declaration property → the file’s column, or "=constant" for every row. Empty: columns are read by name.',
      ),
    ),
    im.mapping,
    im.mappingError,
    h('div.fl-actions', null, im.check, im.commit),
    im.status,
    im.result,
  );
}

/** The drop zone, the file picker, and what disables Import again. */
function wire(im: Importing): void {
  mount(
    im.drop,
    h('label', { for: 'fl-import-file' }, 'Drop a file here, or choose one: '),
    im.input,
    h('div.dim', null, 'CSV, Excel, KML, KMZ, GPX, GeoJSON, CoT, TAK data package (.zip)'),
  );
  im.input.addEventListener('change', () => choose(im, im.input.files?.[0] ?? null));
  im.drop.addEventListener('dragover', (e) => {
    e.preventDefault();
    im.drop.classList.add('over');
  });
  im.drop.addEventListener('dragleave', () => im.drop.classList.remove('over'));
  im.drop.addEventListener('drop', (e) => {
    e.preventDefault();
    im.drop.classList.remove('over');
    const f = e.dataTransfer?.files[0];
    if (f) choose(im, f);
  });
  im.format.addEventListener('change', () => changed(im));
  im.mapping.addEventListener('input', () => {
    const m = readMapping(im.mapping.value);
    im.mappingError.textContent = m.ok ? '' : `Mapping: ${m.why}`;
    im.mapping.setAttribute('aria-invalid', String(!m.ok));
    changed(im);
  });
  im.commit.addEventListener('click', () => void commit(im));
}

/** A file was chosen or dropped: its format from its name, and nothing checked yet. */
function choose(im: Importing, file: File | null): void {
  im.file = file;
  if (file) im.format.value = formatOfName(file.name) ?? '';
  mount(
    im.chosen,
    file
      ? [
          h('span.mono', { 'data-testid': 'import-file' }, file.name),
          h('span.dim', null, ` · ${sizeText(file.size)}`),
        ]
      : null,
  );
  changed(im);
}

/** Something about the file, its format or its mapping changed: check again before importing. */
function changed(im: Importing): void {
  if (im.checked !== null) {
    im.checked = null;
    im.map.setPreview([]);
    mount(im.status, 'Changed since the check: check again before importing.');
    im.result.classList.add('stale');
  }
  im.commit.disabled = true;
}

/** What would be sent now, or why nothing can be. */
function request(im: Importing): Sending | string {
  if (!im.file) return 'Choose a file to import.';
  const format = (im.format.value || formatOfName(im.file.name)) as ImportFormat | null;
  if (!format) return `The format of ${im.file.name} is not known from its name: choose it.`;
  const m = readMapping(im.mapping.value);
  if (!m.ok) return `Mapping: ${m.why}`;
  return { file: im.file, format, mapping: m.value };
}

/** POST the file; the hub's answer or its refusal. */
async function post(r: Sending, dryRun: boolean): Promise<ImportResult> {
  const q = new URLSearchParams({ format: r.format, ...(dryRun && { dry_run: 'true' }) });
  if (r.mapping !== null) q.set('mapping', r.mapping);
  const res = await send('POST', `/imports?${q}`, { bytes: r.file, type: IMPORT_FORMATS[r.format].media });
  return (await res.json()) as ImportResult;
}

/** "Check": a dry run of the file as it is now. */
async function check(im: Importing, e: Event): Promise<void> {
  e.preventDefault();
  if (im.busy) return;
  const r = request(im);
  im.checked = null;
  im.commit.disabled = true;
  im.result.classList.remove('stale');
  if (typeof r === 'string') {
    mount(im.status, r);
    return;
  }
  await busy(im, true, async () => {
    const answer = await post(r, true);
    // Changed while the hub was checking: this answer is of another file, shown stale.
    if (!same(r, request(im))) {
      mount(im.status, 'Changed while checking: check again before importing.');
      return;
    }
    im.checked = r;
    im.map.setPreview(answer.conflicts);
    mount(im.status, 'Checked: nothing is stored until you press Import.');
    mount(
      im.result,
      drawAccepted(answer, Date.now(), (id) => show(im, id)),
    );
  });
}

/** "Import": the checked file, for real; then the picture is read again. */
async function commit(im: Importing): Promise<void> {
  const r = im.checked;
  if (im.busy || r === null) return;
  await busy(im, false, async () => {
    const answer = await post(r, false);
    im.checked = null;
    im.map.setPreview([]);
    mount(im.status, `Imported from ${r.file.name}.`);
    mount(
      im.result,
      drawAccepted(answer, Date.now(), (id) => show(im, id)),
    );
    // The stream brings them too; reading again makes the map current at once.
    await Promise.all([loadDeclarations(), loadConflicts()]).catch(() => undefined);
  });
}

/** Run a request with the buttons held; a refusal is drawn with every problem it names. */
async function busy(im: Importing, checking: boolean, fn: () => Promise<void>): Promise<void> {
  im.busy = true;
  im.check.disabled = true;
  im.commit.disabled = true;
  mount(im.status, checking ? 'Checking…' : 'Importing…');
  try {
    await fn();
  } catch (err) {
    im.checked = null;
    im.map.setPreview([]);
    mount(im.status);
    mount(
      im.result,
      err instanceof ApiError
        ? drawRefused(err, checking)
        : h('div.error', { role: 'alert' }, `Not sent: ${errorText(err)}`),
    );
  } finally {
    im.busy = false;
    im.check.disabled = false;
    im.commit.disabled = im.checked === null;
  }
}

/** Whether two requests send the same file, format and mapping. */
function same(a: Sending, b: Sending | string): boolean {
  return typeof b !== 'string' && a.file === b.file && a.format === b.format && a.mapping === b.mapping;
}

/** Show an imported declaration: the Detail panel and the map. */
function show(im: Importing, id: string): void {
  select('declaration', id);
  im.map.focus({ type: 'declaration', id });
}
