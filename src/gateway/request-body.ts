import { GatewayError } from "../errors.ts";
import { scanObject, type ScannedObject, type ScanResult } from "./json-scan.ts";

const decoder = new TextDecoder();
const encoder = new TextEncoder();

type Obj = Record<string, unknown>;

/** Members up to this size are decoded when the body is read, so their invalid content is the body's 400. */
const EAGER_BYTES = 1024;
/** A body up to this size is parsed whole: cheaper than one lazy getter per field. */
const WHOLE_BYTES = 4096;

/**
 * A JSON object request body kept as its bytes: top-level fields located by the scanner and each
 * decoded only when read (then cached), so a body the gateway forwards is never parsed whole.
 */
export class RequestBody {
  private readonly values = new Map<string, unknown>();
  private viewObj?: Obj;
  private whole?: Obj;
  private textCache?: string;
  /** Set by the reader: what to do with the bytes once the call is over (see `done`). */
  onDone?: () => void;
  private holds = 0;
  private over = false;
  /** The size of the bytes a `parsed` body came from. */
  private parsedSize?: number;

  constructor(
    readonly bytes: Uint8Array<ArrayBuffer>,
    readonly scan: ScannedObject,
  ) {}

  /** The body of an object the gateway built or parsed itself. */
  static fromObject(obj: Obj): RequestBody {
    const bytes = encoder.encode(JSON.stringify(obj));
    const scan = scanObject(bytes, Number.MAX_SAFE_INTEGER);
    if (typeof scan === "string") throw new Error(`RequestBody.fromObject: ${scan}`);
    const body = new RequestBody(bytes, scan);
    body.whole = obj;
    return body;
  }

  /**
   * A JSON object body nested at most `maxDepth` deep, or a 400. Where the scanner refuses the bytes,
   * `JSON.parse` decides: invalid bodies get its exact message, and anything the scanner is stricter
   * about than JSON (a byte-order mark) still goes through.
   */
  static read(bytes: Uint8Array<ArrayBuffer>, maxDepth: number, scanner: (b: Uint8Array, maxDepth: number) => ScanResult = scanObject): RequestBody {
    const scan = scanner(bytes, maxDepth);
    if (typeof scan !== "string") return new RequestBody(bytes, scan);
    if (scan === "too-deep") throw invalidJson(`nested deeper than ${maxDepth} levels`);
    let v: unknown;
    try {
      v = JSON.parse(decoder.decode(bytes));
    } catch (e) {
      throw invalidJson((e as Error).message);
    }
    if (typeof v !== "object" || v === null || Array.isArray(v)) {
      throw new GatewayError(400, "Request body must be a JSON object", { type: "invalid_request_error" });
    }
    return RequestBody.fromObject(v as Obj);
  }

  /** An object already parsed whole from `size` bytes that are not kept. */
  static parsed(obj: Obj, size: number): RequestBody {
    const body = new RequestBody(new Uint8Array(0), { open: 0, close: 0, members: [], index: new Map(Object.keys(obj).map((k, i) => [k, i])) });
    body.whole = obj;
    body.parsedSize = size;
    return body;
  }

  /** Bytes that should hold a JSON object; anything else reads as an empty object. */
  static lenient(bytes: Uint8Array<ArrayBuffer>): RequestBody {
    try {
      return RequestBody.read(bytes, Number.MAX_SAFE_INTEGER);
    } catch {
      return RequestBody.fromObject({});
    }
  }

  /**
   * A reader that still needs the bytes after the call is over (the logging callbacks' copy, made
   * after the response is written) holds them until it calls the function returned.
   */
  hold(): () => void {
    this.holds++;
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      if (--this.holds === 0 && this.over) this.release();
    };
  }

  /** The call that read this body is over (its answer sent, its records written); the bytes go once no reader holds them. */
  done(): void {
    this.over = true;
    if (this.holds === 0) this.release();
  }

  private release(): void {
    const f = this.onDone;
    this.onDone = undefined;
    f?.();
  }

  get size(): number {
    return this.parsedSize ?? this.bytes.byteLength;
  }

  has(key: string): boolean {
    return this.scan.index.has(key);
  }

  /** A top-level field's value (`JSON.parse` of just its bytes), or undefined when absent; a 400 when it is not valid JSON. */
  get(key: string): unknown {
    if (this.whole) return this.whole[key];
    const at = this.scan.index.get(key);
    if (at === undefined) return undefined;
    if (this.values.has(key)) return this.values.get(key);
    const m = this.scan.members[at]!;
    let v: unknown;
    try {
      v = JSON.parse(decoder.decode(this.bytes.subarray(m.valueStart, m.valueEnd)));
    } catch {
      throw this.invalid();
    }
    this.values.set(key, v);
    return v;
  }

  /**
   * Decodes every small member (duplicates too), or a small body whole: the scanner checks
   * structure, not string contents.
   */
  checkSmallMembers(): void {
    if (this.bytes.byteLength <= WHOLE_BYTES) {
      this.object();
      return;
    }
    const { members, index } = this.scan;
    for (let k = 0; k < members.length; k++) {
      const m = members[k]!;
      if (m.valueEnd - m.valueStart > EAGER_BYTES) continue;
      if (index.get(m.key) === k) this.get(m.key);
      else {
        try {
          JSON.parse(decoder.decode(this.bytes.subarray(m.valueStart, m.valueEnd)));
        } catch {
          throw this.invalid();
        }
      }
    }
  }

  text(): string {
    return (this.textCache ??= decoder.decode(this.bytes));
  }

  /** The whole body parsed at once (for a call that is translated); a 400 when it is not valid JSON. */
  object(): Obj {
    if (this.whole) return this.whole;
    try {
      this.whole = JSON.parse(this.text()) as Obj;
    } catch {
      throw this.invalid();
    }
    return this.whole;
  }

  /** The error of an invalid body, with `JSON.parse`'s own message for it. */
  private invalid(): GatewayError {
    let detail = "invalid value";
    try {
      JSON.parse(this.text());
    } catch (e) {
      detail = (e as Error).message;
    }
    return invalidJson(detail);
  }

  /**
   * The body as an object whose top-level properties decode on first read: reading `user` or
   * `metadata` never parses `messages`. Spreading or serializing it reads every field. A field
   * whose bytes are not valid JSON reads as undefined (the call was already answered or refused).
   */
  get view(): Obj {
    if (this.viewObj) return this.viewObj;
    if (this.whole) return (this.viewObj = this.whole);
    const obj: Obj = {};
    for (const key of this.scan.index.keys()) {
      Object.defineProperty(obj, key, {
        enumerable: true,
        configurable: true,
        get: () => {
          try {
            return this.get(key);
          } catch {
            return undefined;
          }
        },
        set(v: unknown) {
          Object.defineProperty(obj, key, { value: v, writable: true, enumerable: true, configurable: true });
        },
      });
    }
    return (this.viewObj = obj);
  }
}

export function invalidJson(detail: string): GatewayError {
  return new GatewayError(400, `Invalid JSON in request body: ${detail}`, { type: "invalid_request_error" });
}

export const EMPTY_BODY: RequestBody = RequestBody.fromObject({});
