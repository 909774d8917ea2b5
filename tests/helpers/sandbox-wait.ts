/** Waiting and error helpers shared by the sandbox tests. */
import { expect } from "bun:test";
import { SandboxError } from "../../src/agents/sandbox/errors.ts";

export async function until(cond: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await Bun.sleep(20);
  }
}

/** The `SandboxError` the promise rejects with (the test fails if it resolves or rejects otherwise). */
export async function rejection(p: Promise<unknown>): Promise<SandboxError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SandboxError);
  return err as SandboxError;
}
