/**
 * The Files panel: the party's picture as a file for the tools the field already uses, and
 * declarations brought in from them (docs/formats/). Every member may export — always the
 * party's own view. Importing is submitting: only a member who may declare (roles.ts) sees the
 * import form; the others are told which role it needs. The hub checks the role again either way.
 */
import { h, mount } from '../../dom.ts';
import type { MapApi } from '../../map/api.ts';
import { canDeclare } from '../../roles.ts';
import { registerPanel } from '../../shell.ts';
import { state } from '../../store.ts';
import { exportSection } from './export.ts';
import { importSection } from './import.ts';

registerPanel({ id: 'files', label: 'Files', key: '8', mount: mountFiles });

/** Draw the panel into `el`: export for everyone, import for those who may submit. */
function mountFiles(el: HTMLElement, map: MapApi): void {
  const me = state.me;
  if (!me) return;
  const roles = me.roles.join(', ') || 'none';
  mount(
    el,
    h(
      'div.files',
      { 'data-testid': 'files' },
      h('h2', null, 'Files'),
      exportSection(me.party),
      canDeclare()
        ? importSection(map)
        : h(
            'section.fl-import',
            { 'aria-labelledby': 'fl-import-title' },
            h('h3#fl-import-title', null, 'Import'),
            h(
              'p.note.dim',
              { 'data-testid': 'import-forbidden' },
              `Importing declarations needs the operator or party_admin role (you have: ${roles}).`,
            ),
          ),
    ),
  );
}
