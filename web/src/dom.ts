/**
 * A small DOM helper: `h('div.alert.flash', {onclick}, children)`. No framework: the console is a
 * handful of panels redrawn from the store when their topic changes.
 */
type Child = Node | string | number | null | undefined | false | Child[];
type Props = Record<string, unknown> & {
  dataset?: Record<string, string>;
  style?: Partial<CSSStyleDeclaration>;
};

/** An element: `tag` with optional `#id` and `.classes`, its props (`on…` are listeners), its children. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K | `${K}.${string}` | `${K}#${string}`,
  props: Props | null = null,
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const [head, ...classes] = tag.split('.');
  const [name, id] = (head as string).split('#');
  const el = document.createElement(name as K);
  if (id) el.id = id;
  if (classes.length > 0) el.className = classes.join(' ');
  for (const [k, v] of Object.entries(props ?? {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k === 'style') Object.assign(el.style, v);
    else if (k.startsWith('on') && typeof v === 'function')
      el.addEventListener(k.slice(2), v as EventListener);
    else if (k === 'class') el.className = `${el.className} ${String(v)}`.trim();
    else if (k in el && typeof v !== 'string') (el as unknown as Record<string, unknown>)[k] = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

/** Append children, flattening arrays and skipping null, undefined and false. */
function append(el: Node, children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.appendChild(typeof c === 'object' ? c : document.createTextNode(String(c)));
  }
}

/** Replace an element's children. */
export function mount(el: Element, ...children: Child[]): void {
  el.replaceChildren();
  append(el, children);
}

/** Save `blob` as the file `name` in the browser's downloads (no network: a Blob URL). */
export function saveFile(name: string, blob: Blob): void {
  const url = URL.createObjectURL(blob);
  const a = h('a', { href: url, download: name, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  // The browser reads the Blob after the click returns: let it go a little later.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
