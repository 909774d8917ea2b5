import { isConnectionError, type Database } from "../db/client.ts";
import type { KeyQueries } from "../db/key-queries.ts";
import { GatewayError } from "../errors.ts";
import type { BudgetLine, SpendView } from "../limits/types.ts";
import type { Logger } from "../log.ts";
import type { SpendBook } from "../spend/book.ts";
import { authError, type RequestFacts, type VirtualKeyChecker } from "./authenticator.ts";
import {
  budgetExceeded,
  checkCommonBudgets,
  checkEndUserBudget,
  checkKeyBudget,
  checkMemberBudgetEarly,
  endUserBudgetLine,
  keyBudgetLines,
  softBudgetCrossed,
} from "./budget-checks.ts";
import { abbreviateKey } from "./hash.ts";
import { keyLimitsOf } from "./key-headers.ts";
import type { AuthCache } from "./key-cache.ts";
import { endUserRecordFrom, keyRecordFrom, type EndUserRecord, type KeyRecord } from "./key-record.ts";
import { endUserDescriptors, limitDescriptors } from "./limit-descriptors.ts";
import { checkKeyModel, checkTeamModel, checkUserModel, type ModelCatalog } from "./model-access.ts";
import { checkAllowedRoutes } from "./routes.ts";
import type { AuthContext } from "./types.ts";

export interface VirtualKeyDeps {
  db: Database;
  queries: KeyQueries;
  cache: AuthCache;
  book: SpendBook;
  catalog: () => ModelCatalog;
  /** Both prices of the model's deployments explicitly 0: LiteLLM skips budget checks. */
  isZeroCost: (model: string) => boolean;
  allowOnDbUnavailable: boolean;
  /** `general_settings.enforce_user_param`: LLM calls must name an end user (`user`). */
  enforceUserParam?: boolean;
  /** Spend per key and model over a period, for `model_max_budget`. */
  modelBudgets?: { spend(keyHash: string, model: string, periodMs: number): number; cell(keyHash: string, model: string, periodMs: number): SpendView };
  /** `litellm_settings.max_budget`: the proxy-wide budget, its current spend and its id in Redis (one per database). */
  globalBudget?: { id: string; max: number; spend: SpendView };
  /** Whether any tag has a budget (LiteLLM's tag budgets, charged when the call is admitted). */
  tagBudgets?: { readonly any: boolean };
  /** Per-session limits (`src/sessions/budget.ts`). */
  sessionBudgets?: { check(rec: KeyRecord, session: RequestFacts["session"]): Promise<BudgetLine | undefined> | undefined };
  log: Logger;
}

const COUNT_TOKENS = "/v1/messages/count_tokens";

/** Python's `str(datetime)` with a UTC offset, as LiteLLM prints times in its expiry message. */
const pyTime = (d: Date) => `${d.toISOString().replace("T", " ").replace("Z", "")}000+00:00`;

const keyNotFound = (raw: string, hash: string) =>
  new GatewayError(
    401,
    `Authentication Error, Invalid proxy server token passed. Received API Key = ${abbreviateKey(raw)}, Key Hash (Token) =${hash}. Unable to find token in cache or \`LiteLLM_VerificationTokenTable\``,
    { type: "token_not_found_in_db", param: "key", kind: "AuthenticationError" },
  );

const keyBlocked = () => authError("Authentication Error, Key is blocked. Update via `/key/unblock` if you're admin.");

/**
 * Virtual keys from LiteLLM's tables: looked up by sha256, answered from a memory cache (stale
 * entries are served while a background read refreshes them, so the hot path never waits for
 * Postgres once a key has been seen), then every LiteLLM check in LiteLLM's order.
 */
export class VirtualKeyAuth implements VirtualKeyChecker {
  private readonly inflight = new Map<string, Promise<KeyRecord | null>>();
  private readonly softAlerted = new Set<string>();
  private readonly keyLines = new WeakMap<KeyRecord, BudgetLine[]>();

  constructor(private readonly d: VirtualKeyDeps) {}

  async authenticate(raw: string, hash: string, facts: RequestFacts): Promise<AuthContext> {
    let rec: KeyRecord | null;
    try {
      const fresh = this.freshKey(hash);
      rec = fresh !== undefined ? fresh : await this.keyRecord(hash);
    } catch (e) {
      if (this.d.allowOnDbUnavailable && isConnectionError(e)) {
        return { kind: "virtual_key", role: "internal_user", apiKeyHash: "failed-to-connect-to-db", keyName: "failed-to-connect-to-db", userId: "default_user_id" };
      }
      throw authError(`Authentication Error, ${(e as Error).message}`);
    }
    if (!rec) throw keyNotFound(raw, hash);
    return this.check(rec, raw, facts);
  }

  /** Answered from the cache when it holds the key fresh (the usual case): then nothing to wait for. */
  refuseUnknown(raw: string, hash: string): Promise<void> | undefined {
    const fresh = this.freshKey(hash);
    if (fresh === undefined) return this.refuseUnknownRead(raw, hash);
    if (fresh === null) throw keyNotFound(raw, hash);
    if (fresh.blocked) throw keyBlocked();
    return undefined;
  }

  private async refuseUnknownRead(raw: string, hash: string): Promise<void> {
    const rec = await this.keyRecord(hash).catch(() => undefined);
    if (rec === null) throw keyNotFound(raw, hash);
    if (rec?.blocked) throw keyBlocked();
  }

  /** The cached record (null: known not to exist) while fresh; undefined when it must be read. */
  private freshKey(hash: string): KeyRecord | null | undefined {
    const hit = this.d.cache.keys.get(hash);
    return hit && !hit.stale ? hit.value : undefined;
  }

  private async check(rec: KeyRecord, raw: string, facts: RequestFacts): Promise<AuthContext> {
    if (rec.blocked) throw keyBlocked();
    checkAllowedRoutes(rec.allowedRoutes, facts.route);
    const catalog = this.d.catalog();
    // A batch completion's `"a,b"` is checked model by model, as LiteLLM's `get_model_from_request` splits it.
    const models = facts.model ? [...facts.model.split(",").map((m) => m.trim()).filter(Boolean), ...(facts.fallbackModels ?? [])] : [];
    for (const m of models) checkKeyModel(rec, m, catalog);
    const budgets = facts.isLLMRoute && !(facts.model && this.d.isZeroCost(facts.model));
    if (budgets) checkMemberBudgetEarly(rec);
    if (rec.expires && rec.expires.getTime() < Date.now()) {
      throw new GatewayError(
        400,
        `Authentication Error - Expired Key. Key Expiry time ${pyTime(rec.expires)} and current time ${pyTime(new Date())}`,
        { type: "expired_key", param: abbreviateKey(raw), kind: "AuthenticationError" },
      );
    }
    if (budgets) {
      checkKeyBudget(rec);
      const mb = facts.model ? rec.modelMaxBudget[facts.model] : undefined;
      if (mb && this.d.modelBudgets) {
        const spent = this.d.modelBudgets.spend(rec.token, facts.model!, mb.periodMs);
        if (spent >= mb.budgetLimit) {
          throw budgetExceeded(`LiteLLM Virtual Key: ${rec.token}, key_alias: ${rec.keyAlias ?? null}, exceeded budget for model=${facts.model}. Current cost: ${spent}, Max budget: ${mb.budgetLimit}`);
        }
      }
      if (softBudgetCrossed(rec) && !this.softAlerted.has(rec.token)) {
        this.softAlerted.add(rec.token);
        this.d.log.warn("virtual key crossed its soft budget", { key_alias: rec.keyAlias, key_name: rec.keyName, spend: rec.spend.value, soft_budget: rec.softBudget });
      }
    }
    if (rec.team?.blocked) throw authError(`Authentication Error, Team=${rec.team.id} is blocked. Update via \`/team/unblock\` if your admin.`);
    for (const m of models) {
      checkTeamModel(rec, m, catalog);
      checkUserModel(rec, m, catalog);
    }
    if (budgets) checkCommonBudgets(rec);
    const sessionCheck = budgets && facts.route !== COUNT_TOKENS ? this.d.sessionBudgets?.check(rec, facts.session) : undefined;
    const sessionLine = sessionCheck ? await sessionCheck : undefined;
    let endUser: EndUserRecord | null = null;
    if (facts.endUser && facts.isLLMRoute) {
      endUser = await this.endUserRecord(facts.endUser);
      if (endUser?.blocked) throw authError(`Authentication Error, End User=${endUser.id} is blocked. Update via \`/customer/unblock\` if you're admin.`);
      if (endUser && budgets) checkEndUserBudget(endUser);
    }
    if (this.d.enforceUserParam && facts.isLLMRoute && !facts.endUser) {
      throw authError(`Authentication Error, 'user' param not passed in. 'enforce_user_param'=True`);
    }
    const global = this.d.globalBudget;
    if (budgets && global && global.max > 0 && global.spend.value >= global.max) {
      throw budgetExceeded(`ExceededBudget: LiteLLM Proxy has exceeded its budget. Current spend: ${global.spend.value}; Max Budget: ${global.max}`);
    }

    const ctx: AuthContext = {
      kind: "virtual_key",
      role: rec.user?.role ?? "internal_user",
      apiKeyHash: rec.token,
      keyAlias: rec.keyAlias,
      keyName: rec.keyName,
      userId: rec.userId,
      teamId: rec.teamId,
      teamAlias: rec.team?.alias,
      orgId: rec.orgId,
      key: rec,
      metadata: rec.metadata,
      endUserId: facts.endUser,
      allowedModelRegion: endUser?.allowedModelRegion,
      keyLimits: keyLimitsOf(rec),
    };
    if (this.limited(facts, catalog)) {
      const limits = limitDescriptors(rec, endUser, facts.model!);
      const lines = budgets ? this.budgetLines(rec, endUser, facts.model!, sessionLine) : [];
      const tagged = budgets && !!this.d.tagBudgets?.any;
      if (limits.length || lines.length || tagged) ctx.admission = { plan: { limits, budgets: lines, tagged } };
    }
    return ctx;
  }

  /** Every budget a call of this key on `model` is charged to (reserved before it is forwarded). */
  private budgetLines(rec: KeyRecord, endUser: EndUserRecord | null, model: string, session: BudgetLine | undefined): BudgetLine[] {
    let lines = this.keyLines.get(rec);
    if (!lines) this.keyLines.set(rec, (lines = keyBudgetLines(rec)));
    const end = endUser && endUserBudgetLine(endUser);
    const mb = rec.modelMaxBudget[model];
    const models = this.d.modelBudgets;
    const global = this.d.globalBudget;
    if (!end && !(mb && models) && !(global && global.max > 0) && !session) return lines;
    const out = end ? [...lines, end] : [...lines];
    if (mb && models) {
      const spend = models.cell(rec.token, model, mb.periodMs);
      out.push({ id: `model:${rec.token}:${model}:${mb.periodMs}`, entity: `Key=${rec.token} model=${model}`, max: mb.budgetLimit, spend, atMax: true, shared: true });
    }
    if (global && global.max > 0) out.push({ id: global.id, entity: "Proxy=litellm-proxy", max: global.max, spend: global.spend, atMax: true, shared: true });
    if (session) out.push(session);
    return out;
  }

  /**
   * LiteLLM reads the end user (body `user`) before it tells the master key apart, so the master key's
   * calls meet that end user's budget and rate limits too (`get_end_user_object`, the v3 limiter).
   */
  async masterWithEndUser(ctx: AuthContext, facts: RequestFacts): Promise<AuthContext> {
    if (!facts.endUser || !facts.isLLMRoute) return ctx;
    const endUser = await this.endUserRecord(facts.endUser);
    const out: AuthContext = { ...ctx, endUserId: facts.endUser, allowedModelRegion: endUser?.allowedModelRegion };
    if (!endUser) return out;
    const budgets = !(facts.model && this.d.isZeroCost(facts.model));
    if (budgets) checkEndUserBudget(endUser);
    if (this.limited(facts, this.d.catalog())) {
      const limits = endUserDescriptors(endUser);
      const line = budgets ? endUserBudgetLine(endUser) : undefined;
      if (limits.length || line) out.admission = { plan: { limits, budgets: line ? [line] : [] } };
    }
    return out;
  }

  /** Calls to models this gateway serves are admitted; each model of a batch completion (`"a,b"`) is a call of its own. */
  private limited(facts: RequestFacts, catalog: ModelCatalog): boolean {
    if (!facts.isLLMRoute || facts.route === COUNT_TOKENS || !facts.model) return false;
    return facts.model.split(",").every((m) => catalog.groupOf(m.trim()) !== undefined);
  }

  /** The cached record; a stale one is returned at once and refreshed in the background. */
  async keyRecord(hash: string): Promise<KeyRecord | null> {
    const hit = this.d.cache.keys.get(hash);
    if (hit && !hit.stale) return hit.value;
    if (hit?.value) {
      this.load(hash).catch(() => {});
      return hit.value;
    }
    return this.load(hash);
  }

  private load(hash: string): Promise<KeyRecord | null> {
    let p = this.inflight.get(hash);
    if (p) return p;
    p = this.d.queries
      .keyByHash(hash)
      .then((row) => {
        const rec = row ? keyRecordFrom(row, this.d.book) : null;
        this.d.cache.keys.set(hash, rec);
        return rec;
      })
      .finally(() => this.inflight.delete(hash));
    this.inflight.set(hash, p);
    return p;
  }

  private async endUserRecord(id: string): Promise<EndUserRecord | null> {
    const hit = this.d.cache.endUsers.get(id);
    if (hit && !hit.stale) return hit.value;
    try {
      const row = await this.d.queries.endUser(id);
      const rec = row ? endUserRecordFrom(row.e, row.b, this.d.book) : null;
      this.d.cache.endUsers.set(id, rec);
      return rec;
    } catch (e) {
      if (hit) return hit.value;
      if (isConnectionError(e)) return null;
      throw e;
    }
  }
}
