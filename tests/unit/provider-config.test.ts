import { describe, expect, test } from "bun:test";
import { buildDeployments } from "../../src/router/deployment.ts";
import { unitPrices } from "../../src/spend/cost.ts";
import type { ModelEntry } from "../../src/config/schema.ts";

const entry = (model_name: string, litellm_params: Record<string, unknown>) => ({ model_name, litellm_params }) as ModelEntry;

describe("provider settings at boot", () => {
  test("Bedrock and Vertex endpoints derive from region/location; env fills unset AWS/Vertex params", () => {
    const { deployments, warnings } = buildDeployments(
      [
        entry("b", { model: "bedrock/anthropic.claude-3-haiku-20240307-v1:0" }),
        entry("v", { model: "vertex_ai/gemini-2.5-pro", vertex_location: "global" }),
        entry("v2", { model: "vertex_ai/claude-sonnet-4-5@20250929" }),
        entry("b2", { model: "bedrock/amazon.nova-pro-v1:0", aws_bedrock_runtime_endpoint: "https://vpce.example" }),
      ],
      { AWS_REGION: "ap-south-1", AWS_ACCESS_KEY_ID: "AKIA1", AWS_SECRET_ACCESS_KEY: "s", VERTEXAI_LOCATION: "europe-west4", VERTEXAI_PROJECT: "p1" },
    );
    expect(warnings).toEqual([]);
    const [b, v, v2, b2] = deployments;
    expect(b!.target.apiBase).toBe("https://bedrock-runtime.ap-south-1.amazonaws.com");
    expect(b!.target.params).toMatchObject({ aws_access_key_id: "AKIA1", aws_secret_access_key: "s", aws_region_name: "ap-south-1" });
    expect(v!.target.apiBase).toBe("https://aiplatform.googleapis.com");
    expect(v2!.target.apiBase).toBe("https://europe-west4-aiplatform.googleapis.com");
    expect(v2!.target.params.vertex_project).toBe("p1");
    expect(b2!.target.apiBase).toBe("https://vpce.example");
  });

  test("forModel picks the API family per model", () => {
    const { deployments } = buildDeployments(
      [entry("a", { model: "vertex_ai/claude-sonnet-4-5@20250929" }), entry("b", { model: "bedrock/meta.llama3-70b-instruct-v1:0" }), entry("c", { model: "bedrock/converse/anthropic.claude-3-haiku-20240307-v1:0" })],
      {},
    );
    const family = (i: number) => {
      const d = deployments[i]!;
      return [...(d.provider.forModel?.(d.upstreamModel) ?? d.provider).native];
    };
    expect(family(0)).toEqual(["anthropic-messages"]);
    expect(family(1)).toEqual(["openai-chat"]);
    expect(family(2)).toEqual(["openai-chat"]);
  });

  test("the embedded price table knows models of each new provider", () => {
    const { deployments } = buildDeployments(
      [
        entry("g", { model: "gemini/gemini-2.5-flash" }),
        entry("v", { model: "vertex_ai/claude-sonnet-4@20250514" }),
        entry("b", { model: "bedrock/us.anthropic.claude-sonnet-4-20250514-v1:0" }),
        entry("z", { model: "azure_ai/gpt-4o", api_base: "https://x.services.ai.azure.com/models" }),
      ],
      {},
    );
    for (const d of deployments) {
      const p = unitPrices(d, d.upstreamModel);
      expect(p.known, d.litellmModel).toBe(true);
      expect(p.input, d.litellmModel).toBeGreaterThan(0);
    }
  });
});
