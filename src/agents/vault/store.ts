import type { Sql } from "postgres";
import { createTables } from "../../db/own-tables.ts";

/** A vault row: the value only as ciphertext (LiteLLM's `v3:gcm:` AES-256-GCM format). */
export interface SecretRow {
  name: string;
  ciphertext: string;
  description: string | null;
  created_at: string;
  updated_at: string;
}

export interface SecretRows {
  readonly durable: boolean;
  init(): Promise<void>;
  upsert(name: string, ciphertext: string, description: string | null): Promise<SecretRow>;
  get(name: string): Promise<SecretRow | undefined>;
  list(): Promise<SecretRow[]>;
  delete(name: string): Promise<boolean>;
}

export class MemorySecretRows implements SecretRows {
  readonly durable = false;
  private readonly rows = new Map<string, SecretRow>();

  async init(): Promise<void> {}

  async upsert(name: string, ciphertext: string, description: string | null): Promise<SecretRow> {
    const now = new Date().toISOString();
    const prev = this.rows.get(name);
    const row = { name, ciphertext, description: description ?? prev?.description ?? null, created_at: prev?.created_at ?? now, updated_at: now };
    this.rows.set(name, row);
    return { ...row };
  }

  async get(name: string): Promise<SecretRow | undefined> {
    const r = this.rows.get(name);
    return r && { ...r };
  }

  async list(): Promise<SecretRow[]> {
    return [...this.rows.values()].sort((a, b) => a.name.localeCompare(b.name)).map((r) => ({ ...r }));
  }

  async delete(name: string): Promise<boolean> {
    return this.rows.delete(name);
  }
}

const iso = (v: unknown) => (v instanceof Date ? v.toISOString() : String(v));
const toRow = (r: Record<string, unknown>): SecretRow => ({
  name: String(r.name),
  ciphertext: String(r.value),
  description: (r.description as string | null) ?? null,
  created_at: iso(r.created_at),
  updated_at: iso(r.updated_at),
});

export class PostgresSecretRows implements SecretRows {
  readonly durable = true;

  constructor(private readonly sql: Sql) {}

  async init(): Promise<void> {
    await createTables(this.sql, [`CREATE TABLE IF NOT EXISTS litellm_rust_vault_secrets (
      name text PRIMARY KEY,
      value text NOT NULL,
      description text,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    )`]);
  }

  async upsert(name: string, ciphertext: string, description: string | null): Promise<SecretRow> {
    const [row] = await this.sql`
      INSERT INTO litellm_rust_vault_secrets (name, value, description) VALUES (${name}, ${ciphertext}, ${description})
      ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value,
        description = COALESCE(EXCLUDED.description, litellm_rust_vault_secrets.description), updated_at = now()
      RETURNING *`;
    return toRow(row!);
  }

  async get(name: string): Promise<SecretRow | undefined> {
    const [row] = await this.sql`SELECT * FROM litellm_rust_vault_secrets WHERE name = ${name}`;
    return row ? toRow(row) : undefined;
  }

  async list(): Promise<SecretRow[]> {
    return (await this.sql`SELECT * FROM litellm_rust_vault_secrets ORDER BY name`).map(toRow);
  }

  async delete(name: string): Promise<boolean> {
    return (await this.sql`DELETE FROM litellm_rust_vault_secrets WHERE name = ${name} RETURNING name`).length === 1;
  }
}

export interface Credential {
  name: string;
  values: Record<string, unknown>;
  created_at: string | null;
  updated_at: string | null;
}

const UNDEFINED_TABLE = "42P01";

/** LiteLLM's own stored credentials (`LiteLLM_CredentialsTable`, values encrypted by LiteLLM). */
export async function litellmCredentials(sql: Sql, name?: string): Promise<Credential[]> {
  try {
    const rows = await sql`
      SELECT credential_name, credential_values, created_at, updated_at FROM "LiteLLM_CredentialsTable"
      WHERE (${name ?? null}::text IS NULL OR credential_name = ${name ?? null}) ORDER BY credential_name`;
    return rows.map((r) => ({
      name: String(r.credential_name),
      values: (r.credential_values ?? {}) as Record<string, unknown>,
      created_at: r.created_at ? iso(r.created_at) : null,
      updated_at: r.updated_at ? iso(r.updated_at) : null,
    }));
  } catch (e) {
    if ((e as { code?: string }).code === UNDEFINED_TABLE) return [];
    throw e;
  }
}
