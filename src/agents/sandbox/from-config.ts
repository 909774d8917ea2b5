import type { GatewayConfig } from "../../config/index.ts";
import type { DaytonaProvider } from "./daytona.ts";
import type { E2BProvider } from "./e2b.ts";
import type { SandboxProvider } from "./types.ts";

/**
 * The sandbox providers configured in `general_settings.e2b_sandbox_params` /
 * `daytona_sandbox_params`. A provider needs its API key in config (`os.environ/...` works):
 * without one the SDKs would fall back to reading env vars themselves.
 */
const u = (s: string | null | undefined) => s ?? undefined;

// The SDKs are large (about 60 MB of resident memory together): loaded only when configured, and
// split out of the binary's main chunk (`bun build --splitting`), so they are not even parsed otherwise.
const loadE2B = async (): Promise<typeof E2BProvider> => (await import("./e2b.ts")).E2BProvider;
const loadDaytona = async (): Promise<typeof DaytonaProvider> => (await import("./daytona.ts")).DaytonaProvider;

export async function sandboxProviders(config: GatewayConfig): Promise<Map<string, SandboxProvider>> {
  const out = new Map<string, SandboxProvider>();
  const e = config.general.e2b_sandbox_params;
  if (e?.e2b_api_key) {
    out.set("e2b", new (await loadE2B())({ apiKey: e.e2b_api_key, apiUrl: u(e.e2b_api_url), domain: u(e.e2b_domain), sandboxUrl: u(e.e2b_sandbox_url), template: u(e.e2b_template) }));
  }
  const d = config.general.daytona_sandbox_params;
  if (d?.daytona_api_key) {
    out.set(
      "daytona",
      new (await loadDaytona())({
        apiKey: d.daytona_api_key,
        apiUrl: u(d.daytona_api_url),
        target: u(d.daytona_target),
        snapshot: u(d.snapshot),
        useDeprecatedPolling: d.use_polling ?? undefined,
      }),
    );
  }
  return out;
}
