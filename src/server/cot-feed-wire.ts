/**
 * What a TAK client sends the CoT feed, read within bounds: the authentication message first,
 * then its own events (position reports, pings), one XML document after another on the socket
 * (TAK streaming protocol, version 0: XML, no protobuf).
 *
 * - Authentication is the TAK streaming-input convention: `<auth><cot username="…"
 *   password="…"/></auth>`, which ATAK, WinTAK and iTAK send first when a server connection has
 *   "use authentication"; the password is a party's API token, the username is not used. It is
 *   read through the hardened XML parser (src/formats/safe/xml.ts: a DTD or entity is refused
 *   before parsing), from at most {@link MAX_AUTH_BYTES}.
 * - After it, a client's documents are split on `</event>`; each is at most
 *   {@link MAX_EVENT_BYTES}. A ping (`t-x-c-t`) is answered; anything else (a client's own
 *   position, chat, markers) is read and dropped: the feed is one-way, the hub takes
 *   declarations through its API only.
 *
 * A client past a bound is closed: nothing it sends is held without limit.
 */
import { StringDecoder } from 'node:string_decoder';
import { parseXml } from '../formats/safe/xml.ts';

/** Bytes a client may send before it has authenticated (an auth message is ~200). */
export const MAX_AUTH_BYTES = 8 * 1024;
/** Bytes of one client document after authentication (an ATAK position report is ~1 KiB). */
export const MAX_EVENT_BYTES = 64 * 1024;

/** The API token alphabet (as the HTTP bearer and the WebSocket first frame take it). */
const TOKEN = /^[A-Za-z0-9_-]{1,200}$/;

const AUTH_END = '</auth>';
const EVENT_END = '</event>';

/** The token of an authentication message, or null when it is not one (or not well-formed). */
export function authToken(text: string): string | null {
  let doc: Document;
  try {
    doc = parseXml(text, 'auth');
  } catch {
    return null;
  }
  const root = doc.documentElement;
  if (root?.nodeName !== 'auth') return null;
  const cot = root.getElementsByTagName('cot')[0];
  const password = cot?.getAttribute('password') ?? '';
  return TOKEN.test(password) ? password : null;
}

/** True when a client document is a ping (`<event type="t-x-c-t">`). */
export function isPing(text: string): boolean {
  try {
    const root = parseXml(text, 'event').documentElement;
    return root?.nodeName === 'event' && root.getAttribute('type') === 't-x-c-t';
  } catch {
    return false;
  }
}

/**
 * The reader of one connection: bytes in, whole documents out, within the bounds above. `push`
 * returns false once the client went past a bound (the caller closes the socket).
 */
export class ClientReader {
  private readonly decoder = new StringDecoder('utf8');
  private text = '';
  private pendingBytes = 0;
  private authenticated = false;

  constructor(
    private readonly onAuth: (token: string | null) => void,
    private readonly onDocument: (text: string) => void,
  ) {}

  /** Take a chunk; false when the client sent more than it may. */
  push(chunk: Buffer): boolean {
    this.pendingBytes += chunk.length;
    this.text += this.decoder.write(chunk);
    if (!this.authenticated) {
      const end = this.text.indexOf(AUTH_END);
      if (end === -1) return this.pendingBytes <= MAX_AUTH_BYTES;
      const auth = this.text.slice(0, end + AUTH_END.length);
      if (Buffer.byteLength(auth) > MAX_AUTH_BYTES) return false;
      this.authenticated = true;
      this.text = this.text.slice(end + AUTH_END.length);
      this.pendingBytes = Buffer.byteLength(this.text);
      this.onAuth(authToken(auth));
    }
    return this.drain();
  }

  /** Hand over every whole document held; false when what is left is past the bound. */
  private drain(): boolean {
    for (let end = this.text.indexOf(EVENT_END); end !== -1; end = this.text.indexOf(EVENT_END)) {
      const doc = this.text.slice(0, end + EVENT_END.length);
      this.text = this.text.slice(end + EVENT_END.length);
      if (Buffer.byteLength(doc) > MAX_EVENT_BYTES) return false;
      this.onDocument(doc.trim());
    }
    this.pendingBytes = Buffer.byteLength(this.text);
    return this.pendingBytes <= MAX_EVENT_BYTES;
  }
}
