/**
 * Coding-agent request bodies for the benchmark, from two requests recorded from the real CLIs
 * (scripts/bench/traces, copied from the project's traces: Claude Code 2.1.197's first turn of
 * `claude -p "say hi"`, Codex 0.169.0's second turn of a shell tool loop): Claude Code's streamed
 * `POST /v1/messages?beta=true` and Codex's streamed `POST /v1/responses`,
 * each at its real first-turn size, cut down to a short session, and grown into long sessions by
 * appending tool turns that read source files (Claude Code's `Read`, Codex's `exec_command` with
 * `sed -n`), the way such a session grows turn after turn.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";

type Json = Record<string, unknown>;

export interface TraceRequest {
  method: string;
  path: string;
  query: string;
  headers: Record<string, string>;
  body: Json;
}

export type AgentApi = "claude" | "codex";

export interface AgentBody {
  /** short name for tables and file names: `10k`, `first`, `600k`, `2m` */
  id: string;
  label: string;
  bytes: number;
  body: string;
  /** tool turns appended to the trace's body */
  turns: number;
}

export interface AgentWorkload {
  api: AgentApi;
  title: string;
  /** path and query the client posts to */
  path: string;
  /** the client's own headers (auth left out: each subject adds its own) */
  headers: Record<string, string>;
  bodies: AgentBody[];
}

export const TRACES = join(import.meta.dir, "traces");

export const readTrace = (file: string) => JSON.parse(readFileSync(file, "utf8")) as TraceRequest;

const CLAUDE_FILE = "claude-code-first-turn.json";
const CODEX_FILE = "codex-tool-loop.json";

/** The model names the recorded requests ask for (the gateway's benchmark config serves them). */
export const AGENT_MODELS: Record<AgentApi, string> = {
  claude: String(readTrace(join(TRACES, CLAUDE_FILE)).body.model),
  codex: String(readTrace(join(TRACES, CODEX_FILE)).body.model),
};

const HOP_HEADERS = new Set(["host", "content-length", "connection", "x-api-key", "authorization"]);

/** The recorded request's headers without hop-by-hop ones and without its credentials. */
export function clientHeaders(t: TraceRequest): Record<string, string> {
  return Object.fromEntries(Object.entries(t.headers).filter(([k]) => !HOP_HEADERS.has(k.toLowerCase())));
}

const byteLength = (s: string) => Buffer.byteLength(s);

/** Source text to read in the tool turns: a fixed, pinned set of files (hono's build), cycled. */
export function sourcePool(root: string): Array<{ path: string; text: string }> {
  const out: Array<{ path: string; text: string }> = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) {
        if (name !== "cjs") walk(p);
      } else if (/\.(js|d\.ts)$/.test(name)) {
        const text = readFileSync(p, "utf8");
        if (text.length > 200) out.push({ path: `src/${relative(root, p)}`, text });
      }
    }
  };
  walk(root);
  if (!out.length) throw new Error(`no source files under ${root}`);
  return out;
}

/** Claude Code's `Read` result: numbered lines (`cat -n`), at most 2,000 of them. */
const numbered = (text: string) =>
  text
    .split("\n")
    .slice(0, 2000)
    .map((l, i) => `${String(i + 1).padStart(6)}\t${l}`)
    .join("\n");

const hex = (n: number, len: number) => n.toString(16).padStart(len, "0").slice(-len);

/** One Claude Code tool round: the assistant calls `Read`, the user turn carries its result. */
function claudeTurn(i: number, file: { path: string; text: string }): Json[] {
  const id = `toolu_${hex(0x5be47d7f + i * 7919, 8)}${hex(i * 104729, 16)}`;
  return [
    {
      role: "assistant",
      content: [
        { type: "text", text: `Let me look at ${file.path}.` },
        { type: "tool_use", id, name: "Read", input: { file_path: `/home/user/project/${file.path}` } },
      ],
    },
    { role: "user", content: [{ tool_use_id: id, type: "tool_result", content: numbered(file.text), is_error: false }] },
  ];
}

/** One Codex tool round: a `function_call` of `exec_command` and its `function_call_output`. */
function codexTurn(i: number, file: { path: string; text: string }): Json[] {
  const callId = `call_${hex(0x5ae3a95f + i * 7919, 8)}${hex(i * 104729, 16)}`;
  const lines = file.text.split("\n").slice(0, 2000).join("\n");
  return [
    { type: "function_call", status: "completed", id: `fc_${hex(i * 15485863, 24)}`, name: "exec_command", arguments: JSON.stringify({ cmd: `sed -n '1,2000p' ${file.path}` }), call_id: callId },
    {
      type: "function_call_output",
      id: `fco_${hex(i * 32452843, 24)}`,
      call_id: callId,
      output: `Chunk ID: ${hex(i * 2654435761, 6)}\nWall time: 0.0000 seconds\nProcess exited with code 0\nOriginal token count: ${Math.ceil(lines.length / 4)}\nOutput:\n${lines}\n`,
    },
  ];
}

const LIST: Record<AgentApi, string> = { claude: "messages", codex: "input" };
const TURN: Record<AgentApi, (i: number, f: { path: string; text: string }) => Json[]> = { claude: claudeTurn, codex: codexTurn };

/**
 * `base` with tool rounds appended until its JSON reaches `target` bytes; the last round's result is
 * cut so the body lands within a few hundred bytes of the target. Claude Code marks the newest tool
 * result for prompt caching, as it does in the trace.
 */
export function growSession(api: AgentApi, base: Json, target: number, pool: Array<{ path: string; text: string }>): { body: Json; turns: number } {
  const body = structuredClone(base);
  const list = body[LIST[api]] as Json[];
  let size = byteLength(JSON.stringify(body));
  let turns = 0;
  while (size < target) {
    const round = TURN[api](turns, pool[turns % pool.length]!);
    // `[a,b]` is as long as `,a,b` appended to a non-empty list
    const roundBytes = byteLength(JSON.stringify(round));
    if (size + roundBytes > target) {
      const result = round[1]!;
      const over = size + roundBytes - target;
      if (api === "claude") {
        const block = (result.content as Json[])[0]!;
        block.content = trimTo(String(block.content), over);
      } else result.output = trimTo(String(result.output), over);
    }
    list.push(...round);
    turns++;
    size += byteLength(JSON.stringify(round));
  }
  if (api === "claude" && turns) {
    const last = list.at(-1)!.content as Json[];
    last[0]!.cache_control = { type: "ephemeral" };
  }
  return { body, turns };
}

/** `s` shortened by about `over` bytes of its JSON encoding (whole lines; escapes counted). */
function trimTo(s: string, over: number): string {
  let cut = s.length;
  let removed = 0;
  while (cut > 0 && removed < over) {
    const prev = s.lastIndexOf("\n", cut - 1);
    const start = prev < 0 ? 0 : prev;
    removed += byteLength(JSON.stringify(s.slice(start, cut))) - 2;
    cut = start;
  }
  return s.slice(0, cut);
}

const CLAUDE_BARE_TOOLS = new Set(["Bash", "Edit", "Read"]);

/**
 * Claude Code's short session: the shape `claude --bare` sends (three tools, a short system
 * prompt, the user's text; the trace keeps that request abridged, so it is rebuilt from the full
 * first turn's own parts).
 */
export function claudeBare(first: Json): Json {
  const body = structuredClone(first);
  body.tools = (body.tools as Json[]).filter((t) => CLAUDE_BARE_TOOLS.has(String(t.name)));
  const system = body.system as Json[];
  body.system = [...system.slice(0, 2), { type: "text", text: "CWD: /home/user/project\nDate: 2026-11-24", cache_control: { type: "ephemeral" } }];
  body.messages = (body.messages as Json[]).filter((m) => m.role === "user");
  return body;
}

const CODEX_SHORT_TOOLS = new Set(["exec_command", "apply_patch"]);

/** Codex's short session: the shell and patch tools only, the developer instructions cut to their first paragraphs. */
export function codexShort(first: Json): Json {
  const body = structuredClone(first);
  body.tools = (body.tools as Json[]).filter((t) => CODEX_SHORT_TOOLS.has(String(t.name)));
  body.input = (body.input as Json[]).map((item) => {
    if (item.role !== "developer") return item;
    const content = (item.content as Json[]).map((c) => ({ ...c, text: String(c.text).slice(0, 1200) }));
    return { ...item, content };
  });
  return body;
}

/** Sizes the benchmark sends besides the real first turn, bytes. */
export const SHORT_BYTES = 10_000;
export const LONG_BYTES = [600_000, 2_000_000];

function bodies(api: AgentApi, first: Json, short: Json, pool: Array<{ path: string; text: string }>, firstLabel: string): AgentBody[] {
  const mk = (id: string, label: string, body: Json, turns: number): AgentBody => {
    const text = JSON.stringify(body);
    return { id, label, bytes: byteLength(text), body: text, turns };
  };
  const s = growSession(api, short, SHORT_BYTES, pool);
  const out = [mk("10k", "short session", s.body, s.turns), mk("first", firstLabel, first, 0)];
  for (const target of LONG_BYTES) {
    const g = growSession(api, first, target, pool);
    out.push(mk(target >= 1e6 ? `${target / 1e6}m` : `${target / 1e3}k`, `long session`, g.body, g.turns));
  }
  return out;
}

/** Both workloads from the recorded requests; the source files read in the long sessions come from `sourceRoot`. */
export function agentWorkloads(tracesDir: string, sourceRoot: string): AgentWorkload[] {
  const pool = sourcePool(sourceRoot);
  const cc = readTrace(join(tracesDir, CLAUDE_FILE));
  const cx = readTrace(join(tracesDir, CODEX_FILE));
  return [
    { api: "claude", title: "Claude Code", path: `${cc.path}${cc.query}`, headers: clientHeaders(cc), bodies: bodies("claude", cc.body, claudeBare(cc.body), pool, "real first turn") },
    { api: "codex", title: "Codex", path: `${cx.path}${cx.query}`, headers: clientHeaders(cx), bodies: bodies("codex", cx.body, codexShort(cx.body), pool, "real tool-loop turn") },
  ];
}
