import { shq } from "../harness/claude-code.ts";
import { maskSecrets } from "../mask.ts";
import { SandboxError } from "../sandbox/errors.ts";
import type { RunContext } from "../runner.ts";
import { WORKSPACE } from "../runner.ts";
import type { Artifacts } from "./artifacts.ts";
import { filePath, TRANSCRIPT, WORKSPACE_TARBALL, type ArtifactMeta } from "./types.ts";

const TAR = ".litellm-rust/workspace.tar";
const MAX_FILES = 500;

/** Escapes a glob for bash so only `*`, `?`, `[...]` (and `**` with globstar) keep their meaning. */
export function globWord(pattern: string): string | undefined {
  if (!pattern || /[\x00-\x1f]/.test(pattern) || pattern.startsWith("/") || pattern.split("/").includes("..")) return undefined;
  return pattern.replace(/[^*?[\]]/g, (ch) => `\\${ch}`);
}

/** What a collection saved, and what it left behind with the reason. */
export interface Collected {
  saved: ArtifactMeta[];
  skipped: Array<{ path: string; reason: string }>;
}

interface Found {
  files: Array<{ size: number; path: string }>;
  transcript?: { size: number; path: string };
  tar?: { size: number; path: string };
}

/** One command lists everything to copy out: NUL-separated records, so any file name survives. */
function listScript(patterns: string[], claudeSessionId: string): string {
  return [
    `cd ${WORKSPACE} || exit 3`,
    "shopt -s globstar nullglob dotglob",
    patterns.length ? `for f in ${patterns.join(" ")}; do [ -f "$f" ] && printf 'FILE\\0%s\\0%s\\0' "$(stat -c %s -- "$f")" "$f"; done` : ":",
    `for t in "$HOME"/.claude/projects/*/${shq(`${claudeSessionId}.jsonl`)}; do [ -f "$t" ] && printf 'TRANSCRIPT\\0%s\\0%s\\0' "$(stat -c %s -- "$t")" "$t"; done`,
    `mkdir -p "$HOME/.litellm-rust" && tar -cf "$HOME/${TAR}" . 2>/dev/null; [ -f "$HOME/${TAR}" ] && printf 'TAR\\0%s\\0%s\\0' "$(stat -c %s -- "$HOME/${TAR}")" "$HOME/${TAR}"`,
    "exit 0",
  ].join("\n");
}

function parseListing(out: string): Found {
  const parts = out.split("\0");
  const found: Found = { files: [] };
  const seen = new Set<string>();
  for (let i = 0; i < parts.length; ) {
    const tag = parts[i++];
    if (tag === "FILE" || tag === "TRANSCRIPT" || tag === "TAR") {
      const entry = { size: Number(parts[i++]), path: parts[i++] ?? "" };
      if (tag === "TRANSCRIPT") found.transcript = entry;
      else if (tag === "TAR") found.tar = entry;
      else {
        entry.path = entry.path.replace(/^(\.\/)+/, "");
        if (!seen.has(entry.path)) seen.add(entry.path), found.files.push(entry);
      }
    }
  }
  return found;
}

/**
 * Copies a run's outputs out of its sandbox before the kill: the agent's `artifacts` globs
 * (relative to the workspace), Claude's transcript and a workspace tarball. Vault secrets are
 * masked in every byte that leaves the sandbox.
 */
export async function collectArtifacts(ctx: RunContext, artifacts: Artifacts): Promise<Collected> {
  const { sandbox, run, agent } = ctx;
  const max = artifacts.limits.maxBytes;
  const skipped: Array<{ path: string; reason: string }> = [];
  const words: string[] = [];
  for (const p of agent.artifacts) {
    const w = globWord(p);
    if (w) words.push(w);
    else skipped.push({ path: p, reason: "only globs relative to the workspace are collected" });
  }
  let out = "";
  const listed = await sandbox.run(listScript(words, run.claude_session_id ?? ""), { signal: ctx.signal, onStdout: (s) => (out += s) });
  if (listed.exitCode !== 0) throw new Error(`listing the workspace failed (exit ${listed.exitCode})`);
  const found = parseListing(out);
  const saved: ArtifactMeta[] = [];
  const take = async (entry: { size: number; path: string }, name: string, kind: ArtifactMeta["kind"], finish?: (b: Uint8Array) => Uint8Array) => {
    if (entry.size > max) return void skipped.push({ path: name, reason: `larger than artifact_max_bytes (${entry.size} > ${max})` });
    try {
      let data = maskSecrets(await sandbox.readFile(entry.path), ctx.redact);
      if (finish) data = finish(data);
      saved.push(await artifacts.save(run, { path: name, kind, data }));
    } catch (e) {
      if (e instanceof SandboxError && e.code !== "file_not_found") throw e;
      skipped.push({ path: name, reason: (e as Error).message });
    }
  };
  for (const f of found.files.slice(0, MAX_FILES)) await take({ size: f.size, path: `${WORKSPACE}/${f.path}` }, filePath(f.path), "file");
  if (found.files.length > MAX_FILES) skipped.push({ path: `${found.files.length - MAX_FILES} more files`, reason: `more than ${MAX_FILES} files matched` });
  if (found.transcript) await take(found.transcript, TRANSCRIPT, "transcript");
  if (found.tar) await take(found.tar, WORKSPACE_TARBALL, "workspace", (b) => Bun.gzipSync(b as Uint8Array<ArrayBuffer>));
  await ctx.emit("artifacts.saved", {
    artifacts: saved.map((a) => ({ path: a.path, size: a.size, content_type: a.content_type, storage: a.storage })),
    ...(skipped.length ? { skipped } : {}),
  });
  return { saved, skipped };
}
