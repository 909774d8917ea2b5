import { GatewayError } from "../errors.ts";
import { errorBody } from "../error-shapes.ts";
import { asGatewayError } from "../router/router.ts";
import type { Runtime } from "../runtime.ts";
import type { LLMRequest } from "./types.ts";

type RunCall = (rt: Runtime, req: LLMRequest) => Promise<Response>;

/** `model: "a,b"` on a chat call: LiteLLM's batch completion (checked before model names, as in `route_request`). */
export function batchModels(req: LLMRequest): string[] | undefined {
  if (req.callType !== "acompletion" || !req.model.includes(",")) return undefined;
  const models = req.model.split(",").map((m) => m.trim()).filter(Boolean);
  return models.length > 1 ? models : undefined;
}

/**
 * One model's call: its own body, id and abort signal, and its own admission (each call reserves and
 * settles its budgets and limits, and writes its spend row, like any call).
 */
function subRequest(req: LLMRequest, model: string, signal: AbortSignal): LLMRequest {
  const { fastest_response: _race, ...rest } = req.body;
  const body = { ...rest, model };
  const admission = req.auth.admission && { plan: req.auth.admission.plan };
  return { ...req, model, body, rawBody: JSON.stringify(body), callId: crypto.randomUUID(), signal, auth: { ...req.auth, admission } };
}

/** LiteLLM's `abatch_completion`: every model answers; a model's failure is its entry in the list, not the call's. */
async function everyModel(rt: Runtime, req: LLMRequest, models: string[], run: RunCall): Promise<Response> {
  const answers = await Promise.all(
    models.map((model) =>
      run(rt, subRequest(req, model, req.signal)).then(
        async (r) => (await r.json()) as unknown,
        (e) => errorBody(asGatewayError(e), "openai"),
      ),
    ),
  );
  return Response.json(answers);
}

/**
 * LiteLLM's `abatch_completion_fastest_response` (`fastest_response: true`, streamed or not): the
 * first model to answer is the answer; the others are cancelled. Every model failing fails the call.
 */
async function fastestModel(rt: Runtime, req: LLMRequest, models: string[], run: RunCall): Promise<Response> {
  const calls = models.map((model) => {
    const ctrl = new AbortController();
    const answer = run(rt, subRequest(req, model, AbortSignal.any([req.signal, ctrl.signal])));
    return { ctrl, answer };
  });
  try {
    const { winner, response } = await Promise.any(calls.map((c, winner) => c.answer.then((response) => ({ winner, response }))));
    calls.forEach((c, i) => {
      if (i === winner) return;
      c.ctrl.abort();
      c.answer.then((r) => r.body?.cancel(), () => {});
    });
    return response;
  } catch (e) {
    const errors = (e as AggregateError).errors.map(asGatewayError);
    const status = errors.every((x) => x.status === errors[0]!.status) ? errors[0]!.status : 500;
    throw new GatewayError(status, `All tasks failed: ${errors.map((x, i) => `model=${models[i]}: ${x.message}`).join("; ")}`, { kind: errors[0]!.kind });
  }
}

/** The batch completion a `"a,b"` chat call asks for. */
export async function runBatchCompletion(rt: Runtime, req: LLMRequest, models: string[], run: RunCall): Promise<Response> {
  if (req.body.fastest_response === true) return fastestModel(rt, req, models, run);
  if (req.stream) {
    throw new GatewayError(
      400,
      `litellm.BadRequestError: a comma-separated model list streams with "fastest_response": true only (the first model to answer is streamed); model=${req.model}`,
      { type: "invalid_request_error", param: "model", kind: "BadRequestError" },
    );
  }
  return everyModel(rt, req, models, run);
}
