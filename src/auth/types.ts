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
}

export const OPEN_AUTH: AuthContext = { kind: "open", role: "internal_user" };
