import { reservationExceeded } from "../auth/budget-checks.ts";
import type { CallRecord, LLMRequest } from "../gateway/types.ts";
import { LEASE_MS, type Admission, type Hold, type LimitStatus } from "../limits/types.ts";
import { upstreamModelFor, type Resolved } from "../router/model-groups.ts";
import { unitPrices } from "./cost.ts";
import { tpmTokensOf, type CostEstimator, type TpmTokens } from "./estimate.ts";
import type { TagBudgets } from "./tag-budgets.ts";

/** The body's length (its input grows with it) and the client's output cap, without parsing the body. */
const bodyChars = (req: LLMRequest) => req.rawBody.size;

function maxTokensOf(req: LLMRequest): number | undefined {
  const v = req.body.max_tokens ?? req.body.max_completion_tokens ?? req.body.max_output_tokens;
  return typeof v === "number" ? v : undefined;
}

/** The dearest per-token prices among a group's deployments, for its first calls. */
function coldPrices(r: Resolved): { input: number; output: number } {
  let input = 0;
  let output = 0;
  for (const d of r.deployments) {
    const p = unitPrices(d, upstreamModelFor(d, r));
    input = Math.max(input, p.input);
    output = Math.max(output, p.output);
  }
  return { input, output };
}

/**
 * Budget and rate-limit reservations of LLM calls: before a call is forwarded its estimated cost
 * and TPM tokens are reserved against every budget and limit its key plan names; when it ends
 * (success, failure, abort, cut stream) the reservation is released and the real cost counted.
 * Calls running longer than a lease have it renewed; a lease that runs out (the instance died)
 * frees its reservation.
 */
export class Reservations {
  private seq = 0;
  private readonly prefix = crypto.randomUUID().slice(0, 8);
  private readonly live = new Set<Hold>();
  private readonly timer: ReturnType<typeof setInterval>;

  constructor(
    private readonly backend: Admission,
    private readonly estimator: CostEstimator,
    private readonly tpm: TpmTokens,
    private readonly tags?: TagBudgets,
  ) {
    this.timer = setInterval(() => this.renew(), LEASE_MS / 4);
    this.timer.unref?.();
  }

  /**
   * Throws 429 or LiteLLM's budget-exceeded error; the call holds its reservation until `settle`.
   * A promise only when the answer has to wait (Redis asked), so calls on grants take no await.
   */
  admit(req: LLMRequest, resolved: Resolved): Promise<void> | undefined {
    const a = req.auth.admission;
    if (!a || a.hold) return;
    let plan = a.plan;
    if (plan.tagged && this.tags?.any) {
      const tagged = this.tags.of(req);
      // LiteLLM's `_tag_max_budget_check`, on the spend alone.
      for (const b of tagged) if (b.spend.value > b.max) throw reservationExceeded(b.entity, b.spend.value, b.max);
      if (tagged.length) plan = { ...plan, budgets: [...plan.budgets, ...tagged] };
    }
    if (!plan.budgets.length && !plan.limits.length) return;
    const est = this.estimator.estimate(resolved.group, bodyChars(req), () => coldPrices(resolved), maxTokensOf(req));
    // A call expected to cost nothing holds nothing (its budgets were checked on their spend).
    if (est.cost <= 0 && plan.limits.length === 0) return;
    const hold: Hold = { id: `${this.prefix}:${(this.seq++).toString(36)}`, plan, est, window: 0, redis: false, renewedAt: Date.now(), settled: false };
    const status = this.backend.admit(hold);
    if (status instanceof Promise) return status.then((s) => this.held(a, hold, s));
    this.held(a, hold, status);
  }

  private held(a: NonNullable<LLMRequest["auth"]["admission"]>, hold: Hold, status: LimitStatus): void {
    a.status = status;
    a.hold = hold;
    this.live.add(hold);
  }

  /** A call ended: its reservation is released and `cost` (what its spend row says) counted. */
  settle(rec: CallRecord, cost: number): void {
    const u = rec.usage;
    const ok = rec.status === "success";
    if (ok && u && rec.modelGroup && rec.deployment) {
      const out = unitPrices(rec.deployment, rec.upstreamModel ?? rec.deployment.upstreamModel, u.promptTokens).output;
      this.estimator.observe(rec.modelGroup, bodyChars(rec.req), u, rec.cost, out);
    }
    const hold = rec.req.auth.admission?.hold;
    if (!hold || hold.settled) return;
    hold.settled = true;
    this.live.delete(hold);
    hold.released = this.backend.settle(hold, cost, ok ? tpmTokensOf(u, this.tpm) : 0) ?? undefined;
  }

  /**
   * Waits until a failed call's release is seen by every instance, so that the client's next call,
   * sent as soon as it reads the error, is not refused for a reservation already let go.
   */
  async released(req: LLMRequest): Promise<void> {
    const hold = req.auth.admission?.hold;
    if (!hold?.released) return;
    this.backend.flush?.();
    await hold.released;
  }

  /** The database spend of a key, user, team, … changed outside the spend writer. */
  forget(entity: string, spend?: number): void {
    this.backend.forget(entity, spend);
  }

  private renew(): void {
    const now = Date.now();
    const due = [...this.live].filter((h) => now - h.renewedAt >= LEASE_MS / 4);
    if (!due.length) return;
    for (const h of due) h.renewedAt = now;
    this.backend.renew(due);
  }

  /** Stops renewing leases; what waits to be recorded is sent now. */
  stop(): void {
    clearInterval(this.timer);
    this.tags?.stop();
    this.backend.flush?.();
  }
}
