import type { FakeLLM } from "../fakes/llm.ts";
import type { GatewayProcess } from "./gateway.ts";

/** One priced OpenAI-format model on the fake, a master key, a database and a spill directory. */
export function spendConfig(opts: { fake: FakeLLM; dbUrl: string; master: string; spillDir: string; batchS: number }) {
  return {
    model_list: [
      {
        model_name: "gpt-test",
        litellm_params: { model: "openai/gpt-upstream", api_base: `${opts.fake.url}/v1`, api_key: "sk-p", input_cost_per_token: 0.001, output_cost_per_token: 0.002 },
      },
    ],
    router_settings: { num_retries: 0 },
    general_settings: { master_key: opts.master, database_url: opts.dbUrl, proxy_batch_write_at: opts.batchS, spend_spill_dir: opts.spillDir },
  };
}

export async function generateKey(gw: GatewayProcess, master: string): Promise<{ key: string; token: string }> {
  const r = await fetch(`${gw.url}/key/generate`, { method: "POST", headers: { authorization: `Bearer ${master}` }, body: "{}" });
  return (await r.json()) as { key: string; token: string };
}
