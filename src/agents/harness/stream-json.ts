/** Splits chunked stdout into lines and parses Claude Code's `--output-format stream-json` events. */
export class StreamJsonParser {
  private buf = "";

  push(chunk: string): Array<Record<string, unknown>> {
    this.buf += chunk;
    const out: Array<Record<string, unknown>> = [];
    let nl = this.buf.indexOf("\n");
    while (nl >= 0) {
      const line = this.buf.slice(0, nl).trim();
      this.buf = this.buf.slice(nl + 1);
      if (line) out.push(parseLine(line));
      nl = this.buf.indexOf("\n");
    }
    return out;
  }

  end(): Array<Record<string, unknown>> {
    const line = this.buf.trim();
    this.buf = "";
    return line ? [parseLine(line)] : [];
  }
}

function parseLine(line: string): Record<string, unknown> {
  try {
    const v = JSON.parse(line) as unknown;
    if (v && typeof v === "object" && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    /* not JSON: keep the text */
  }
  return { type: "text", text: line };
}

/** What a run keeps from Claude Code's final `result` event. */
export interface ClaudeResult {
  sessionId?: string;
  isError: boolean;
  subtype?: string;
  result?: string;
  totalCostUsd?: number;
  usage?: Record<string, unknown>;
  numTurns?: number;
  apiErrorStatus?: number;
}

export function readResult(e: Record<string, unknown>): ClaudeResult | undefined {
  if (e.type !== "result") return undefined;
  return {
    sessionId: typeof e.session_id === "string" ? e.session_id : undefined,
    isError: e.is_error === true,
    subtype: typeof e.subtype === "string" ? e.subtype : undefined,
    result: typeof e.result === "string" ? e.result : undefined,
    totalCostUsd: typeof e.total_cost_usd === "number" ? e.total_cost_usd : undefined,
    usage: e.usage && typeof e.usage === "object" ? (e.usage as Record<string, unknown>) : undefined,
    numTurns: typeof e.num_turns === "number" ? e.num_turns : undefined,
    apiErrorStatus: typeof e.api_error_status === "number" ? e.api_error_status : undefined,
  };
}
