import { describe, expect, test } from "bun:test";
import { disabledCallbacks, dynamicLogging } from "../../../src/callbacks/dynamic.ts";
import { LoggedCall } from "../../../src/callbacks/logged-call.ts";
import { loggingId, standardLoggingPayload } from "../../../src/callbacks/payload.ts";
import { REDACTED, redactResponse, SecretScrubber } from "../../../src/callbacks/redact.ts";
import { learnConfigSecrets, secrets } from "../../../src/redaction.ts";
import { s3ObjectKey } from "../../../src/callbacks/s3.ts";
import { datadogMessage } from "../../../src/callbacks/datadog.ts";
import type { GatewayConfig } from "../../../src/config/index.ts";
import { encryptValue } from "../../../src/db/secrets.ts";
import { GatewayError } from "../../../src/errors.ts";
import { fakeRecord, fakeRequest } from "./helpers.ts";

const policy = (over: Partial<ConstructorParameters<typeof LoggedCall>[2]> = {}) => ({ contentOff: false, redactKeyInfo: false, userAgentTags: true, scrubber: new SecretScrubber(), ...over });

describe("StandardLoggingPayload", () => {
  test("fields as LiteLLM fills them: ids, times in seconds, tokens, metadata, tags, session as trace_id, parameters without content", () => {
    const req = fakeRequest(
      "openai-chat",
      { model: "m", temperature: 0.2, max_tokens: 50, user: "end-1", metadata: { tags: ["prod"], generation_name: "gen" }, messages: [{ role: "user", content: "hi" }] },
      { "user-agent": "claude-cli/2.1.0 (external, cli)", "x-claude-code-session-id": "e96634a3-fa28-4083-b354-55542e2dca01", "x-litellm-tags": "team-x" },
      { kind: "virtual_key", apiKeyHash: "abc123", keyAlias: "alias-1", teamId: "t1", teamAlias: "Team One", userId: "u1" },
    );
    const p = standardLoggingPayload(fakeRecord(req), { userAgentTags: true, withContent: true });
    expect(p.id).toBe("chatcmpl-1");
    expect(p.call_id).toBe("call-1");
    expect(p.trace_id).toBe("e96634a3-fa28-4083-b354-55542e2dca01");
    expect(p.startTime).toBe(req.startMs / 1000);
    expect(p.endTime - p.startTime).toBeCloseTo(1.5, 5);
    expect(p.response_time).toBeCloseTo(1.5, 5);
    expect([p.prompt_tokens, p.completion_tokens, p.total_tokens, p.response_cost]).toEqual([10, 5, 15, 0.0125]);
    expect(p.metadata).toMatchObject({ user_api_key_hash: "abc123", user_api_key_alias: "alias-1", user_api_key_team_id: "t1", user_api_key_team_alias: "Team One", user_api_key_user_id: "u1", user_api_key_request_route: "/v1/chat/completions" });
    expect(p.metadata.requester_metadata).toEqual({ tags: ["prod"], generation_name: "gen" });
    expect(p.request_tags).toEqual(["prod", "team-x", "User-Agent: claude-cli", "User-Agent: claude-cli/2.1.0 (external, cli)"]);
    expect(p.end_user).toBe("end-1");
    expect(p.model_parameters).toEqual({ temperature: 0.2, max_tokens: 50, user: "end-1" });
    expect(p.messages).toEqual([{ role: "user", content: "hi" }]);
  });

  test("a failure carries LiteLLM's error_str and error_information; stream response_time is to the first byte", () => {
    const req = fakeRequest("anthropic-messages", { model: "m", stream: true, system: "sys", messages: [{ role: "user", content: "x" }] });
    const err = new GatewayError(429, "litellm.RateLimitError: slow down");
    const p = standardLoggingPayload(fakeRecord(req, { status: "failure", error: err, responseId: undefined, usage: undefined }), { userAgentTags: false, withContent: true });
    expect(p.status).toBe("failure");
    expect(p.id).toBe("call-1");
    expect(p.error_str).toBe("litellm.RateLimitError: slow down");
    expect(p.error_information).toMatchObject({ error_code: "429", error_class: "RateLimitError", error_message: "litellm.RateLimitError: slow down" });
    expect(p.stream).toBe(true);
    expect(p.response_time).toBeCloseTo(0.2, 5);
    expect(p.messages).toEqual([{ role: "system", content: "sys" }, { role: "user", content: "x" }]);
  });

  test("turn_off_message_logging and redact_user_api_key_info; a key's own turn_off_message_logging too", () => {
    const req = fakeRequest("openai-chat", { model: "m", messages: [{ role: "user", content: "secret plans" }] }, {}, { apiKeyHash: "h", keyAlias: "a" });
    req.observed = { attempts: [], capturedBytes: 0, chunks: [], responseText: JSON.stringify({ id: "c", object: "chat.completion", choices: [{ index: 0, message: { role: "assistant", content: "the plans" }, finish_reason: "stop" }] }) };
    const off = new LoggedCall(fakeRecord(req), undefined, policy({ contentOff: true, redactKeyInfo: true })).payloadText().toString();
    expect(off).not.toContain("secret plans");
    expect(off).not.toContain("the plans");
    expect(JSON.parse(off).messages).toEqual([{ role: "user", content: REDACTED }]);
    expect(JSON.parse(off).metadata.user_api_key_hash).toBeUndefined();
    const perKey = new LoggedCall(fakeRecord(req), { callbacks: new Map(), vars: { turn_off_message_logging: "True" } }, policy());
    expect(perKey.contentOff).toBe(true);
    expect(perKey.payloadText().toString()).not.toContain("secret plans");
    const on = new LoggedCall(fakeRecord(req), undefined, policy()).payload();
    expect((on.response as { choices: Array<{ message: { content: string } }> }).choices[0]!.message.content).toBe("the plans");
  });

  test("answers are redacted keeping their shape (chat, Responses), other shapes become LiteLLM's {text}", () => {
    expect(redactResponse({ choices: [{ message: { content: "x", tool_calls: [{ id: "1", function: { name: "f", arguments: "{}" } }] } }] })).toEqual({
      choices: [{ message: { content: REDACTED, tool_calls: [{ id: "1", function: { name: "f", arguments: REDACTED } }] } }],
    });
    expect(redactResponse({ output: [{ type: "message", content: [{ type: "output_text", text: "x" }] }, { type: "function_call", arguments: "{}" }] })).toEqual({
      output: [{ type: "message", content: [{ type: "output_text", text: REDACTED }] }, { type: "function_call", arguments: REDACTED }],
    });
    expect(redactResponse({ type: "message", content: [{ type: "text", text: "x" }] })).toEqual({ text: REDACTED });
  });

  test("credentials the gateway holds (src/redaction.ts's set) are masked in serialized payloads", () => {
    const config = { masterKey: "sk-master-0123456789", saltKey: undefined, general: {}, litellm: {}, router: {}, agents: [], env: { OPENAI_API_KEY: "sk-openai-abcdefghijklmnop", PATH: "/usr/bin:/bin" }, credentials: new Map([["c", { api_key: "cred-key-12345678" }]]) } as unknown as GatewayConfig;
    learnConfigSecrets(config, [{ target: { apiKey: "sk-ant-provider-key-999", apiBase: "", params: { aws_secret_access_key: "AWSSECRET12345" } } } as never]);
    secrets.set("vault", ["vault-value-abcdef"]);
    const s = new SecretScrubber();
    s.use(secrets.values());
    const out = s.scrub(JSON.stringify({ error: "Incorrect API key provided: sk-openai-abcdefghijklmnop / sk-ant-provider-key-999 / AWSSECRET12345 / cred-key-12345678 / sk-master-0123456789 /usr/bin:/bin", tool_result: "echo vault-value-abcdef" }));
    for (const secret of ["sk-openai-abcdefghijklmnop", "sk-ant-provider-key-999", "AWSSECRET12345", "cred-key-12345678", "sk-master-0123456789", "vault-value-abcdef"]) expect(out).not.toContain(secret);
    expect(out).toContain("sk-***");
    expect(out).toContain("/usr/bin:/bin");
    expect(JSON.parse(out).tool_result).toBe("echo vau***");
  });

  test("a prompt-sized text is masked the same as a short one, in any script; without a secret it is returned as it was", () => {
    const s = new SecretScrubber();
    s.use(["sk-provider-key-0123456789", "vault-секрет-значение"]);
    const long = `${"日本語のテキスト and ascii — ".repeat(400)}`;
    expect(long.length).toBeGreaterThan(4096);
    expect(s.scrub(long)).toBe(long);
    const leaked = s.scrub(`${long} sk-provider-key-0123456789 ${long} vault-секрет-значение 🙂`);
    expect(leaked).not.toContain("sk-provider-key-0123456789");
    expect(leaked).not.toContain("vault-секрет-значение");
    expect(leaked).toBe(`${long} sk-*** ${long} vau*** 🙂`);
  });

  test("the payload's JSON (messages serialized once and spliced) is the payload serialized whole, scrubbed", () => {
    const scrubber = new SecretScrubber();
    scrubber.use(["sk-provider-key-0123456789"]);
    const body = { model: "m", messages: [{ role: "system", content: "quote \" \\ \u2028 🙂" }, { role: "user", content: `${"x".repeat(5000)} sk-provider-key-0123456789` }] };
    const call = new LoggedCall(fakeRecord(fakeRequest("openai-chat", body)), undefined, policy({ scrubber }));
    expect(call.payloadText().toString()).toBe(scrubber.scrub(JSON.stringify(call.payload())));
    expect(JSON.parse(call.payloadText().toString()).messages[1].content).toBe(`${"x".repeat(5000)} sk-***`);
  });

  test("Datadog's message: error_str, messages and response over 10,000 characters are cut as LiteLLM's DataDogLogger cuts them; shorter ones stay whole", () => {
    const scrubber = new SecretScrubber();
    scrubber.use(["sk-provider-key-0123456789"]);
    const suffix = "...truncated by litellm, this logger does not support large content";
    const body = { model: "m", messages: [{ role: "user", content: `sk-provider-key-0123456789 ${"y".repeat(300_000)}` }] };
    const req = fakeRequest("openai-chat", body);
    req.observed = { attempts: [], capturedBytes: 0, chunks: [], responseText: JSON.stringify({ id: "c", object: "chat.completion", choices: [{ index: 0, message: { role: "assistant", content: "z".repeat(20_000) }, finish_reason: "stop" }] }) };
    const call = new LoggedCall(fakeRecord(req), undefined, policy({ scrubber }));
    const m = JSON.parse(datadogMessage(call)) as Record<string, unknown>;
    expect(m.messages).toBe(`${scrubber.scrub(JSON.stringify(body.messages)).slice(0, 10_000)}${suffix}`);
    expect(String(m.messages)).toStartWith(`[{"role":"user","content":"sk-*** yyy`);
    expect(m.response).toBe(`${JSON.stringify(call.payload().response).slice(0, 10_000)}${suffix}`);
    expect(m.id).toBe(call.payload().id);
    expect(m.total_tokens).toBe(15);

    const short = new LoggedCall(fakeRecord(fakeRequest("openai-chat", { model: "m", messages: [{ role: "user", content: "hi" }] }), { status: "failure", error: new GatewayError(500, "e".repeat(12_000)) }), undefined, policy());
    const s = JSON.parse(datadogMessage(short)) as Record<string, unknown>;
    expect(s.messages).toEqual([{ role: "user", content: "hi" }]);
    expect(s.error_str).toBe(`${"e".repeat(10_000)}${suffix}`);
  });

  test("object keys and logging ids: LiteLLM's layout", () => {
    const start = Date.UTC(2026, 0, 2, 3, 4, 5, 678);
    expect(loggingId(start, "chatcmpl-1")).toBe("time-03-04-05-678000_chatcmpl-1");
    expect(s3ObjectKey("team-logs/", "", start, "chatcmpl-1")).toBe("team-logs/2026-01-02/time-03-04-05-678000_chatcmpl-1.json");
    expect(s3ObjectKey(undefined, "Team One/alias/", start, "resp/1:2")).toBe("Team One/alias/2026-01-02/time-03-04-05-678000_resp_1_2.json");
  });
});

describe("a key's or team's own logging", () => {
  const ctx = { env: { LF_SK: "sk-lf-from-env" }, signingKey: "salt-key-1234", teamSettings: [{ team_id: "t-config", success_callback: ["langfuse"], langfuse_public_key: "pk-config", langfuse_secret: "sk-config" }] };

  test("the key's metadata.logging wins over the team's; os.environ/ and encrypted callback_vars are resolved", () => {
    const key = {
      metadata: { logging: [{ callback_name: "langfuse", callback_type: "success", callback_vars: { langfuse_public_key: "pk-key", langfuse_secret_key: "os.environ/LF_SK", langfuse_host: encryptValue("http://lf.internal", "salt-key-1234") } }] },
      team: { metadata: { logging: [{ callback_name: "langfuse", callback_vars: { langfuse_public_key: "pk-team" } }] } },
    };
    const d = dynamicLogging(fakeRequest("openai-chat", {}, {}, { key }), ctx)!;
    expect(d.callbacks.get("langfuse")).toEqual({ success: true, failure: false });
    expect(d.vars).toEqual({ langfuse_public_key: "pk-key", langfuse_secret_key: "sk-lf-from-env", langfuse_host: "http://lf.internal" });
    const team = dynamicLogging(fakeRequest("openai-chat", {}, {}, { key: { metadata: {}, team: key.team } }), ctx)!;
    expect(team.vars.langfuse_public_key).toBe("pk-team");
    expect(team.callbacks.get("langfuse")).toEqual({ success: true, failure: true });
  });

  test("default_team_settings by team id, the deprecated team callback_settings, and x-litellm-disable-callbacks", () => {
    const fromConfig = dynamicLogging(fakeRequest("openai-chat", {}, {}, { teamId: "t-config" }), ctx)!;
    expect(fromConfig.vars).toEqual({ langfuse_public_key: "pk-config", langfuse_secret: "sk-config" });
    const legacy = dynamicLogging(fakeRequest("openai-chat", {}, {}, { key: { metadata: {}, team: { metadata: { callback_settings: { success_callback: ["langfuse"], callback_vars: { langfuse_public_key: "pk-old" } } } } } }), ctx)!;
    expect(legacy.vars.langfuse_public_key).toBe("pk-old");
    expect(dynamicLogging(fakeRequest("openai-chat", {}), ctx)).toBeUndefined();
    expect([...disabledCallbacks(fakeRequest("openai-chat", {}, { "x-litellm-disable-callbacks": "langfuse, Datadog" }))]).toEqual(["langfuse", "datadog"]);
  });
});
