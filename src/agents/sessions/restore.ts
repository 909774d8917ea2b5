import type { Artifacts } from "../artifacts/artifacts.ts";
import type { Collected } from "../artifacts/collect.ts";
import { TRANSCRIPT, WORKSPACE_TARBALL } from "../artifacts/types.ts";
import type { RunContext } from "../runner.ts";
import { WORKSPACE } from "../runner.ts";
import type { SessionStore } from "./store.ts";

const RESTORE_TAR = ".litellm-rust/restore/workspace.tar.gz";

/** Claude Code's project directory name for a cwd (`~/.claude/projects/<slug>/<session>.jsonl`). */
export const projectSlug = (cwd: string) => cwd.replace(/[^a-zA-Z0-9]/g, "-");

/** The cwd Claude recorded in a transcript (every entry carries it). */
export function transcriptCwd(text: string): string | undefined {
  for (const line of text.split("\n")) {
    if (!line.includes('"cwd"')) continue;
    try {
      const cwd = (JSON.parse(line) as { cwd?: unknown }).cwd;
      if (typeof cwd === "string" && cwd) return cwd;
    } catch {
      /* a torn line */
    }
  }
  return undefined;
}

/** Points a transcript recorded in one workspace path at another (a new sandbox's). */
export function moveTranscript(text: string, from: string | undefined, to: string): string {
  if (!from || from === to) return text;
  const esc = (s: string) => JSON.stringify(s).slice(1, -1);
  return text.split(esc(from)).join(esc(to));
}

async function sandboxOut(ctx: RunContext, command: string, what: string): Promise<string> {
  let out = "";
  let err = "";
  const r = await ctx.sandbox.run(command, { signal: ctx.signal, onStdout: (s) => (out += s), onStderr: (s) => (err += s) });
  if (r.exitCode !== 0) throw new Error(`${what} failed (exit ${r.exitCode}): ${err.trim().slice(-300)}`);
  return out.trim();
}

/**
 * A session's later turn starts where the last one ended, in a fresh sandbox: the saved workspace
 * replaces the new one and the transcript goes where Claude Code looks for it under the new cwd,
 * so `--resume` carries the whole conversation.
 */
export async function restoreSession(ctx: RunContext, sessions: SessionStore, artifacts: Artifacts): Promise<void> {
  const id = ctx.run.session_id;
  if (!id) return;
  const session = await sessions.get(id);
  if (!session) throw new Error(`session ${id} no longer exists`);
  if (!session.state_run_id) {
    ctx.resume = false;
    return;
  }
  const from = session.state_run_id;
  const transcript = await artifacts.get(from, TRANSCRIPT);
  if (!transcript) throw new Error(`the saved transcript of session ${id} (run ${from}) is gone; the conversation cannot be resumed`);
  const tarball = await artifacts.get(from, WORKSPACE_TARBALL);
  if (!tarball) throw new Error(`the saved workspace of session ${id} (run ${from}) is gone; the conversation cannot be resumed`);
  await ctx.sandbox.writeFiles([{ path: RESTORE_TAR, data: await artifacts.read(tarball) }]);
  await sandboxOut(ctx, `rm -rf ${WORKSPACE} && mkdir -p ${WORKSPACE} && tar -xzf "$HOME/${RESTORE_TAR}" -C ${WORKSPACE} && rm -f "$HOME/${RESTORE_TAR}"`, "restoring the workspace");
  const cwd = await sandboxOut(ctx, `cd ${WORKSPACE} && pwd -P`, "finding the workspace path");
  const text = new TextDecoder().decode(await artifacts.read(transcript));
  const moved = moveTranscript(text, transcriptCwd(text), cwd);
  await ctx.sandbox.writeFiles([{ path: `.claude/projects/${projectSlug(cwd)}/${ctx.run.claude_session_id}.jsonl`, data: moved }]);
  ctx.resume = true;
  await ctx.emit("session.restored", { session_id: id, from_run_id: from, transcript_bytes: transcript.size, workspace_bytes: tarball.size });
}

function missingState(collected: Collected | Error, hasTranscript: boolean, hasTarball: boolean): string {
  if (collected instanceof Error) return `copying it out of the sandbox failed: ${collected.message}`;
  const why = (name: string, otherwise: string) => collected.skipped.find((s) => s.path === name)?.reason ?? otherwise;
  const parts: string[] = [];
  if (!hasTranscript) parts.push(`the transcript: ${why(TRANSCRIPT, "Claude Code's transcript was not found in the sandbox")}`);
  if (!hasTarball) parts.push(`the workspace: ${why(WORKSPACE_TARBALL, "the workspace could not be archived")}`);
  return parts.join("; ");
}

/**
 * After a turn in which Claude ran: its transcript and workspace become the session's state for the
 * next turn. When either could not be saved the turn says so (`session.save_failed`, the run's
 * `session_state_error`) and the session refuses its next turn until the caller starts over, so a
 * conversation never continues from a state that silently lost a turn. A cancelled or timed-out
 * turn is the exception: its state is not expected, and the session continues from the one before.
 * Never throws: the run's outcome is Claude's.
 */
export async function saveSessionState(ctx: RunContext, sessions: SessionStore, artifacts: Artifacts, collected: Collected | Error): Promise<void> {
  const id = ctx.run.session_id;
  if (!id || !ctx.claudeRan) return;
  const runId = ctx.run.run_id;
  let reason: string;
  try {
    const [transcript, tarball] = await Promise.all([artifacts.get(runId, TRANSCRIPT), artifacts.get(runId, WORKSPACE_TARBALL)]);
    if (transcript && tarball && !ctx.signal.aborted) {
      await sessions.setState(id, runId);
      await ctx.emit("session.saved", { session_id: id, transcript_bytes: transcript.size, workspace_bytes: tarball.size });
      return;
    }
    reason = missingState(collected, !!transcript, !!tarball) || "the turn ended before its state was saved";
  } catch (e) {
    reason = `recording it failed: ${(e as Error).message}`;
  }
  const turn = typeof ctx.run.metadata.session_turn === "number" ? `turn ${ctx.run.metadata.session_turn} ` : "";
  const aborted = ctx.signal.aborted;
  const error = aborted
    ? `${turn}(run ${runId}) ended (${String(ctx.signal.reason ?? "cancelled")}) before the session's state was saved; the session continues from its previous state`
    : `${turn}(run ${runId}) could not save the session's state: ${reason}`;
  ctx.outcome.session_state_error = error;
  if (!aborted) await sessions.setStateError(id, error).catch(() => {});
  await ctx.emit("session.save_failed", { session_id: id, error, session_continues: aborted }).catch(() => {});
}
