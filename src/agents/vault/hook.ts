import type { RunContext } from "../runner.ts";
import type { Vault } from "./vault.ts";

/** `secrets:` entries: `NAME` (env NAME from secret NAME) or `ENV=source` (env ENV from secret or credential `source`). */
export function secretBindings(entries: string[]): Array<{ env: string; source: string }> {
  return entries.map((e) => {
    const i = e.indexOf("=");
    return i > 0 ? { env: e.slice(0, i).trim(), source: e.slice(i + 1).trim() } : { env: e.trim(), source: e.trim() };
  });
}

async function resolve(ctx: RunContext, vault: Vault): Promise<Array<{ env: string; value: string }>> {
  const bindings = secretBindings(ctx.agent.secrets);
  if (!bindings.length) return [];
  const values = await vault.reveal([...new Set(bindings.map((b) => b.source))]);
  const missing = bindings.filter((b) => !values.has(b.source)).map((b) => b.source);
  if (missing.length) throw new Error(`vault secrets not found: ${missing.join(", ")} (add them with POST /api/vault/secrets)`);
  return bindings.map((b) => ({ env: b.env, value: values.get(b.source)! }));
}

/** Before Claude starts: the agent's secrets into the command's environment, and onto the redaction list. */
export async function injectSecrets(ctx: RunContext, vault: Vault): Promise<void> {
  for (const { env, value } of await resolve(ctx, vault)) {
    ctx.env[env] = value;
    ctx.redact.push(value);
  }
}

/** A run adopted after a restart: the current values go back on the redaction list (the env is already in the sandbox). */
export async function redactSecrets(ctx: RunContext, vault: Vault): Promise<void> {
  for (const { value } of await resolve(ctx, vault)) ctx.redact.push(value);
}
