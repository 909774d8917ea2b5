import { createHash, timingSafeEqual } from "node:crypto";
import { GatewayError } from "../errors.ts";
import { extractApiKey, maskKey } from "./extract.ts";
import { hashToken } from "./hash.ts";
import type { SessionOfCall } from "../sessions/identity.ts";
import type { ScopedKeys } from "./scoped-keys.ts";
import { OPEN_AUTH, type AuthContext } from "./types.ts";

export interface RequestFacts {
  route: string;
  /** Requested model for LLM routes (checked against the key's model access). */
  model?: string;
  /** Models named by client-side `fallbacks`. */
  fallbackModels?: string[];
  /** End-user id from the body (`user`), for end-user budgets. */
  endUser?: string;
  isLLMRoute: boolean;
  /** The coding session of an LLM call, read only when a per-session limit applies. */
  session?: () => SessionOfCall | undefined;
}

/** Virtual-key checks backed by the LiteLLM database (see `src/auth/virtual-keys.ts`). */
export interface VirtualKeyChecker {
  authenticate(rawKey: string, hash: string, facts: RequestFacts): Promise<AuthContext>;
  /** The master key's call with its end user's budget and rate limits applied. */
  masterWithEndUser?(ctx: AuthContext, facts: RequestFacts): Promise<AuthContext>;
  /** Throws the error `authenticate` would give for a key that is unknown or blocked; anything else passes. */
  refuseUnknown?(rawKey: string, hash: string): Promise<void> | undefined;
}

export const authError = (message: string, type = "auth_error", status = 401) =>
  new GatewayError(status, message, { type, kind: status === 401 ? "AuthenticationError" : undefined });

type Presented = { master: true } | { master: false; key: string; hash: string };

const noDb = () => new GatewayError(400, "No connected db.", { type: "no_db_connection" });

/** A presented key's sha256, and its hex (LiteLLM's `hash_token`) once asked for. */
interface KeyDigest {
  digest: Buffer;
  hex?: string;
}

const hexOf = (d: KeyDigest) => (d.hex ??= d.digest.toString("hex"));

/** Keys seen recently → their digests, so a client repeating its key costs no hashing; bounded, emptied when full. */
class DigestCache {
  private readonly seen = new Map<string, KeyDigest>();

  of(key: string): KeyDigest {
    let d = this.seen.get(key);
    if (!d) {
      d = { digest: createHash("sha256").update(key).digest() };
      if (key.length > DIGEST_CACHE_KEY_MAX) return d;
      if (this.seen.size >= DIGEST_CACHE_SIZE) this.seen.clear();
      this.seen.set(key, d);
    }
    return d;
  }
}

const DIGEST_CACHE_SIZE = 4096;
/** Longer presented keys (no real key is) are hashed every time, so the cache holds at most ~4 MB of keys. */
const DIGEST_CACHE_KEY_MAX = 512;

/** Master key and virtual-key authentication, with LiteLLM's header precedence and messages. */
export class Authenticator {
  private readonly masterDigest?: Buffer;
  readonly masterKeyHash?: string;

  constructor(
    private readonly opts: { masterKey?: string; customHeader?: string; virtualKeys?: VirtualKeyChecker; scoped?: ScopedKeys },
  ) {
    if (opts.masterKey) {
      this.masterDigest = createHash("sha256").update(opts.masterKey).digest();
      this.masterKeyHash = this.masterDigest.toString("hex");
    }
  }

  get open(): boolean {
    return this.masterDigest === undefined;
  }

  set virtualKeys(v: VirtualKeyChecker | undefined) {
    this.opts.virtualKeys = v;
  }

  isMasterKey(raw: string): boolean {
    if (!this.masterDigest) return false;
    return timingSafeEqual(this.digests.of(raw).digest, this.masterDigest);
  }

  private readonly digests = new DigestCache();

  /** `presented` per request, so `refuseEarly` then `authenticate` hash the key once. */
  private readonly seen = new WeakMap<Headers, Presented>();

  /** The key a request carries, refused as LiteLLM refuses a missing, malformed or non-`sk-` key. */
  private presented(headers: Headers): Presented {
    let p = this.seen.get(headers);
    if (!p) {
      p = this.identify(headers);
      this.seen.set(headers, p);
    }
    return p;
  }

  private identify(headers: Headers): Presented {
    const key = extractApiKey(headers, this.opts.customHeader);
    if (key === undefined) throw authError("Authentication Error, No api key passed in.");
    if (key === "") throw authError("Authentication Error, Malformed API Key passed in. Ensure Key has `Bearer ` prefix.");
    const digest = this.digests.of(key);
    if (timingSafeEqual(digest.digest, this.masterDigest!)) return { master: true };
    if (!key.startsWith("sk-")) {
      throw authError(
        `Authentication Error, LiteLLM Virtual Key expected. Received=${maskKey(key)}, expected to start with 'sk-'.`,
      );
    }
    return { master: false, key, hash: hexOf(digest) };
  }

  /**
   * Refuses from the headers alone, before the body is read, a request whose key can never pass:
   * none, malformed, unknown or blocked. Everything else is left to `authenticate`.
   */
  refuseEarly(headers: Headers): Promise<void> | undefined {
    if (!this.masterDigest) return undefined;
    const p = this.presented(headers);
    if (p.master || this.opts.scoped?.has(p.hash)) return undefined;
    if (!this.opts.virtualKeys) throw noDb();
    return this.opts.virtualKeys.refuseUnknown?.(p.key, p.hash);
  }

  async authenticate(headers: Headers, facts: RequestFacts): Promise<AuthContext> {
    if (!this.masterDigest) {
      const key = extractApiKey(headers, this.opts.customHeader);
      const scoped = key && this.opts.scoped?.check(hashToken(key), facts);
      return scoped || OPEN_AUTH;
    }
    const p = this.presented(headers);
    if (p.master) {
      const master: AuthContext = { kind: "master", role: "proxy_admin", userId: "default_user_id", apiKeyHash: this.masterKeyHash };
      return this.opts.virtualKeys?.masterWithEndUser ? this.opts.virtualKeys.masterWithEndUser(master, facts) : master;
    }
    const scoped = this.opts.scoped?.check(p.hash, facts);
    if (scoped) return scoped;
    if (!this.opts.virtualKeys) throw noDb();
    return this.opts.virtualKeys.authenticate(p.key, p.hash, facts);
  }
}
