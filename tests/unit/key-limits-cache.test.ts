import { expect, test } from "bun:test";
import { addKeyHeaders, keyLimitsOf } from "../../src/auth/key-headers.ts";
import { keyRecordFrom } from "../../src/auth/key-record.ts";
import { limitDescriptors } from "../../src/auth/limit-descriptors.ts";
import type { AuthContext } from "../../src/auth/types.ts";
import { SpendBook } from "../../src/spend/book.ts";

const record = (book: SpendBook, k: Record<string, unknown>) => keyRecordFrom({ k: { token: "hash-1", spend: 2, ...k } }, book);

function headersOf(auth: AuthContext, cost: number): Record<string, string> {
  const h: Record<string, string> = {};
  addKeyHeaders(h, auth, cost);
  return h;
}

test("a key's limit headers are made once per record, with the live spend, and a changed key gets its new values", () => {
  const book = new SpendBook();
  const rec = record(book, { max_budget: 1e9, tpm_limit: 1e12 });
  const auth: AuthContext = { kind: "virtual_key", role: "internal_user", keyLimits: keyLimitsOf(rec), admission: { plan: { limits: [], budgets: [] }, status: { limitTokens: 1e12, remainingTokens: 999 } } };
  expect(keyLimitsOf(rec)).toBe(auth.keyLimits!);
  expect(headersOf(auth, 0.5)).toEqual({
    "x-litellm-key-spend": "2.5",
    "x-litellm-key-max-budget": "1000000000",
    "x-litellm-key-tpm-limit": "1000000000000",
    "x-ratelimit-limit-tokens": "1000000000000",
    "x-ratelimit-remaining-tokens": "999",
  });
  book.add("key:hash-1", 1);
  expect(headersOf(auth, 0)["x-litellm-key-spend"]).toBe("3");

  const changed = record(book, { max_budget: 5, rpm_limit: 7 });
  expect(headersOf({ kind: "virtual_key", role: "internal_user", keyLimits: keyLimitsOf(changed) }, 0)).toEqual({
    "x-litellm-key-spend": "3",
    "x-litellm-key-max-budget": "5",
    "x-litellm-key-rpm-limit": "7",
  });
});

test("a key's rate-limit descriptors are shared between its calls unless a per-model or end-user limit adds one", () => {
  const rec = record(new SpendBook(), { tpm_limit: 100, metadata: { model_rpm_limit: { "gpt-x": 3 } } });
  const plain = limitDescriptors(rec, null, "bench");
  expect(plain).toEqual([{ name: "api_key", value: "hash-1", rpm: undefined, tpm: 100, maxParallel: undefined }]);
  expect(limitDescriptors(rec, null, "other")).toBe(plain);
  expect(limitDescriptors(rec, null, "gpt-x")).toEqual([...plain, { name: "model_per_key", value: "hash-1:gpt-x", rpm: 3, tpm: undefined }]);
  const endUser = { id: "u1", blocked: false, spend: { value: 0 }, budget: { rpm: 9 } };
  expect(limitDescriptors(rec, endUser, "bench")).toEqual([...plain, { name: "end_user", value: "u1", rpm: 9, tpm: undefined }]);
  expect(plain).toHaveLength(1);
  expect(limitDescriptors(record(new SpendBook(), {}), null, "bench")).toEqual([]);
});
