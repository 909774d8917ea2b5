import { GatewayError, type ErrorKind } from "../errors.ts";
import type { Deployment } from "./deployment.ts";
import type { ModelGroups, Resolved, TeamScope } from "./model-groups.ts";
import { backoffSeconds, cooldownRequired, isRetryableStatus, policyValue } from "./policy.ts";
import type { RouterState } from "./state.ts";
import { chooseDeployment, healthyDeployments, type PickOptions, type RoutingStrategy } from "./strategy.ts";

export interface RouterSettings {
  strategy: RoutingStrategy;
  numRetries: number;
  maxFallbacks: number;
  timeoutMs?: number;
  streamTimeoutMs?: number;
  retryAfterS: number;
  allowedFails?: number;
  cooldownTimeS: number;
  disableCooldowns: boolean;
  retryPolicy?: Record<string, number>;
  allowedFailsPolicy?: Record<string, number>;
  fallbacks: Map<string, string[]>;
  contextWindowFallbacks: Map<string, string[]>;
  contentPolicyFallbacks: Map<string, string[]>;
  /** `enable_pre_call_checks`: deployments outside the caller's `allowed_model_region` are skipped. */
  preCallChecks?: boolean;
}

export interface CallOptions {
  numRetries?: number;
  /** Client-side `fallbacks` from the request body; they take precedence over configured ones. */
  clientFallbacks?: string[];
  /** The end user's `allowed_model_region`. */
  allowedModelRegion?: string;
  /** `mock_testing_rate_limit_error`: the first try fails with a RateLimitError before any deployment is called. */
  mockRateLimitError?: boolean;
  /** The caller's team: fallbacks reach only deployments it may use. */
  scope?: TeamScope;
}

export interface AttemptInfo {
  resolved: Resolved;
  /** Must be called once the deployment's work is done (after the stream ends for streams). */
  release: () => void;
}

export interface Routed<T> {
  result: T;
  deployment: Deployment;
  resolved: Resolved;
  retries: number;
  fallbacks: number;
  /** The retries the answering deployment allowed (`x-litellm-max-retries`). */
  maxRetries: number;
}

const sleep = (s: number) => new Promise((r) => setTimeout(r, s * 1000));

/**
 * Picks deployments and runs LiteLLM's retry → fallback → cooldown loop around an attempt.
 * Pure logic plus counters; the attempt does the I/O.
 */
export class Router {
  constructor(
    readonly groups: ModelGroups,
    readonly settings: RouterSettings,
    readonly state: RouterState,
    private readonly pickOptions: PickOptions = {},
  ) {}

  resolve(model: string, scope?: TeamScope): Resolved | undefined {
    return this.groups.resolve(model, scope);
  }

  async execute<T>(
    resolved: Resolved,
    opts: CallOptions,
    attempt: (d: Deployment, info: AttemptInfo) => Promise<T>,
  ): Promise<Routed<T>> {
    const counters = { retries: 0, fallbacks: 0 };
    try {
      if (opts.mockRateLimitError) this.mockRateLimitError(resolved, opts, counters);
      return await this.withRetries(resolved, opts, attempt, counters);
    } catch (first) {
      const err = asGatewayError(first);
      if (err.status === 499) throw err;
      const chain = this.fallbackChain(resolved, err.kind, opts);
      let last = err;
      for (const name of chain.slice(0, this.settings.maxFallbacks)) {
        const fb = this.groups.resolve(name, opts.scope);
        if (!fb || fb.group === resolved.group) continue;
        counters.fallbacks++;
        try {
          return await this.withRetries(fb, opts, attempt, counters);
        } catch (e) {
          last = asGatewayError(e);
          if (last.status === 499) break;
        }
      }
      last.headers["x-litellm-attempted-retries"] = String(counters.retries);
      last.headers["x-litellm-attempted-fallbacks"] = String(counters.fallbacks);
      throw last;
    }
  }

  /** LiteLLM raises the mock error inside its retry loop: retried when the group allows retries, else the fallbacks see it. */
  private mockRateLimitError(resolved: Resolved, opts: CallOptions, counters: { retries: number }): void {
    const allowed = opts.numRetries ?? resolved.deployments[0]?.maxRetries ?? this.settings.numRetries;
    if (allowed > 0) {
      counters.retries++;
      return;
    }
    throw new GatewayError(429, `This is a mock exception for model=${resolved.group}, to trigger a rate limit error.`, { kind: "RateLimitError" });
  }

  private fallbackChain(resolved: Resolved, kind: ErrorKind, opts: CallOptions): string[] {
    if (opts.clientFallbacks?.length) return opts.clientFallbacks;
    const s = this.settings;
    const table =
      kind === "ContentPolicyViolationError" && s.contentPolicyFallbacks.size
        ? s.contentPolicyFallbacks
        : kind === "ContextWindowExceededError" && s.contextWindowFallbacks.size
          ? s.contextWindowFallbacks
          : s.fallbacks;
    return lookupFallbacks(table, resolved);
  }

  private pick(resolved: Resolved, tried: Set<string>): Deployment {
    if (resolved.pinned) return resolved.deployments[0]!;
    const healthy = healthyDeployments(resolved.deployments, this.state);
    const fresh = tried.size ? healthy.filter((d) => !tried.has(d.id)) : healthy;
    const d = chooseDeployment(this.settings.strategy, fresh.length ? fresh : healthy, this.state, this.pickOptions);
    if (d) return d;
    const cooling = resolved.deployments
      .map((x) => ({ id: x.id, s: this.state.cooldownRemainingMs(x.id) / 1000 }))
      .filter((x) => x.s > 0);
    const wait = cooling.length ? Math.ceil(Math.min(...cooling.map((c) => c.s))) : this.settings.cooldownTimeS;
    throw new GatewayError(
      429,
      `No deployments available for selected model, Try again in ${wait} seconds. Passed model=${resolved.requested}. ` +
        `pre-call-checks=False, cooldown_list=${JSON.stringify(cooling.map((c) => c.id))}`,
      { kind: "RateLimitError", type: "None", headers: { "retry-after": String(wait) } },
    );
  }

  /** LiteLLM's pre-call region check: only deployments in the allowed region (`region_name`, or inferred: `region.ts`). */
  private inRegion(resolved: Resolved, region: string | undefined): Resolved {
    if (!region || !this.settings.preCallChecks) return resolved;
    const deployments = resolved.deployments.filter((d) => d.regions.includes(region));
    if (deployments.length) return { ...resolved, deployments };
    throw new GatewayError(
      429,
      `No deployments available for selected model, Try again in ${this.settings.cooldownTimeS} seconds. Passed model=${resolved.requested}. pre-call-checks=True, allowed_model_region=${region}`,
      { kind: "RateLimitError", type: "None" },
    );
  }

  private healthyCount(resolved: Resolved, tried: Set<string>): number {
    return healthyDeployments(resolved.deployments, this.state).filter((d) => !tried.has(d.id)).length;
  }

  private async withRetries<T>(
    group: Resolved,
    opts: CallOptions,
    attempt: (d: Deployment, info: AttemptInfo) => Promise<T>,
    counters: { retries: number; fallbacks: number },
  ): Promise<Routed<T>> {
    const resolved = this.inRegion(group, opts.allowedModelRegion);
    const tried = new Set<string>();
    let maxRetries: number | undefined;
    for (let n = 0; ; n++) {
      const d = this.pick(resolved, tried);
      this.state.requestStarted(d.id);
      if (this.state.shared && (d.rpm !== undefined || d.tpm !== undefined) && !(await this.state.admit(d.id, d.rpm, d.tpm))) {
        this.state.requestEnded(d.id);
        n--;
        continue;
      }
      tried.add(d.id);
      const started = performance.now();
      let released = false;
      const release = () => {
        if (!released) {
          released = true;
          this.state.requestEnded(d.id);
        }
      };
      try {
        const result = await attempt(d, { resolved, release });
        this.state.recordSuccess(d.id, performance.now() - started);
        const { retries, fallbacks } = counters;
        return { result, deployment: d, resolved, retries, fallbacks, maxRetries: opts.numRetries ?? d.maxRetries ?? this.settings.numRetries };
      } catch (e) {
        release();
        const err = asGatewayError(e);
        if (err.status === 499) throw err;
        await this.onFailure(d, resolved, err);
        maxRetries ??= opts.numRetries ?? policyValue(this.settings.retryPolicy, err.kind, "Retries") ?? d.maxRetries ?? this.settings.numRetries;
        if (n >= maxRetries || !this.shouldRetry(err, resolved, tried)) throw err;
        counters.retries++;
        if (this.healthyCount(resolved, tried) === 0) {
          await sleep(backoffSeconds(n, err.headers["retry-after"], this.settings.retryAfterS));
        }
      }
    }
  }

  private shouldRetry(err: GatewayError, resolved: Resolved, tried: Set<string>): boolean {
    const s = this.settings;
    if (err.kind === "ContextWindowExceededError" && s.contextWindowFallbacks.size) return false;
    if (err.kind === "ContentPolicyViolationError" && s.contentPolicyFallbacks.size) return false;
    if (err.kind === "NotFoundError") return false;
    if (err.kind === "AuthenticationError" && resolved.deployments.length === 1) return false;
    if (err.kind === "APIConnectionError") return true;
    if (!isRetryableStatus(err.status)) return false;
    const healthy = this.healthyCount(resolved, new Set()) > 0 || this.healthyCount(resolved, tried) > 0;
    if (err.kind === "RateLimitError" && !healthy && lookupFallbacks(s.fallbacks, resolved).length) return false;
    return healthy;
  }

  private async onFailure(d: Deployment, resolved: Resolved, err: GatewayError): Promise<void> {
    const s = this.settings;
    const { failures, requests } = this.state.recordFailure(d.id);
    if (s.disableCooldowns || !cooldownRequired(err)) return;
    const cooldownS = d.cooldownTimeS ?? s.cooldownTimeS;
    const single = resolved.deployments.length === 1;
    const allowed = policyValue(s.allowedFailsPolicy, err.kind, "AllowedFails") ?? s.allowedFails;
    if (allowed !== undefined) {
      const fails = await this.state.countFailWindow(d.id, cooldownS);
      if (fails > allowed) {
        this.state.cooldown(d.id, cooldownS);
        this.state.resetFailWindow(d.id);
      }
      return;
    }
    if (single) {
      // A group's only deployment is cooled down only when all of a busy minute's traffic fails.
      if (requests >= 1000 && failures >= requests) this.state.cooldown(d.id, cooldownS);
      return;
    }
    if (err.status === 429 || !isRetryableStatus(err.status)) return this.state.cooldown(d.id, cooldownS);
    if (requests >= 5 && failures / requests > 0.5) this.state.cooldown(d.id, cooldownS);
  }
}

export function asGatewayError(e: unknown): GatewayError {
  if (e instanceof GatewayError) return e;
  return new GatewayError(500, `litellm.InternalServerError: ${(e as Error)?.message ?? String(e)}`, {
    kind: "InternalServerError",
  });
}

/** Fallback list for a group: exact name, then the name without its provider prefix, then "*". */
export function lookupFallbacks(table: Map<string, string[]>, resolved: Resolved): string[] {
  const direct = table.get(resolved.group) ?? table.get(resolved.requested);
  if (direct) return direct;
  const slash = resolved.requested.indexOf("/");
  if (slash > 0) {
    const bare = table.get(resolved.requested.slice(slash + 1));
    if (bare) return bare;
  }
  return table.get("*") ?? [];
}
