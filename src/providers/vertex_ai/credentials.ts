import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { GatewayError } from "../../errors.ts";

export interface ServiceAccount {
  type: "service_account";
  client_email: string;
  private_key: string;
  private_key_id?: string;
  project_id?: string;
  token_uri: string;
}

export interface AuthorizedUser {
  type: "authorized_user";
  client_id: string;
  client_secret: string;
  refresh_token: string;
  quota_project_id?: string;
  token_uri: string;
}

/** The instance's service account, via the GCE metadata server (Application Default Credentials' last step). */
export interface GceMetadata {
  type: "gce_metadata";
  host: string;
}

export type GoogleCredentials = ServiceAccount | AuthorizedUser | GceMetadata;

export const GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token";

const parsed = new Map<string, ServiceAccount | AuthorizedUser>();

const bad = (msg: string) => new GatewayError(401, `litellm.AuthenticationError: VertexAIException - ${msg}`, { kind: "AuthenticationError" });

function validate(j: Record<string, unknown>): ServiceAccount | AuthorizedUser {
  const token_uri = typeof j.token_uri === "string" && j.token_uri ? j.token_uri : GOOGLE_TOKEN_URI;
  if (j.type === "authorized_user" && typeof j.refresh_token === "string") {
    return { ...(j as unknown as AuthorizedUser), token_uri };
  }
  if (typeof j.client_email === "string" && typeof j.private_key === "string") {
    return { ...(j as unknown as ServiceAccount), type: "service_account", token_uri };
  }
  throw bad("vertex_credentials is neither a service account (client_email, private_key) nor an authorized_user (refresh_token)");
}

/**
 * `vertex_credentials` as LiteLLM takes it: a JSON object, a JSON string, or a path to a JSON
 * file (also what GOOGLE_APPLICATION_CREDENTIALS names). A file is read once, on first use.
 */
export function loadCredentials(value: unknown): ServiceAccount | AuthorizedUser {
  if (value && typeof value === "object") return validate(value as Record<string, unknown>);
  if (typeof value !== "string" || !value.trim()) throw bad("vertex_credentials is empty");
  const hit = parsed.get(value);
  if (hit) return hit;
  const text = value.trim().startsWith("{") ? value : readCredentialsFile(value);
  let j: Record<string, unknown>;
  try {
    j = JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw bad("vertex_credentials is not valid JSON");
  }
  const creds = validate(j);
  parsed.set(value, creds);
  return creds;
}

function readCredentialsFile(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (e) {
    throw bad(`cannot read vertex_credentials file ${path}: ${(e as Error).message}`);
  }
}

/** gcloud's Application Default Credentials file (`gcloud auth application-default login`), when present. */
export function gcloudCredentialsFile(configDir: string | undefined): string | undefined {
  const path = join(configDir ?? join(homedir(), ".config", "gcloud"), "application_default_credentials.json");
  return existsSync(path) ? path : undefined;
}
