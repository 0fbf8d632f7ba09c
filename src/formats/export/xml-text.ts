/**
 * Text for XML written by hand (the KML export): escaped for element content and attribute
 * values. The API's text is well-formed already (src/engine/text.ts refuses control characters
 * and lone surrogates on input), so escaping `& < > " '` is all XML 1.0 needs.
 */
const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
};

export function xmlText(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ESCAPES[c] as string);
}
