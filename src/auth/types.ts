import type { AdmissionPlan, Hold, LimitStatus } from "../limits/types.ts";

export type UserRole =
  | "proxy_admin"
  | "proxy_admin_viewer"
  | "org_admin"
  | "internal_user"
  | "internal_user_viewer"
  | "team"
  | "customer";

/** Who is calling, as LiteLLM's `UserAPIKeyAuth` describes it. */
export interface AuthContext {
  kind: "open" | "master" | "virtual_key";
  /** sha256 hex of the presented key (the `token` column for virtual keys). */
  apiKeyHash?: string;
  keyAlias?: string;
  keyName?: string;
  userId?: string;
  teamId?: string;
  teamAlias?: string;
  orgId?: string;
  role: UserRole;
  /** Set for virtual keys: the cached row the checks ran against. */
  key?: unknown;
  /** Extra routes or limits stamped on a scoped key (agent runs). */
  metadata?: Record<string, unknown>;
  /** End-user id of the request (body `user`), for spend attribution. */
  endUserId?: string;
  /** The end user's `allowed_model_region`: routing keeps to deployments of that `region_name`. */
  allowedModelRegion?: string;
  /** Virtual keys: the key's spend and limits, for `x-litellm-key-*` response headers. */
  keyLimits?: KeyLimits;
  /** LLM calls of virtual keys: the budgets and rate limits the call is admitted against, and once admitted its reservation. */
  admission?: { plan: AdmissionPlan; hold?: Hold; status?: LimitStatus };
}

/** A virtual key's spend, and its limits as the `x-litellm-key-max-budget` / `-tpm-limit` / `-rpm-limit` headers give them. */
export interface KeyLimits {
  spend: { readonly value: number };
  maxBudget?: string;
  tpmLimit?: string;
  rpmLimit?: string;
}

export const OPEN_AUTH: AuthContext = { kind: "open", role: "internal_user" };
