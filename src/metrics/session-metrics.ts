import type { LiveSessions } from "../sessions/live.ts";
import type { GatewayMetrics } from "./gateway-metrics.ts";
import { Histogram } from "./registry.ts";

const SPEND_BUCKETS_USD = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 25, 50, 100];
const DURATION_BUCKETS_S = [60, 300, 600, 1800, 3600, 7200, 14400, 28800, 86400];

/**
 * Coding-session series: sessions active now and their spend so far (gauges, per client kind), and
 * ended sessions' spend and duration (histograms, observed when a session has been idle for the
 * active window).
 */
export function registerSessionMetrics(metrics: GatewayMetrics, live: LiveSessions): void {
  const spend = metrics.registry.register(new Histogram("litellm_rust_coding_session_spend_usd", "Spend of ended coding sessions in USD (this instance's calls)", ["client"], SPEND_BUCKETS_USD));
  const duration = metrics.registry.register(new Histogram("litellm_rust_coding_session_duration_seconds", "First to last call of ended coding sessions in seconds", ["client"], DURATION_BUCKETS_S));
  live.onEnded = (s) => {
    spend.observe({ client: s.client }, s.spend);
    duration.observe({ client: s.client }, s.durationS);
  };
  metrics.gauge("litellm_rust_coding_sessions_active", "Coding sessions with a call in the last 10 minutes, by client", ["client"], () =>
    [...live.active()].map(([client, a]) => [{ client }, a.count]),
  );
  metrics.gauge("litellm_rust_coding_sessions_active_spend_usd", "Spend so far of the active coding sessions in USD, by client", ["client"], () =>
    [...live.active()].map(([client, a]) => [{ client }, a.spend]),
  );
}
