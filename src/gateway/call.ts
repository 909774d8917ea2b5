import { GatewayError } from "../errors.ts";
import type { Runtime } from "../runtime.ts";
import { asGatewayError } from "../router/router.ts";
import { addKeyHeaders } from "../auth/key-headers.ts";
import { publicApiBase } from "../redaction.ts";
import { teamScope } from "../auth/model-access.ts";
import { costOf } from "../spend/cost.ts";
import { VERSION } from "../version.ts";
import { mockTimeoutHold, refuseMockParams, simulateTimeout } from "../router/mock-testing.ts";
import { batchModels, runBatchCompletion } from "./batch-completion.ts";
import { attempt, type AttemptResult, type Timeouts } from "./attempt.ts";
import type { LLMRequest } from "./types.ts";
import type { Deployment } from "../router/deployment.ts";

const seconds = (v: unknown): number | undefined => {
  const n = typeof v === "string" ? Number(v) : v;
  return typeof n === "number" && Number.isFinite(n) && n > 0 ? n * 1000 : undefined;
};

function timeoutsFor(rt: Runtime, req: LLMRequest, d: Deployment): Timeouts {
  const s = rt.router.settings;
  const reqTimeout = seconds(req.headers.get("x-litellm-timeout")) ?? seconds(req.body.timeout) ?? seconds(req.body.request_timeout);
  const reqStream = seconds(req.headers.get("x-litellm-stream-timeout"));
  return {
    timeoutMs: reqTimeout ?? d.timeoutMs ?? s.timeoutMs,
    streamTimeoutMs: reqStream ?? d.streamTimeoutMs ?? s.streamTimeoutMs,
  };
}

/** `x-litellm-timeout`: the timeout the call ran with, in seconds as Python prints a float. */
function setTimeoutHeader(headers: Record<string, string>, t: Timeouts): void {
  if (t.timeoutMs === undefined) return;
  const s = t.timeoutMs / 1000;
  headers["x-litellm-timeout"] = Number.isInteger(s) ? s.toFixed(1) : String(s);
}

export function invalidModel(model: string): GatewayError {
  return new GatewayError(
    400,
    `Invalid model name passed in model=${model}. Call \`/v1/models\` to view available models for your key.`,
    { type: "invalid_request_error", param: "model", kind: "BadRequestError" },
  );
}

function clientFallbacks(body: Record<string, unknown>): string[] | undefined {
  const f = body.fallbacks;
  if (!Array.isArray(f)) return undefined;
  return f.map((x) => (typeof x === "string" ? x : (x as { model?: string })?.model)).filter((x): x is string => !!x);
}

/** Runs an LLM call through the router and returns the client's response; records it when done. */
export async function runLLMCall(rt: Runtime, req: LLMRequest): Promise<Response> {
  refuseMockParams(rt.config.general.dangerously_allow_mock_testing_request_params === true, (k) => k in req.body);
  const batch = batchModels(req);
  if (batch) return runBatchCompletion(rt, req, batch, runLLMCall);
  const scope = teamScope(req.auth);
  const resolved = rt.router.resolve(req.model, scope);
  if (!resolved) {
    const err = invalidModel(req.model);
    rt.sink.record({ req, status: "failure", error: err, endMs: Date.now(), cost: 0, retries: 0, fallbacks: 0, upstreamMs: 0 });
    throw err;
  }
  const admitting = rt.admission?.admit(req, resolved);
  if (admitting) await admitting;
  const numRetriesHeader = req.headers.get("x-litellm-num-retries");
  const numRetries =
    typeof req.body.num_retries === "number" ? req.body.num_retries : numRetriesHeader ? Number(numRetriesHeader) : undefined;

  let routed;
  let tried: Deployment | undefined;
  let triedTimeouts: Timeouts | undefined;
  try {
    routed = await rt.router.execute<AttemptResult>(
      resolved,
      {
        numRetries,
        clientFallbacks: clientFallbacks(req.body),
        allowedModelRegion: req.auth.allowedModelRegion,
        mockRateLimitError: req.body.mock_testing_rate_limit_error === true,
        scope,
      },
      (d, info) => {
        const t = (triedTimeouts = timeoutsFor(rt, req, d));
        const hold = mockTimeoutHold(req.body.mock_timeout, (tried = d), req.stream, t);
        return hold === undefined ? attempt(req, d, info.resolved, info, t, rt.log) : simulateTimeout(hold, req.signal);
      },
    );
  } catch (e) {
    const err = asGatewayError(e);
    err.headers["x-litellm-call-id"] = req.callId;
    if (triedTimeouts) setTimeoutHeader(err.headers, triedTimeouts);
    rt.sink.record({ req, status: "failure", error: err, endMs: Date.now(), cost: 0, retries: 0, fallbacks: 0, upstreamMs: 0, modelGroup: resolved.group, deployment: tried });
    await rt.admission?.released(req);
    req.rawBody.done();
    throw err;
  }

  const { result: r, deployment: d } = routed;
  const headers: Record<string, string> = r.headers;
  headers["x-litellm-call-id"] = req.callId;
  headers["x-litellm-model-id"] = d.id;
  headers["x-litellm-model-group"] = routed.resolved.group;
  if (d.target.apiBase && d.mockResponse === undefined) headers["x-litellm-model-api-base"] = publicApiBase(d.target.apiBase);
  headers["x-litellm-attempted-retries"] = String(routed.retries);
  headers["x-litellm-attempted-fallbacks"] = String(routed.fallbacks);
  headers["x-litellm-max-retries"] = String(routed.maxRetries);
  setTimeoutHeader(headers, tried === d && triedTimeouts ? triedTimeouts : timeoutsFor(rt, req, d));
  headers["x-litellm-version"] = VERSION;
  const totalMs = performance.now() - req.startPerf;
  headers["x-litellm-response-duration-ms"] = totalMs.toFixed(3);
  headers["x-litellm-overhead-duration-ms"] = Math.max(0, totalMs - r.upstreamMs).toFixed(3);
  const cost = r.usage ? costOf(d, r.upstreamModel, r.usage, totalMs) : 0;
  if (r.usage) headers["x-litellm-response-cost"] = String(cost);
  addKeyHeaders(headers, req.auth, cost);
  r.done.then((c) => {
    // Recorded once the response is written: nothing in it waits for the record.
    setImmediate(() => {
      const failed = c.error instanceof Error;
      rt.router.state.addTokens(d.id, c.usage?.totalTokens ?? 0);
      rt.sink.record({
        req,
        deployment: d,
        modelGroup: routed.resolved.group,
        upstreamModel: r.upstreamModel,
        retries: routed.retries,
        fallbacks: routed.fallbacks,
        upstreamMs: r.upstreamMs,
        usage: c.usage,
        responseId: c.responseId,
        completionStartMs: c.firstChunkMs,
        endMs: c.endMs,
        status: failed ? "failure" : "success",
        error: failed ? asGatewayError(c.error) : undefined,
        cost: costOf(d, r.upstreamModel, c.usage, c.endMs - req.startMs),
      });
      req.rawBody.done();
    });
  });
  return new Response(r.body, { status: r.status, headers });
}
