import { describe, expect, test } from "bun:test";
import { csvCell } from "../../src/ui/pages/spend.tsx";
import { metricTotals } from "../../src/ui/pages/overview.tsx";
import { Sealer } from "../../src/ui/session.ts";

describe("UI session sealing", () => {
  const s = new Sealer("sk-master-1");
  const session = { key: "sk-master-1", sid: "abc", exp: 1 };

  test("round-trips, and the key is not readable in the sealed value", () => {
    const sealed = s.seal("litellm_ui_session", session);
    expect(s.open("litellm_ui_session", sealed)).toEqual(session);
    expect(Buffer.from(sealed, "base64url").toString("latin1")).not.toContain("sk-master-1");
    expect(s.seal("litellm_ui_session", session)).not.toBe(sealed);
  });

  test("a tampered value, another purpose or another master key does not open", () => {
    const sealed = s.seal("litellm_ui_session", session);
    const raw = Buffer.from(sealed, "base64url");
    raw[raw.length - 1]! ^= 1;
    expect(s.open("litellm_ui_session", raw.toString("base64url"))).toBeUndefined();
    expect(s.open("litellm_ui_flash", sealed)).toBeUndefined();
    expect(new Sealer("sk-master-2").open("litellm_ui_session", sealed)).toBeUndefined();
    expect(s.open("litellm_ui_session", "garbage")).toBeUndefined();
  });

  test("CSRF tokens are bound to the session id and to the master key", () => {
    const t = s.csrfToken("sid-1");
    expect(s.checkCsrf("sid-1", t)).toBe(true);
    expect(s.checkCsrf("sid-2", t)).toBe(false);
    expect(new Sealer("sk-master-2").checkCsrf("sid-1", t)).toBe(false);
    expect(s.checkCsrf("sid-1", undefined)).toBe(false);
    expect(s.checkCsrf("sid-1", `${t}x`)).toBe(false);
  });
});

describe("UI helpers", () => {
  test("CSV cells are quoted when needed and formulas are defused", () => {
    expect(csvCell("plain")).toBe("plain");
    expect(csvCell('a,"b"')).toBe('"a,""b"""');
    expect(csvCell("=HYPERLINK(1)")).toBe("'=HYPERLINK(1)");
    expect(csvCell("-0.5")).toBe("-0.5");
    expect(csvCell(null)).toBe("");
    expect(csvCell({ a: 1 })).toBe('"{""a"":1}"');
  });

  test("totals since start are read from the Prometheus series by model group", () => {
    const text = [
      'litellm_proxy_total_requests_metric{model="gpt-4o",model_group="gpt",model_id="x",api_provider="openai",route="/v1/chat/completions",status_code="200"} 3',
      'litellm_proxy_total_requests_metric{model="gpt-4o",model_group="gpt",model_id="x",api_provider="openai",route="/v1/chat/completions",status_code="429"} 1',
      'litellm_spend_metric{model="gpt-4o",model_group="gpt",model_id="x",api_provider="openai",route="/v1/chat/completions",hashed_api_key="h",team=""} 0.25',
    ].join("\n");
    expect(metricTotals(text)).toEqual([{ model: "gpt", requests: 4, errors: 1, spend: 0.25 }]);
  });
});
