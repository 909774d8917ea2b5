import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Target } from "../types.ts";
import { loadCredentials, type GoogleCredentials } from "./credentials.ts";

/** Env vars Application Default Credentials read, captured at boot into `params["env:NAME"]`. */
export const ADC_ENV = ["HOME", "APPDATA", "CLOUDSDK_CONFIG", "GCE_METADATA_HOST", "GCE_METADATA_ROOT"] as const;

export const METADATA_HOST = "metadata.google.internal";

const str = (v: unknown) => (typeof v === "string" && v ? v : undefined);

/** gcloud's `application_default_credentials.json` ($CLOUDSDK_CONFIG, else ~/.config/gcloud, %APPDATA%\gcloud on Windows). */
export function wellKnownFile(p: Readonly<Record<string, unknown>>): string {
  const dir = str(p["env:CLOUDSDK_CONFIG"]) ?? (process.platform === "win32" && str(p["env:APPDATA"]) ? join(str(p["env:APPDATA"])!, "gcloud") : join(str(p["env:HOME"]) ?? "", ".config", "gcloud"));
  return join(dir, "application_default_credentials.json");
}

export const metadataHost = (p: Readonly<Record<string, unknown>>) => str(p["env:GCE_METADATA_HOST"]) ?? str(p["env:GCE_METADATA_ROOT"]) ?? METADATA_HOST;

const found = new Map<string, GoogleCredentials>();

/**
 * Application Default Credentials when neither `vertex_credentials` nor GOOGLE_APPLICATION_CREDENTIALS
 * is set: gcloud's well-known file, else the GCE metadata server.
 */
export function defaultCredentials(t: Target): GoogleCredentials {
  const file = wellKnownFile(t.params);
  const host = metadataHost(t.params);
  const key = `${file}|${host}`;
  let hit = found.get(key);
  if (!hit) {
    hit = existsSync(file) ? loadCredentials(file) : { type: "gce_metadata", host };
    found.set(key, hit);
  }
  return hit;
}
