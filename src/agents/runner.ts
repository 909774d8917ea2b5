import type { Logger } from "../log.ts";
import type { RunBus } from "./bus.ts";
import type { AgentDef } from "./definitions.ts";
import { claudeCommand, claudeEnv, ensureClaudeScript, shq } from "./harness/claude-code.ts";
import { readResult, StreamJsonParser, type ClaudeResult } from "./harness/stream-json.ts";
import type { RunKey, RunKeyIssuer } from "./run-keys.ts";
import type { CommandHandle, Sandbox, SandboxProvider, SandboxRunResult } from "./sandbox/types.ts";
import type { RunStore } from "./store/types.ts";
import type { Run, RunEventType, RunState } from "./types.ts";

export const WORKSPACE = "workspace";
const KEY_GRACE_MS = 5 * 60_000;
const SANDBOX_GRACE_MS = 2 * 60_000;

/** Per-run extension points (sessions, memory, artifacts, vault) around the Claude Code command. */
export interface RunHooks {
  /** Before Claude starts: restore files, write memory, add env (secrets). */
  prepare?(ctx: RunContext): Promise<void>;
  /** After Claude ends and before the sandbox is killed: copy out transcript, memory, artifacts. */
  collect?(ctx: RunContext): Promise<void>;
  /** A run adopted after a gateway restart, before its output is followed: e.g. what to redact again. */
  reattach?(ctx: RunContext): Promise<void>;
}

export interface RunContext {
  run: Run;
  agent: AgentDef;
  sandbox: Sandbox;
  /** Extra environment for the Claude command (vault secrets); never logged. */
  env: Record<string, string>;
  /** Values that must never appear in events (redacted if a command echoes them). */
  redact: string[];
  emit(type: RunEventType, data: Record<string, unknown>): Promise<void>;
  /** `--resume` instead of `--session-id` (a session's later turns); a prepare hook may change it. */
  resume: boolean;
  /** The run's cancel / timeout signal, for the hooks' own sandbox commands. */
  signal: AbortSignal;
  /** Claude Code was started in this sandbox (so the conversation may have moved on). */
  claudeRan: boolean;
  /** Fields a collect hook adds to the run's final record. */
  outcome: Partial<Run>;
}

export interface RunnerDeps {
  store: RunStore;
  bus: RunBus;
  sandbox(name: string): SandboxProvider | undefined;
  keys: RunKeyIssuer;
  /** URL a sandbox reaches this gateway on. */
  gatewayUrl: () => string;
  /** Command that runs Claude Code inside the sandbox. */
  claudePath: string;
  /** Sandbox-level environment from general_settings.<provider>_sandbox_params.envs. */
  sandboxEnvs(name: string): Record<string, string>;
  /** Master and provider keys: refusing to start a run whose environment would carry one. */
  forbiddenSecrets(): string[];
  /** The gateway's own metered spend for a run so far. */
  gatewaySpend(runId: string): number;
  hooks: RunHooks[];
  log: Logger;
}

function redactAll(text: string, secrets: string[]): string {
  let out = text;
  for (const s of secrets) if (s.length >= 4) out = out.split(s).join("[redacted]");
  return out;
}

function redactValue<T>(v: T, secrets: string[]): T {
  if (!secrets.length) return v;
  return JSON.parse(redactAll(JSON.stringify(v), secrets)) as T;
}

function failureReason(exitCode: number, result: ClaudeResult | undefined, stderr: string): string {
  if (result?.isError) {
    const status = result.apiErrorStatus ? ` (API status ${result.apiErrorStatus})` : "";
    return `Claude Code reported an error: ${result.subtype ?? "error"}${status}: ${(result.result ?? "").slice(0, 500)}`;
  }
  const tail = stderr.trim().split("\n").slice(-5).join("\n");
  if (exitCode !== 0) return `Claude Code exited with code ${exitCode}${tail ? `: ${tail}` : ""}`;
  return `Claude Code ended without a result event${tail ? `: ${tail}` : ""}`;
}

interface Following {
  run: Run;
  agent: AgentDef;
  sandbox: Sandbox;
  ctx: RunContext;
  emit(type: RunEventType, data: Record<string, unknown>): Promise<void>;
  set(patch: Partial<Run>): Promise<Run | undefined>;
  secrets(): string[];
  chain(): Promise<void>;
  /** Output may have been missed (reattached after a restart): a clean exit without a result counts. */
  partial?: boolean;
  /** Ends the run's key: called once Claude has exited, before the run is recorded as ended. */
  endKey(): Promise<void>;
}

/** Streams Claude's stream-json into events until it exits, then records the outcome. */
async function followClaude(
  deps: RunnerDeps,
  f: Following,
  exec: (o: { onStdout(c: string): void; onStderr(c: string): void }) => Promise<SandboxRunResult>,
): Promise<Run> {
  const parser = new StreamJsonParser();
  let result: ClaudeResult | undefined;
  let stderr = "";
  const onEvents = (events: Array<Record<string, unknown>>) => {
    for (const ev of events) {
      result = readResult(ev) ?? result;
      void f.emit("output.delta", ev);
    }
  };
  const { exitCode } = await exec({
    onStdout: (chunk) => onEvents(parser.push(chunk)),
    onStderr: (chunk) => {
      stderr = (stderr + chunk).slice(-8000);
    },
  });
  onEvents(parser.end());
  await f.chain();
  await f.endKey().catch(() => {});
  const final = result as ClaudeResult | undefined;
  const ok = exitCode === 0 && (final ? !final.isError : !!f.partial);
  const status: RunState = ok ? "succeeded" : "failed";
  const error = ok ? null : redactAll(failureReason(exitCode, final, stderr), f.secrets());
  for (const h of deps.hooks) await h.collect?.(f.ctx);
  // Gone before the run is recorded as ended, so whoever sees the end also sees no sandbox; the
  // caller's `finally` kills again (a no-op once killed) and reports a failure there.
  await f.sandbox.kill().catch(() => {});
  const id = f.run.run_id;
  const done = await f.set({
    status,
    exit_code: exitCode,
    error,
    ended_at: new Date().toISOString(),
    claude_session_id: final?.sessionId ?? f.run.claude_session_id,
    total_cost_usd: final?.totalCostUsd ?? null,
    usage: final?.usage ?? null,
    num_turns: final?.numTurns ?? null,
    result: final?.result ? redactAll(final.result, f.secrets()) : null,
    gateway_spend: f.run.gateway_spend + deps.gatewaySpend(id),
    ...f.ctx.outcome,
  });
  const stateError = f.ctx.outcome.session_state_error;
  await f.emit(ok ? "run.completed" : "run.failed", { status, exit_code: exitCode, error, total_cost_usd: final?.totalCostUsd ?? null, gateway_spend: done?.gateway_spend ?? 0, ...(stateError ? { session_state_error: stateError } : {}) });
  return done!;
}

/** A run that ended by timeout, cancel, shutdown or an error: the state and the reason, then the event. */
async function recordFailure(
  deps: RunnerDeps,
  f: Pick<Following, "run" | "agent" | "emit" | "set" | "secrets" | "chain" | "endKey"> & { ctx?: RunContext },
  signal: AbortSignal,
  e: unknown,
): Promise<Run> {
  const reason = signal.aborted ? String(signal.reason ?? "cancelled") : "";
  const status: RunState = reason === "timed_out" ? "timed_out" : reason === "cancelled" || reason === "shutdown" ? "cancelled" : "failed";
  const message =
    status === "timed_out"
      ? `run timed out after ${Math.round(f.agent.timeoutMs / 1000)}s`
      : status === "cancelled"
        ? reason === "shutdown" ? "cancelled: the gateway shut down during the run" : "cancelled"
        : redactAll((e as Error).message ?? String(e), f.secrets());
  if (f.ctx) {
    for (const h of deps.hooks) await h.collect?.(f.ctx).catch((err) => deps.log.warn("run collect hook failed", { run_id: f.run.run_id, error: (err as Error).message }));
    await f.ctx.sandbox.kill().catch(() => {});
  }
  await f.chain().catch(() => {});
  await f.endKey().catch(() => {});
  const done = await f.set({ status, error: message, ended_at: new Date().toISOString(), gateway_spend: f.run.gateway_spend + deps.gatewaySpend(f.run.run_id), ...f.ctx?.outcome });
  const stateError = f.ctx?.outcome.session_state_error;
  await f.emit("run.failed", { status, error: message, ...(stateError ? { session_state_error: stateError } : {}) });
  return done!;
}

function eventWriter(deps: RunnerDeps, runId: string, secrets: () => string[]) {
  let chain = Promise.resolve();
  return {
    emit(type: RunEventType, data: Record<string, unknown>): Promise<void> {
      chain = chain.then(async () => deps.bus.publish(await deps.store.appendEvent(runId, type, redactValue(data, secrets()))));
      return chain;
    },
    chain: () => chain,
  };
}

/**
 * Follows a run whose gateway stopped while Claude was running: reconnects to its sandbox and
 * command by the saved handle. Undefined when the sandbox or command cannot be reached.
 */
export async function reattachRun(deps: RunnerDeps, run: Run, agent: AgentDef, signal: AbortSignal): Promise<Run | undefined> {
  const provider = run.sandbox_provider ? deps.sandbox(run.sandbox_provider) : undefined;
  const handle = run.metadata.command as CommandHandle | undefined;
  if (!provider || !run.sandbox_id || !handle) return undefined;
  const sandbox = await provider.connect(run.sandbox_id).catch(() => undefined);
  if (!sandbox) return undefined;
  const secrets: string[] = [];
  const w = eventWriter(deps, run.run_id, () => secrets);
  const set = (patch: Partial<Run>) => deps.store.update(run.run_id, patch);
  const ctx: RunContext = { run, agent, sandbox, env: {}, redact: secrets, emit: w.emit, resume: false, signal, claudeRan: true, outcome: {} };
  const hash = run.metadata.run_key_hash;
  const endKey = async () => {
    if (typeof hash === "string") await deps.keys.revokeHash(hash);
  };
  const f: Following = { run, agent, sandbox, ctx, emit: w.emit, set, secrets: () => secrets, chain: w.chain, partial: provider.attachOutput !== "complete", endKey };
  try {
    for (const h of deps.hooks) await h.reattach?.(ctx);
    await w.emit("run.reattached", { sandbox_id: sandbox.id, output: provider.attachOutput });
    return await followClaude(deps, f, (o) => sandbox.attach(handle, { ...o, signal }));
  } catch (e) {
    return await recordFailure(deps, f, signal, e);
  } finally {
    await sandbox.kill().catch(() => {});
    await endKey().catch(() => {});
  }
}

/** Runs one agent run from provisioning to a terminal state. Never leaves a sandbox behind. */
export async function executeRun(deps: RunnerDeps, run: Run, agent: AgentDef, signal: AbortSignal, resume = false): Promise<Run> {
  const { store, log } = deps;
  const id = run.run_id;
  let secrets: string[] = [];
  const { emit, chain } = eventWriter(deps, id, () => secrets);
  const set = (patch: Partial<Run>) => store.update(id, patch);
  let sandbox: Sandbox | undefined;
  let key: RunKey | undefined;
  const endKey = async () => {
    await key?.revoke();
  };
  let ctx: RunContext | undefined;
  try {
    await set({ status: "provisioning", started_at: new Date().toISOString(), heartbeat_at: new Date().toISOString() });
    await emit("run.started", { agent_id: agent.id, trigger: run.trigger, model: agent.model, sandbox: agent.sandbox });
    const provider = deps.sandbox(agent.sandbox);
    if (!provider) throw new Error(`sandbox provider "${agent.sandbox}" is not configured (general_settings.${agent.sandbox}_sandbox_params)`);
    key = await deps.keys.issue(run, agent, agent.timeoutMs + KEY_GRACE_MS);
    const forbidden = deps.forbiddenSecrets();
    const sandboxEnvs = deps.sandboxEnvs(agent.sandbox);
    sandbox = await provider.create({
      envs: sandboxEnvs,
      timeoutMs: agent.timeoutMs + SANDBOX_GRACE_MS,
      metadata: { run_id: id, agent_id: agent.id, gateway: "litellm-rust" },
      signal,
    });
    await set({ sandbox_id: sandbox.id, sandbox_provider: sandbox.provider });
    await emit("sandbox.created", { sandbox_id: sandbox.id, provider: sandbox.provider });

    ctx = { run, agent, sandbox, env: {}, redact: [], emit, resume, signal, claudeRan: false, outcome: {} };
    const mkdirs = await sandbox.run(`mkdir -p ${WORKSPACE}`, { signal });
    if (mkdirs.exitCode !== 0) throw new Error("could not create the workspace in the sandbox");
    if (agent.repo) {
      const ref = agent.repo.ref ? ` --branch ${shq(agent.repo.ref)}` : "";
      const clone = await sandbox.run(`git clone --depth 1${ref} ${shq(agent.repo.url)} ${WORKSPACE}/repo`, { signal });
      if (clone.exitCode !== 0) throw new Error(`git clone of ${agent.repo.url} failed (exit ${clone.exitCode})`);
    }
    if (agent.files.length) await sandbox.writeFiles(agent.files.map((f) => ({ path: `${WORKSPACE}/${f.path}`, data: f.content })));
    for (const h of deps.hooks) await h.prepare?.(ctx);
    secrets = ctx.redact;
    const resumeTurn = ctx.resume;

    let claudePath = "";
    const found = await sandbox.run(ensureClaudeScript(deps.claudePath), { signal, onStdout: (s) => (claudePath += s) });
    claudePath = claudePath.trim().split("\n").pop() ?? "";
    if (found.exitCode !== 0 || !claudePath) throw new Error(`Claude Code is not available in the sandbox and could not be installed (exit ${found.exitCode})`);

    const env = { ...agent.envs, ...ctx.env, ...claudeEnv({ gatewayUrl: deps.gatewayUrl(), runKey: key.key, model: agent.model, runId: id }) };
    const leaked = Object.entries({ ...env, ...sandboxEnvs }).filter(([, v]) => forbidden.some((f) => f.length >= 8 && v.includes(f)));
    if (leaked.length) throw new Error(`refusing to start: ${leaked.map(([k]) => k).join(", ")} would carry the gateway's master or provider key into the sandbox`);

    await set({ status: "running", claude_session_id: run.claude_session_id, metadata: { ...run.metadata, run_key_hash: key.hash } });
    ctx.claudeRan = true;
    return await followClaude(deps, { run, agent, sandbox, ctx, emit, set, secrets: () => secrets, chain, endKey }, (o) =>
      sandbox!.run(
        claudeCommand({
          claude: claudePath,
          prompt: run.prompt,
          sessionId: run.claude_session_id!,
          resume: resumeTurn,
          model: agent.model,
          system: agent.system,
          maxTurns: agent.maxTurns,
          maxBudgetUsd: agent.maxBudget,
        }),
        {
          ...o,
          envs: env,
          cwd: WORKSPACE,
          signal,
          onStart: (handle) => void set({ metadata: { ...run.metadata, run_key_hash: key!.hash, command: handle } }),
        },
      ),
    );
  } catch (e) {
    return await recordFailure(deps, { run, agent, emit, set, secrets: () => secrets, chain, endKey, ctx: sandbox ? ctx : undefined }, signal, e);
  } finally {
    await sandbox?.kill().catch((e) => log.warn("sandbox kill failed", { run_id: id, sandbox_id: sandbox?.id, error: (e as Error).message }));
    await key?.revoke().catch(() => {});
  }
}
