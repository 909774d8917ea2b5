import type { Sql } from "postgres";
import { decryptValue, encryptValue } from "../../db/secrets.ts";
import { GatewayError } from "../../errors.ts";
import { secrets } from "../../redaction.ts";
import { litellmCredentials, type Credential, type SecretRows } from "./store.ts";

export const SECRET_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export interface SecretInfo {
  name: string;
  description: string | null;
  source: "vault" | "litellm_credentials" | "config";
  created_at: string | null;
  updated_at: string | null;
}

/** A credential's value for an agent: its `api_key`, or its only value. */
function credentialValue(values: Record<string, unknown>, key: string | undefined): string | undefined {
  const v = values.api_key ?? (Object.keys(values).length === 1 ? Object.values(values)[0] : undefined);
  if (typeof v !== "string") return undefined;
  return key ? (decryptValue(v, key) ?? v) : v;
}

/**
 * Secrets for agent runs: our own rows encrypted with AES-256-GCM under LiteLLM's key
 * (LITELLM_SALT_KEY, else the master key) in LiteLLM's `v3:gcm:` format, plus LiteLLM's stored
 * credentials and the config's `credential_list`, read-only. Read at every run start, so a
 * rotated value is used by the next run without a restart.
 */
export class Vault {
  constructor(
    private readonly rows: SecretRows,
    /** LiteLLM's signing key; without one (and without a database) an ephemeral key keeps memory rows encrypted. */
    private readonly key: string | undefined,
    private readonly sql: Sql | undefined,
    private readonly configCredentials: Map<string, Record<string, unknown>>,
  ) {}

  async init(): Promise<void> {
    await this.rows.init();
    await this.learn();
  }

  /**
   * Every value the vault can reveal (own rows, LiteLLM's stored credentials), masked from this
   * instance's error messages and logs; refreshed at start, on every change here and by `DurableAgents`' timer.
   */
  async learn(): Promise<void> {
    const values: string[] = [];
    if (this.key) for (const r of await this.rows.list()) values.push(decryptValue(r.ciphertext, this.key) ?? "");
    for (const c of await this.credentials()) {
      for (const v of Object.values(c.values)) if (typeof v === "string") values.push(this.key ? (decryptValue(v, this.key) ?? v) : v);
    }
    secrets.set("vault", values);
  }

  private get cipherKey(): string {
    if (!this.key) throw new GatewayError(400, "the vault needs LITELLM_SALT_KEY or a master key to encrypt secrets", { type: "invalid_request_error" });
    return this.key;
  }

  async put(name: string, value: string, description: string | null): Promise<SecretInfo> {
    if (!SECRET_NAME.test(name)) throw new GatewayError(400, "name must be an environment variable name (letters, digits, _; not starting with a digit)", { type: "invalid_request_error", param: "name" });
    if (!value) throw new GatewayError(400, "value is required", { type: "invalid_request_error", param: "value" });
    const row = await this.rows.upsert(name, encryptValue(value, this.cipherKey), description);
    await this.learn().catch(() => {});
    return { name: row.name, description: row.description, source: "vault", created_at: row.created_at, updated_at: row.updated_at };
  }

  async delete(name: string): Promise<boolean> {
    const gone = await this.rows.delete(name);
    await this.learn().catch(() => {});
    return gone;
  }

  private async credentials(name?: string): Promise<Array<Credential & { source: SecretInfo["source"] }>> {
    const fromDb = this.sql ? await litellmCredentials(this.sql, name) : [];
    const fromConfig = [...this.configCredentials].filter(([n]) => !name || n === name).map(([n, values]) => ({ name: n, values, created_at: null, updated_at: null }));
    return [...fromDb.map((c) => ({ ...c, source: "litellm_credentials" as const })), ...fromConfig.map((c) => ({ ...c, source: "config" as const }))];
  }

  /** Names and dates, never values. */
  async list(): Promise<SecretInfo[]> {
    const own: SecretInfo[] = (await this.rows.list()).map((r) => ({ name: r.name, description: r.description, source: "vault", created_at: r.created_at, updated_at: r.updated_at }));
    const creds = (await this.credentials()).map((c): SecretInfo => ({ name: c.name, description: null, source: c.source, created_at: c.created_at, updated_at: c.updated_at }));
    return [...own, ...creds];
  }

  async info(name: string): Promise<SecretInfo | undefined> {
    return (await this.list()).find((s) => s.name === name);
  }

  /** Plain values by name: vault rows first, then LiteLLM credentials. Missing names are absent from the map. */
  async reveal(names: string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (const name of names) {
      const row = await this.rows.get(name);
      if (row) {
        const plain = this.key ? decryptValue(row.ciphertext, this.key) : undefined;
        if (plain === undefined) throw new Error(`vault secret ${name} cannot be decrypted with the current LITELLM_SALT_KEY / master key`);
        out.set(name, plain);
        continue;
      }
      for (const c of await this.credentials(name)) {
        const v = credentialValue(c.values, this.key);
        if (v !== undefined) {
          out.set(name, v);
          break;
        }
      }
    }
    return out;
  }
}
