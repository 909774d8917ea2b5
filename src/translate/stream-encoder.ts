import { zeroUsage, type StopReason, type StreamEvent, type TokenUsage } from "./ir.ts";
import type { StreamEncoder } from "./types.ts";

export type ContentEvent = Exclude<StreamEvent, { type: "start" | "usage" | "stop" | "error" | "end" }>;

/**
 * What every stream encoder keeps track of: the upstream's id, usage as it accumulates (Anthropic
 * reports it in two parts, OpenAI at the end) and the stop reason, which clients only get last.
 */
export abstract class StreamEncoderBase implements StreamEncoder {
  protected upstreamId = "";
  protected readonly usage: TokenUsage = zeroUsage();
  protected stopSequence: string | undefined;
  private stopReason: StopReason = "end";
  private sawTool = false;

  push(e: Exclude<StreamEvent, { type: "error" | "end" }>): string {
    switch (e.type) {
      case "start":
        this.upstreamId ||= e.id;
        return this.opening();
      case "usage":
        Object.assign(this.usage, e.usage);
        return "";
      case "stop":
        this.stopReason = e.reason;
        this.stopSequence = e.sequence;
        return "";
      default:
        if (e.type === "tool_start") this.sawTool = true;
        return this.content(e);
    }
  }

  /** Some servers say "stop" after tool calls; clients decide whether to run tools from the stop reason. */
  protected get stop(): StopReason {
    return this.stopReason === "end" && this.sawTool ? "tool_use" : this.stopReason;
  }

  /**
   * What the client gets as soon as the upstream's stream has started (its first event): the
   * client's time to first byte follows the upstream's, and a failure before it can still fall back.
   */
  protected abstract opening(): string;
  protected abstract content(e: ContentEvent): string;
  abstract finish(): string;
  abstract error(e: Extract<StreamEvent, { type: "error" }>): string;
}
