import { randomBytes } from "node:crypto";
import { GatewayError } from "../errors.ts";
import { authError, type RequestFacts } from "./authenticator.ts";
import { abbreviateKey, hashToken } from "./hash.ts";
import type { AuthContext } from "./types.ts";

export interface ScopedKeySpec {
  alias: string;
  models: string[];
  maxBudget?: number;
  expiresAt: number;
  metadata: Record<string, unknown>;
}

interface Entry {
  spec: ScopedKeySpec;
  spend: number;
  revoked: boolean;
  name: string;
}

/**
 * Short-lived keys the gateway mints for itself (an agent run's key) when there is no database to
 * hold a LiteLLM virtual key: only LLM routes, only the listed models, a budget, an expiry.
 */
export class ScopedKeys {
  private readonly keys = new Map<string, Entry>();

  issue(spec: ScopedKeySpec): { key: string; hash: string } {
    const key = `sk-${randomBytes(16).toString("base64url")}`;
    const hash = hashToken(key);
    this.keys.set(hash, { spec, spend: 0, revoked: false, name: abbreviateKey(key) });
    return { key, hash };
  }

  revoke(hash: string): void {
    const e = this.keys.get(hash);
    if (e) e.revoked = true;
  }

  addSpend(hash: string, cost: number): void {
    const e = this.keys.get(hash);
    if (e) e.spend += cost;
  }

  spendOf(hash: string): number {
    return this.keys.get(hash)?.spend ?? 0;
  }

  has(hash: string): boolean {
    return this.keys.has(hash);
  }

  /** Undefined when the hash is not a scoped key; otherwise the caller or the error LiteLLM would give. */
  check(hash: string, facts: RequestFacts): AuthContext | undefined {
    const e = this.keys.get(hash);
    if (!e) return undefined;
    if (e.revoked) throw authError("Authentication Error, Key is blocked. Update via `/key/unblock` if you're an admin.");
    if (Date.now() > e.spec.expiresAt) {
      throw authError(`Authentication Error - Expired Key. Key Expiry time ${new Date(e.spec.expiresAt).toISOString()} and current time ${new Date().toISOString()}`, "expired_key", 400);
    }
    if (!facts.isLLMRoute && !/^\/(v1\/)?models$/.test(facts.route)) {
      throw authError(`Authentication Error, this key can only call LLM routes. Tried to access ${facts.route}`, "auth_error");
    }
    for (const m of [facts.model, ...(facts.fallbackModels ?? [])]) {
      if (m && !e.spec.models.includes(m)) {
        throw authError(`key not allowed to access model. This key can only access models=${JSON.stringify(e.spec.models)}. Tried to access ${m}`, "key_model_access_denied");
      }
    }
    if (e.spec.maxBudget !== undefined && facts.isLLMRoute && e.spend >= e.spec.maxBudget) {
      throw new GatewayError(400, `Budget has been exceeded! Current cost: ${e.spend}, Max budget: ${e.spec.maxBudget}`, { type: "budget_exceeded", kind: "BudgetExceededError" });
    }
    return {
      kind: "virtual_key",
      role: "internal_user",
      apiKeyHash: hash,
      keyAlias: e.spec.alias,
      keyName: e.name,
      metadata: e.spec.metadata,
    };
  }
}
