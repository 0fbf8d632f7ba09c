/**
 * The one way the hub reads XML (KML, GPX, Cursor-on-Target): hardened, bounded, coded errors.
 *
 * Refused before any parsing, with `unsafe_file`:
 * - any `<!DOCTYPE` or `<!ENTITY` (case-insensitive, anywhere in the text, comments and CDATA
 *   included). KML 2.2, GPX 1.1 and CoT are defined by XML Schemas and never need a DTD, so a
 *   document carrying one is refused outright rather than parsed with the DTD ignored: no external
 *   entity (XXE: `SYSTEM "file:///etc/passwd"`), no entity expansion (billion laughs), no
 *   parameter entities, whatever the parser underneath would have done with them;
 * - text longer than {@link MAX_XML_CHARS} (the largest entry a KMZ may inflate to).
 *
 * Parsed by @xmldom/xmldom (pure JavaScript: no libxml, no network, no file access). Every
 * report of the parser — warnings included, since each one is a well-formedness fault such as an
 * unquoted attribute — stops the parse and becomes `invalid_file` naming the line and column:
 * a file half understood is not imported.
 */
import { DOMParser } from '@xmldom/xmldom';
import { DeconflictError, type ErrorCode } from '../../errors.ts';

/** 50 MiB of text: the per-entry bound of an archive (zip.ts), so a KMZ's KML always fits. */
export const MAX_XML_CHARS = 50 * 1024 * 1024;

/** A DTD or an entity declaration, wherever it is: `<!DOCTYPE`, `<!ENTITY` in any case. */
const DTD = /<!\s*(doctype|entity)/i;

/** A coded error about the file `what` (a file name or a format, as the caller knows it). */
export function fileError(code: ErrorCode, what: string, message: string): DeconflictError {
  return new DeconflictError([{ code, feature: null, path: '', message: `${what}: ${message}` }]);
}

/** The XML document of `text`, or a coded refusal naming `what` and the reason. */
export function parseXml(text: string, what: string): Document {
  if (text.length > MAX_XML_CHARS)
    throw fileError('unsafe_file', what, `XML larger than ${MAX_XML_CHARS / 1024 / 1024} MiB is not read`);
  const dtd = DTD.exec(text);
  if (dtd)
    throw fileError(
      'unsafe_file',
      what,
      `a ${dtd[1]?.toUpperCase()} declaration is refused (no DTD, no entities: ${where(text, dtd.index)})`,
    );
  let fault: string | null = null;
  const parser = new DOMParser({
    onError: (_level, message, context: { locator?: { lineNumber?: number; columnNumber?: number } }) => {
      const at = context?.locator;
      const line = at?.lineNumber
        ? `line ${at.lineNumber}${at.columnNumber ? `, column ${at.columnNumber}` : ''}`
        : '';
      fault ??= `malformed XML${line ? ` at ${line}` : ''}: ${oneLine(message)}`;
      throw new Error(fault);
    },
  });
  let doc: Document;
  try {
    doc = parser.parseFromString(text, 'text/xml') as unknown as Document;
  } catch (err) {
    throw fileError(
      'invalid_file',
      what,
      fault ?? `malformed XML: ${oneLine(String((err as Error).message))}`,
    );
  }
  if (!doc?.documentElement) throw fileError('invalid_file', what, 'no root element');
  return doc;
}

/** "line L, column C" of offset `i` in `text`. */
function where(text: string, i: number): string {
  let line = 1;
  let start = 0;
  for (let k = text.indexOf('\n'); k !== -1 && k < i; k = text.indexOf('\n', k + 1)) {
    line++;
    start = k + 1;
  }
  return `line ${line}, column ${i - start + 1}`;
}

/** A parser message on one bounded line (it may quote the input). */
function oneLine(s: string): string {
  const t = s.replace(/\s+/g, ' ').trim();
  return t.length > 200 ? `${t.slice(0, 200)}…` : t;
}
