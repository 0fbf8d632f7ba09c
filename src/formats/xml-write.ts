/**
 * Writing XML by hand (the KML export, CoT events, the TAK data package manifest): escaping and
 * numbers. Small on purpose; every string that reaches a document goes through {@link esc}.
 *
 * Escaping: `& < > " '` always, and line breaks, carriage returns and tabs as character
 * references (`&#10;` `&#13;` `&#9;`), in text as in attributes. So an attribute keeps its line
 * breaks (a conforming parser would otherwise normalise them to spaces) and every CoT event is
 * one line: a multi-event file is newline-separated events a line reader can split.
 *
 * Numbers: the shortest decimal that reads back as the same double (ECMAScript `String(n)`), so
 * coordinates survive a round trip exactly; only magnitudes below 1e-6, which JavaScript would
 * write with an exponent (not an `xs:decimal`), are written to 12 decimals (1e-12°, 0.1 µm).
 */

const ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
  '\n': '&#10;',
  '\r': '&#13;',
  '\t': '&#9;',
};

/** Text made safe for an XML attribute value or element content. */
export function esc(s: string): string {
  return s.replace(/[&<>"'\n\r\t]/g, (c) => ENTITIES[c] as string);
}

/** A finite number as an `xs:decimal`: exact round trip, no exponent. */
export function num(n: number): string {
  const s = String(n);
  if (!/e/i.test(s)) return s;
  return n.toFixed(12).replace(/\.?0+$/, '');
}

/** ` name="value"` for each defined value (numbers via {@link num}, the rest escaped). */
export function attrs(a: Record<string, string | number | boolean | undefined>): string {
  let out = '';
  for (const [k, v] of Object.entries(a)) {
    if (v === undefined) continue;
    out += ` ${k}="${typeof v === 'number' ? num(v) : esc(String(v))}"`;
  }
  return out;
}

/** `<name a="…"/>`. */
export function empty(name: string, a: Record<string, string | number | boolean | undefined>): string {
  return `<${name}${attrs(a)}/>`;
}
