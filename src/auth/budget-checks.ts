import { GatewayError } from "../errors.ts";
import type { BudgetLine } from "../limits/types.ts";
import type { EndUserRecord, KeyRecord } from "./key-record.ts";

/**
 * The status of a budget-exceeded answer. LiteLLM answered 400 from mid-2024 (PR #4139) through
 * the v1.8x releases this gateway targets (auth_exception_handler raises `code=400`); newer
 * `main` answers 429. See docs/database.md.
 */
export const BUDGET_EXCEEDED_STATUS = 400;

export function budgetExceeded(message: string): GatewayError {
  return new GatewayError(BUDGET_EXCEEDED_STATUS, message, { type: "budget_exceeded", kind: "BudgetExceededError" });
}

/**
 * A call refused because the budget is spent or held by calls in flight: LiteLLM's budget
 * reservation message (`budget_reservation.py`), where the current cost includes the reservations
 * and this call's estimate.
 */
export function reservationExceeded(entity: string, current: number, max: number): GatewayError {
  return budgetExceeded(`Budget has been exceeded! ${entity} Current cost: ${current}, Max budget: ${max}`);
}

const generic = (spend: number, max: number) => `Budget has been exceeded! Current cost: ${spend}, Max budget: ${max}`;

/** Team-member budget from user_api_key_auth (before expiry): member spend > budget when budget > 0. */
export function checkMemberBudgetEarly(rec: KeyRecord): void {
  const b = rec.member?.budget?.maxBudget;
  if (b !== undefined && b > 0 && rec.member!.spend.value > b) throw budgetExceeded(generic(rec.member!.spend.value, b));
}

/** Key budget: `spend >= max_budget`, LLM routes only. */
export function checkKeyBudget(rec: KeyRecord): void {
  if (rec.maxBudget !== undefined && rec.spend.value >= rec.maxBudget) throw budgetExceeded(generic(rec.spend.value, rec.maxBudget));
}

/** `common_checks` budgets, in LiteLLM's order: team, organization, personal user, team member. */
export function checkCommonBudgets(rec: KeyRecord): void {
  const team = rec.team;
  if (team && team.maxBudget !== undefined && team.spend.value > team.maxBudget) {
    throw budgetExceeded(`Budget has been exceeded! Team=${team.id} Current cost: ${team.spend.value}, Max budget: ${team.maxBudget}`);
  }
  const org = rec.org;
  const orgMax = org?.budget?.maxBudget;
  if (org && orgMax !== undefined && orgMax > 0 && org.spend.value >= orgMax) {
    throw budgetExceeded(`Budget has been exceeded! Organization=${org.id} Current cost: ${org.spend.value}, Max budget: ${orgMax}`);
  }
  const user = rec.user;
  if (!team && user && user.maxBudget !== undefined && user.spend.value > user.maxBudget) {
    throw budgetExceeded(`ExceededBudget: User=${user.id} over budget. Spend=${user.spend.value}, Budget=${user.maxBudget}`);
  }
  const mb = rec.member?.budget?.maxBudget;
  if (team && user && mb !== undefined && rec.member!.spend.value >= mb) {
    throw budgetExceeded(
      `Budget has been exceeded! User=${user.id} in Team=${team.id} Current cost: ${rec.member!.spend.value}, Max budget: ${mb}`,
    );
  }
}

export function checkEndUserBudget(e: EndUserRecord): void {
  const max = e.budget?.maxBudget;
  if (max !== undefined && e.spend.value > max) {
    throw budgetExceeded(`ExceededBudget: End User=${e.id} over budget. Spend=${e.spend.value}, Budget=${max}`);
  }
}

/** Soft budgets only alert (LiteLLM sends a Slack/email alert; this gateway logs once per crossing). */
export function softBudgetCrossed(rec: KeyRecord): boolean {
  return rec.softBudget !== undefined && rec.spend.value >= rec.softBudget;
}

/**
 * The budgets of a key's LLM calls, with the comparisons of the checks above, for the reservation
 * each call makes before it is forwarded (LiteLLM's `budget_reservation` counters: key, team,
 * organization, personal user, team member). Fixed for a cached record, so computed once per record.
 */
export function keyBudgetLines(rec: KeyRecord): BudgetLine[] {
  const out: BudgetLine[] = [];
  if (rec.maxBudget !== undefined) out.push({ id: `key:${rec.token}`, entity: `Key=${rec.token}`, max: rec.maxBudget, spend: rec.spend, atMax: true, shared: true });
  const team = rec.team;
  if (team?.maxBudget !== undefined) out.push({ id: `team:${team.id}`, entity: `Team=${team.id}`, max: team.maxBudget, spend: team.spend, atMax: false, shared: true });
  const org = rec.org;
  const orgMax = org?.budget?.maxBudget;
  if (org && orgMax !== undefined && orgMax > 0) out.push({ id: `org:${org.id}`, entity: `Organization=${org.id}`, max: orgMax, spend: org.spend, atMax: true, shared: true });
  const user = rec.user;
  if (!team && user?.maxBudget !== undefined) out.push({ id: `user:${user.id}`, entity: `User=${user.id}`, max: user.maxBudget, spend: user.spend, atMax: false, shared: true });
  const mb = rec.member?.budget?.maxBudget;
  if (team && user && mb !== undefined) {
    out.push({ id: `member:${team.id}:${user.id}`, entity: `TeamMember=${user.id}:${team.id}`, max: mb, spend: rec.member!.spend, atMax: true, shared: true });
  }
  return out;
}

export function endUserBudgetLine(e: EndUserRecord): BudgetLine | undefined {
  const max = e.budget?.maxBudget;
  return max === undefined ? undefined : { id: `end_user:${e.id}`, entity: `EndUser=${e.id}`, max, spend: e.spend, atMax: false, shared: true };
}
