import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { startFakeLangfuse, type FakeLangfuse, type IngestedEvent } from "../fakes/langfuse.ts";
import { startFakeLLM, type FakeLLM } from "../fakes/llm.ts";
import { startGateway, type GatewayProcess } from "../helpers/gateway.ts";
import { insert, insertKey, waitFor } from "../helpers/litellm-db.ts";
import { createTestDb, type TestDb } from "../helpers/pg.ts";

/**
 * `success_callback`/`failure_callback: ["langfuse"]` with LANGFUSE_PUBLIC_KEY/SECRET_KEY/HOST, and
 * a key's and a team's own Langfuse project through `metadata.logging`, against a fake Langfuse
 * speaking its ingestion API. The database is real (keys and teams as LiteLLM stores them).
 */
const MASTER = "sk-master-langfuse";
const SESSION = "e96634a3-fa28-4083-b354-55542e2dca01";
let db: TestDb;
let fake: FakeLLM;
let lf: FakeLangfuse;
let gw: GatewayProcess;

type Obj = Record<string, unknown>;

beforeAll(async () => {
  fake = await startFakeLLM();
  lf = await startFakeLangfuse({ "pk-lf-global": "sk-lf-global", "pk-lf-team": "sk-lf-team", "pk-lf-key": "sk-lf-key" });
  db = await createTestDb("lr_langfuse");
  gw = await startGateway({
    config: {
      model_list: [
        { model_name: "gpt", litellm_params: { model: "openai/gpt-4o", api_base: `${fake.url}/v1`, api_key: "sk-openai-upstream-2" } },
        { model_name: "claude", litellm_params: { model: "anthropic/claude-sonnet-4-5", api_base: fake.url, api_key: "sk-ant-upstream-2" } },
        { model_name: "codex-on-claude", litellm_params: { model: "anthropic/claude-sonnet-4-5", api_base: fake.url, api_key: "sk-ant-upstream-2" } },
      ],
      router_settings: { num_retries: 0 },
      litellm_settings: { success_callback: ["langfuse"], failure_callback: ["langfuse"] },
      general_settings: { master_key: MASTER, database_url: db.url },
    },
    env: { LANGFUSE_PUBLIC_KEY: "pk-lf-global", LANGFUSE_SECRET_KEY: "sk-lf-global", LANGFUSE_HOST: lf.url, LANGFUSE_FLUSH_INTERVAL: "0.1", LF_TEAM_SECRET: "sk-lf-team" },
  });
  const teamLogging = [{ callback_name: "langfuse", callback_type: "success", callback_vars: { langfuse_public_key: "pk-lf-team", langfuse_secret_key: "os.environ/LF_TEAM_SECRET", langfuse_host: lf.url } }];
  await insert(db.sql, "LiteLLM_TeamTable", { team_id: "team-lf", team_alias: "Team LF", models: [], members_with_roles: [], metadata: { logging: teamLogging } } as never);
  await insertKey(db.sql, "sk-team-member-0001", { team_id: "team-lf", key_alias: "member" });
  await insertKey(db.sql, "sk-own-project-0002", {
    team_id: "team-lf",
    key_alias: "own",
    metadata: { logging: [{ callback_name: "langfuse", callback_type: "success", callback_vars: { langfuse_public_key: "pk-lf-key", langfuse_secret_key: "sk-lf-key", langfuse_host: lf.url, turn_off_message_logging: "true" } }] },
  });
});

afterAll(async () => {
  await gw?.stop();
  await lf?.stop();
  await fake?.stop();
  await db?.drop();
});

beforeEach(() => fake.reset());

const generationOf = (events: IngestedEvent[], traceId: string) => events.find((e) => e.type === "generation-create" && e.body.traceId === traceId);
const traceWith = (pred: (b: Obj) => boolean, project = "pk-lf-global") => (events: IngestedEvent[]) => events.filter((e) => e.type === "trace-create" && e.project === project && pred(e.body));

describe("Langfuse", () => {
  test("a chat call with LiteLLM's metadata: trace id, names, session, user, tags; the generation with usage, cost and the answer", async () => {
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${MASTER}`, "content-type": "application/json" },
      body: JSON.stringify({
        model: "gpt",
        temperature: 0.3,
        messages: [{ role: "user", content: "langfuse me" }],
        metadata: { trace_id: "trace-abc", trace_name: "my-trace", generation_name: "my-gen", session_id: "sess-1", tags: ["prod", "exp-7"], trace_user_id: "user-9", trace_metadata: { team: "core" } },
      }),
    });
    const body = (await res.json()) as { id: string; choices: Array<{ message: { content: string } }>; usage: { prompt_tokens: number; completion_tokens: number } };
    const cost = Number(res.headers.get("x-litellm-response-cost"));
    const [trace] = await lf.waitFor(traceWith((b) => b.id === "trace-abc"));
    expect(trace!.body).toMatchObject({ id: "trace-abc", name: "my-trace", sessionId: "sess-1", userId: "user-9", metadata: { team: "core" }, input: { messages: [{ role: "user", content: "langfuse me" }] } });
    expect(trace!.body.tags).toEqual(expect.arrayContaining(["prod", "exp-7"]));
    const gen = (await lf.waitFor((e) => (generationOf(e, "trace-abc") ? [generationOf(e, "trace-abc")!] : [])))[0]!;
    expect(gen.body).toMatchObject({
      traceId: "trace-abc",
      name: "my-gen",
      model: "gpt-4o",
      level: "DEFAULT",
      modelParameters: { temperature: 0.3 },
      output: { role: "assistant", content: body.choices[0]!.message.content },
      usage: { input: body.usage.prompt_tokens, output: body.usage.completion_tokens, unit: "TOKENS" },
    });
    expect((gen.body.usage as Obj).totalCost).toBeCloseTo(cost, 12);
    expect(String(gen.body.id)).toMatch(new RegExp(`^time-\\d\\d-\\d\\d-\\d\\d-\\d{6}_${body.id}$`));
    expect((gen.body.metadata as Obj).litellm_response_cost).toBeCloseTo(cost, 12);
    expect(JSON.stringify(lf.events)).not.toContain("sk-openai-upstream-2");
  });

  test("Claude Code's streamed /v1/messages: its session header is the Langfuse session; the streamed answer is the output", async () => {
    const anthropic = new Anthropic({ apiKey: MASTER, baseURL: gw.url, maxRetries: 0, defaultHeaders: { "x-claude-code-session-id": SESSION } });
    const final = await anthropic.messages.stream({ model: "claude", max_tokens: 200, system: [{ type: "text", text: "You are Claude Code" }], messages: [{ role: "user", content: "cc turn" }], metadata: { user_id: "user_abc_account_def_session_ghi" } }).finalMessage();
    const [trace] = await lf.waitFor(traceWith((b) => b.sessionId === SESSION));
    expect(trace!.body.name).toBe("litellm-anthropic_messages");
    const gen = (await lf.waitFor((e) => (generationOf(e, trace!.body.id as string) ? [generationOf(e, trace!.body.id as string)!] : [])))[0]!;
    expect(gen.body.output).toEqual({ role: "assistant", content: (final.content[0] as { text: string }).text });
    expect(gen.body.model).toBe("claude-sonnet-4-5");
    expect((gen.body.usageDetails as Obj).output).toBe(final.usage.output_tokens);
    expect(Date.parse(gen.body.completionStartTime as string)).toBeGreaterThanOrEqual(Date.parse(gen.body.startTime as string));
    expect(JSON.stringify((trace!.body.input as Obj).messages)).toContain("You are Claude Code");
  });

  test("a Responses client streaming from an Anthropic upstream (translated) logs the answer it was streamed", async () => {
    const openai = new OpenAI({ apiKey: MASTER, baseURL: `${gw.url}/v1`, maxRetries: 0 });
    const stream = await openai.responses.create({ model: "codex-on-claude", input: "codex via langfuse", stream: true });
    let text = "";
    for await (const ev of stream) if (ev.type === "response.output_text.delta") text += ev.delta;
    const [trace] = await lf.waitFor(traceWith((b) => JSON.stringify(b.input ?? "").includes("codex via langfuse")));
    expect(trace!.body.name).toBe("litellm-aresponses");
    expect(trace!.body.output).toEqual({ role: "assistant", content: text });
  });

  test("a failed call (failure_callback) is a generation at level ERROR with the error as its status message", async () => {
    fake.control({ failStatus: 503, failCount: 1 });
    const r = await fetch(`${gw.url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${MASTER}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "gpt", messages: [{ role: "user", content: "will fail" }], metadata: { trace_id: "trace-fail" } }),
    });
    expect(r.status).toBe(503);
    const gen = (await lf.waitFor((e) => (generationOf(e, "trace-fail") ? [generationOf(e, "trace-fail")!] : [])))[0]!;
    expect(gen.body.level).toBe("ERROR");
    expect(String(gen.body.statusMessage)).toContain("fake failure 503");
    expect(gen.body.output).toBe(gen.body.statusMessage);
  });

  test("a team's own project (metadata.logging) gets its members' calls instead of the global one; a key's own settings win over its team's", async () => {
    const member = new OpenAI({ apiKey: "sk-team-member-0001", baseURL: `${gw.url}/v1`, maxRetries: 0 });
    await member.chat.completions.create({ model: "gpt", messages: [{ role: "user", content: "team project call" }] });
    const [t] = await lf.waitFor(traceWith((b) => JSON.stringify(b.input ?? "").includes("team project call"), "pk-lf-team"));
    expect(t!.project).toBe("pk-lf-team");
    const own = new OpenAI({ apiKey: "sk-own-project-0002", baseURL: `${gw.url}/v1`, maxRetries: 0 });
    const res = await own.chat.completions.create({ model: "gpt", messages: [{ role: "user", content: "private words" }] });
    const [k] = await lf.waitFor(traceWith(() => true, "pk-lf-key"));
    expect(k!.body.input).toBe("redacted-by-litellm");
    expect(k!.body.output).toBe("redacted-by-litellm");
    const gen = (await lf.waitFor((e) => (generationOf(e, k!.body.id as string) ? [generationOf(e, k!.body.id as string)!] : [])))[0]!;
    expect((gen.body.usage as Obj).output).toBe(res.usage!.completion_tokens);
    expect((gen.body.metadata as Obj).user_api_key_alias).toBe("own");
    await waitFor(async () => lf.events.length > 0);
    const all = JSON.stringify(lf.events);
    expect(all).not.toContain("private words");
    expect(lf.events.filter((e) => e.project === "pk-lf-global" && JSON.stringify(e.body).includes("team project call"))).toEqual([]);
    expect((k!.body.tags as string[]).length).toBeGreaterThan(0);
  });
});
