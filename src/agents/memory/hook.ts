import { SandboxError } from "../sandbox/errors.ts";
import { maskText } from "../mask.ts";
import type { RunContext } from "../runner.ts";
import { WORKSPACE } from "../runner.ts";
import type { AgentMemory } from "./memory.ts";

const START = "<!-- litellm-rust:memory -->";
const END = "<!-- /litellm-rust:memory -->";
const CLAUDE_MD = `${WORKSPACE}/CLAUDE.md`;

/** Removes a memory section an earlier turn left in a restored CLAUDE.md. */
export function stripMemorySection(text: string): string {
  const a = text.indexOf(START);
  const b = text.indexOf(END);
  if (a < 0 || b < a) return text;
  return (text.slice(0, a).trimEnd() + "\n" + text.slice(b + END.length).trimStart()).trim();
}

export function memorySection(agentNotes: string, sessionNotes: string, memoryFile: string | undefined): string {
  const parts = [START, "# Memory from earlier runs", ""];
  parts.push(agentNotes.trim() || "(no notes yet)", "");
  if (sessionNotes.trim()) parts.push("## Notes for this session", "", sessionNotes.trim(), "");
  if (memoryFile) {
    parts.push(`These notes are also in \`${memoryFile}\` in this directory. To remember something for later runs, edit that file: its content after this run becomes the memory.`, "");
  }
  parts.push(END);
  return parts.join("\n");
}

async function readText(ctx: RunContext, path: string): Promise<string | undefined> {
  try {
    return new TextDecoder().decode(await ctx.sandbox.readFile(path));
  } catch (e) {
    if (e instanceof SandboxError && e.code === "file_not_found") return undefined;
    throw e;
  }
}

/** Per run: the memory file's content as written into the sandbox, to see whether the agent changed it. */
const seeded = new WeakMap<RunContext, string>();

/** Before Claude starts: the memory as a section of the workspace's CLAUDE.md (and in the agent's memory file). */
export async function loadMemory(ctx: RunContext, memory: AgentMemory): Promise<void> {
  const { agent, run } = ctx;
  const own = await memory.current(agent.id);
  const session = run.session_id ? await memory.current(agent.id, run.session_id) : undefined;
  if (!own && !session && !agent.memoryFile) return;
  const existing = stripMemorySection((await readText(ctx, CLAUDE_MD)) ?? "");
  const section = memorySection(own?.content ?? "", session?.content ?? "", agent.memoryFile);
  const files = [{ path: CLAUDE_MD, data: existing ? `${existing}\n\n${section}\n` : `${section}\n` }];
  if (agent.memoryFile) {
    seeded.set(ctx, own?.content ?? "");
    files.push({ path: `${WORKSPACE}/${agent.memoryFile}`, data: own?.content ?? "" });
  }
  await ctx.sandbox.writeFiles(files);
  await ctx.emit("memory.loaded", {
    version: own?.version ?? 0,
    bytes: own?.bytes ?? 0,
    ...(session ? { session_version: session.version, session_bytes: session.bytes } : {}),
    ...(agent.memoryFile ? { memory_file: agent.memoryFile } : {}),
  });
}

/** A run adopted after a restart: what was seeded is unknown here, so the stored memory stands in for it. */
export async function adoptMemory(ctx: RunContext, memory: AgentMemory): Promise<void> {
  if (ctx.agent.memoryFile) seeded.set(ctx, (await memory.current(ctx.agent.id))?.content ?? "");
}

/** After Claude ends: the agent's memory file, if it changed, becomes the next memory version. */
export async function saveMemory(ctx: RunContext, memory: AgentMemory): Promise<void> {
  const { agent, run } = ctx;
  if (!agent.memoryFile || !seeded.has(ctx)) return;
  const text = await readText(ctx, `${WORKSPACE}/${agent.memoryFile}`);
  if (text === undefined) return;
  const content = maskText(text, ctx.redact);
  if (content === seeded.get(ctx)) return;
  const { entry, truncated } = await memory.saveFromRun({ agent_id: agent.id, scope: "", content, source: "run", run_id: run.run_id });
  await ctx.emit("memory.saved", { version: entry.version, bytes: entry.bytes, truncated, memory_file: agent.memoryFile });
}
