/**
 * A deployment's regions for `allowed_model_region` routing: its `litellm_params.region_name`, and
 * "eu" or "us" inferred from where the provider settings put it (LiteLLM's `_get_model_region` and
 * `_infer_model_region`): Vertex's `vertex_location`, Bedrock's `aws_region_name`, Azure's
 * `region_name` or a regional endpoint host (`<region>.api.cognitive.microsoft.com`).
 */

/** LiteLLM's per-provider region lists (`get_eu_regions` / `get_us_regions`), matched as substrings. */
const REGIONS: Record<string, { eu: string[]; us: string[] }> = {
  azure: {
    eu: ["europe", "sweden", "switzerland", "france", "uk"],
    us: ["us", "eastus", "eastus2", "eastus2euap", "eastus3", "southcentralus", "westus", "westus2", "westus3", "westus4"],
  },
  vertex_ai: {
    eu: ["europe-central2", "europe-north1", "europe-southwest1", "europe-west1", "europe-west2", "europe-west3", "europe-west4", "europe-west6", "europe-west8", "europe-west9"],
    us: ["us-central1", "us-east1", "us-east4", "us-east5", "us-south1", "us-west1", "us-west4", "us-west5"],
  },
  bedrock: {
    eu: ["eu-west-1", "eu-west-2", "eu-west-3", "eu-central-1"],
    us: ["us-east-2", "us-east-1", "us-west-1", "us-west-2", "us-gov-west-1"],
  },
};

const str = (v: unknown) => (typeof v === "string" && v ? v : undefined);

/** Azure's regional endpoints name the region in the host; resource endpoints (`<name>.openai.azure.com`) do not. */
function azureHostRegion(apiBase: string | undefined): string | undefined {
  if (!apiBase) return undefined;
  try {
    return /^([a-z0-9]+)\.api\.cognitive\.microsoft\.com$/.exec(new URL(apiBase).hostname)?.[1];
  } catch {
    return undefined;
  }
}

/** Where the provider settings place the deployment (`_get_model_region`). */
function location(provider: string, params: Readonly<Record<string, unknown>>, apiBase: string | undefined): string | undefined {
  if (provider === "vertex_ai") return str(params.vertex_location);
  if (provider === "bedrock") return str(params.aws_region_name);
  if (provider === "azure") return str(params.region_name) ?? azureHostRegion(apiBase);
  return undefined;
}

/**
 * "eu"/"us" from a location. Azure's bare "us" is taken as a region-name suffix only (LiteLLM's
 * substring test would also put "australiaeast" in the US).
 */
function bucket(provider: string, loc: string): "eu" | "us" | undefined {
  const lists = REGIONS[provider];
  if (!lists) return undefined;
  const l = loc.toLowerCase();
  if (lists.eu.some((r) => l.includes(r))) return "eu";
  if (lists.us.some((r) => (r === "us" ? /us\d*$/.test(l) : l.includes(r)))) return "us";
  return undefined;
}

/** The regions an allowed region may name to reach this deployment: its `region_name`, and the inferred one. */
export function deploymentRegions(provider: string, params: Readonly<Record<string, unknown>>, apiBase: string | undefined): string[] {
  const out = new Set<string>();
  const given = str(params.region_name);
  if (given) out.add(given);
  const loc = location(provider, params, apiBase);
  const inferred = loc ? bucket(provider, loc) : undefined;
  if (inferred) out.add(inferred);
  return [...out];
}
