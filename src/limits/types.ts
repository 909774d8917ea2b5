import { reservationExceeded } from "../auth/budget-checks.ts";
import { GatewayError } from "../errors.ts";

/** One rate-limited entity of a request, as LiteLLM's v3 limiter names them. */
export interface LimitDescriptor {
  name: "api_key" | "user" | "team" | "team_member" | "end_user" | "model_per_key";
  value: string;
  rpm?: number;
  tpm?: number;
  maxParallel?: number;
}

/** The tightest remaining budget across a request's descriptors, for `x-ratelimit-*` headers. */
export interface LimitStatus {
  limitRequests?: number;
  remainingRequests?: number;
  limitTokens?: number;
  remainingTokens?: number;
}

export interface Counts {
  requests: number;
  tokens: number;
  parallel: number;
}

/** A spend as an instance knows it: its value and when the database value in it was read (ms). */
export interface SpendView {
  readonly value: number;
  readonly readAt?: number;
}

/**
 * One budget a call is charged to, as the admission step sees it: LiteLLM's comparison of the
 * spend with the budget, done on the spend plus every call still in flight.
 */
export interface BudgetLine {
  /** `SpendBook` entity (`key:<hash>`, `team:<id>`, …), or `model:…` / `global` for rolling-period budgets. */
  id: string;
  /** The entity as LiteLLM names it in a refusal: `Key=<hash>`, `Team=<id>`, … */
  entity: string;
  max: number;
  /** What this instance knows was spent: the database value (read at `readAt`) plus its own calls not yet written. */
  spend: SpendView;
  /** LiteLLM refuses at `spend >= max` (true) or only past it (false: teams, users, end users). */
  atMax: boolean;
  /** Instances share the spend through Redis (settled costs added there at once); false: each judges on its own view. */
  shared: boolean;
  /** Its own refusal (session budgets say which limit and how to go on) instead of LiteLLM's reservation message. */
  refusal?: (spend: number, inflight: number) => GatewayError;
}

/** What a call is admitted against: rate-limit descriptors and budgets. */
export interface AdmissionPlan {
  limits: LimitDescriptor[];
  budgets: BudgetLine[];
  /** The budgets of the call's tags apply too (found when the call is admitted). */
  tagged?: boolean;
}

/** The cost and TPM tokens reserved for a call before it is forwarded. */
export interface Estimate {
  cost: number;
  tokens: number;
}

/** A call's reservation, held until it is settled with its real cost and tokens. */
export interface Hold {
  id: string;
  plan: AdmissionPlan;
  est: Estimate;
  /** Start of the window the TPM tokens were reserved in. */
  window: number;
  /** Made in Redis (false: in this process, also when Redis failed). */
  redis: boolean;
  /** When the lease was taken or last renewed (ms). */
  renewedAt: number;
  settled: boolean;
  /** Resolves once the release reached where the reservation is kept (Redis). */
  released?: Promise<void>;
}

/**
 * Admission of LLM calls: checks rate limits and budgets with everything already reserved and
 * reserves the call (all or nothing), then settles it to what it really cost.
 */
export interface Admission {
  /** Throws 429 (rate limit) or LiteLLM's budget-exceeded error; a status at once when no wait was needed. */
  admit(hold: Hold): LimitStatus | Promise<LimitStatus>;
  /** Resolves when every instance sees the release (at once in memory). */
  settle(hold: Hold, cost: number, tokens: number): Promise<void> | void;
  /** Sends what waits to be recorded now (a caller waits for a release). */
  flush?(): void;
  /** Extends the leases of calls still running. */
  renew(holds: Hold[]): void;
  /** The database spend of an entity changed outside the spend writer (reset, management write). */
  forget(id: string, spend?: number): void;
}

/** A reservation lives this long unless renewed (a crashed instance's calls stop counting after it). */
export const LEASE_MS = 120_000;

/** Budget comparison in LiteLLM's sense, on spend + in flight. */
export const overBudget = (b: BudgetLine, committed: number) => (b.atMax ? committed >= b.max : committed > b.max);

/** The refusal of a call that `b` cannot hold: spend and in flight as judged, before this call's `est`. */
export function refuseBudget(b: BudgetLine, spend: number, inflight: number, est: number): GatewayError {
  return b.refusal ? b.refusal(spend, inflight) : reservationExceeded(b.entity, spend + inflight + est, b.max);
}

export const WINDOW_S = 60;

export const hasLimits = (d: LimitDescriptor) => d.rpm !== undefined || d.tpm !== undefined || d.maxParallel !== undefined;

export function windowStart(nowMs: number): number {
  return Math.floor(nowMs / 1000 / WINDOW_S) * WINDOW_S;
}

/** LiteLLM's over-limit answer: 429 with `retry-after` and the descriptor that tripped. */
export function overLimit(d: LimitDescriptor, kind: "requests" | "tokens" | "max_parallel_requests", limit: number, current: number, nowMs: number): GatewayError {
  const resetAt = kind === "max_parallel_requests" ? nowMs / 1000 : windowStart(nowMs) + WINDOW_S;
  const resetIso = new Date(resetAt * 1000).toISOString();
  return new GatewayError(
    429,
    `Rate limit exceeded for ${d.name}: ${d.value}. Limit type: ${kind}. Current limit: ${limit}, Remaining: ${Math.max(0, limit - current)}. Limit resets at: ${resetIso}`,
    {
      type: "rate_limit_error",
      kind: "RateLimitError",
      headers: { "retry-after": String(WINDOW_S), rate_limit_type: kind, reset_at: resetIso },
    },
  );
}

/** Decides a request against current counts; returns the error or the status for headers. */
export function evaluate(descs: LimitDescriptor[], counts: Counts[], nowMs: number): GatewayError | LimitStatus {
  const status: LimitStatus = {};
  descs.forEach((d, i) => {
    const c = counts[i]!;
    if (d.rpm !== undefined) {
      const remaining = d.rpm - c.requests - 1;
      if (status.remainingRequests === undefined || remaining < status.remainingRequests) {
        status.remainingRequests = remaining;
        status.limitRequests = d.rpm;
      }
    }
    if (d.tpm !== undefined) {
      const remaining = d.tpm - c.tokens;
      if (status.remainingTokens === undefined || remaining < status.remainingTokens) {
        status.remainingTokens = remaining;
        status.limitTokens = d.tpm;
      }
    }
  });
  for (let i = 0; i < descs.length; i++) {
    const d = descs[i]!;
    const c = counts[i]!;
    if (d.rpm !== undefined && c.requests + 1 > d.rpm) return overLimit(d, "requests", d.rpm, c.requests, nowMs);
    if (d.tpm !== undefined && c.tokens >= d.tpm) return overLimit(d, "tokens", d.tpm, c.tokens, nowMs);
    if (d.maxParallel !== undefined && c.parallel + 1 > d.maxParallel) return overLimit(d, "max_parallel_requests", d.maxParallel, c.parallel, nowMs);
  }
  if (status.remainingRequests !== undefined) status.remainingRequests = Math.max(0, status.remainingRequests);
  if (status.remainingTokens !== undefined) status.remainingTokens = Math.max(0, status.remainingTokens);
  return status;
}

/** LiteLLM's `x-ratelimit-*` headers of `s`, added to `h`. */
export function rateLimitHeaders(s: LimitStatus | undefined, h: Record<string, string> = {}): Record<string, string> {
  if (!s) return h;
  if (s.limitRequests !== undefined) {
    h["x-ratelimit-limit-requests"] = String(s.limitRequests);
    h["x-ratelimit-remaining-requests"] = String(s.remainingRequests);
  }
  if (s.limitTokens !== undefined) {
    h["x-ratelimit-limit-tokens"] = String(s.limitTokens);
    h["x-ratelimit-remaining-tokens"] = String(s.remainingTokens);
  }
  return h;
}
