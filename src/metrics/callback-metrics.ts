import type { DropReason, QueueStats } from "../callbacks/queue.ts";
import { Counter, Gauge, labelKey, type Registry } from "./registry.ts";

/** Delivery counters of the logging callbacks and alerting, per sink. */
export class CallbackMetrics implements QueueStats {
  private readonly sentC: Counter;
  private readonly droppedC: Counter;
  private readonly errorsC: Counter;
  private readonly queuedG: Gauge;

  constructor(registry: Registry) {
    this.sentC = registry.register(new Counter("litellm_rust_callback_events_sent_total", "Events delivered by a logging callback", ["callback"]));
    this.droppedC = registry.register(
      new Counter("litellm_rust_callback_events_dropped_total", "Events a logging callback dropped (queue full, delivery failed after retries, shutdown)", ["callback", "reason"]),
    );
    this.errorsC = registry.register(new Counter("litellm_rust_callback_send_errors_total", "Failed delivery attempts of a logging callback (each retry counts)", ["callback"]));
    this.queuedG = registry.register(new Gauge("litellm_rust_callback_queue_events", "Events waiting in a logging callback's queue", ["callback"]));
  }

  sent(sink: string, n: number): void {
    this.sentC.incKey(sink, n);
  }
  dropped(sink: string, reason: DropReason, n: number): void {
    this.droppedC.incKey(labelKey(sink, reason), n);
  }
  sendError(sink: string): void {
    this.errorsC.incKey(sink);
  }
  queued(sink: string, n: number): void {
    this.queuedG.set({ callback: sink }, n);
  }
}
