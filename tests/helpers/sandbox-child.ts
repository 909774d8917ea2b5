/**
 * A stand-in gateway process for the reattach tests: creates a sandbox through a provider, starts
 * one command in it and reports on stdout, one JSON object a line, `{sandbox}`, `{handle}`, then
 * `{stdout}` / `{stderr}` chunks and `{exit}`. The test SIGKILLs it mid-command, which leaves the
 * sandbox and the command exactly as a dying gateway would.
 * Usage: `bun tests/helpers/sandbox-child.ts '<ChildProvider json>' '<command>'`.
 */
import type { Subprocess } from "bun";
import { DaytonaProvider, type DaytonaProviderOptions } from "../../src/agents/sandbox/daytona.ts";
import { E2BProvider, type E2BProviderOptions } from "../../src/agents/sandbox/e2b.ts";
import type { CommandHandle, SandboxProvider } from "../../src/agents/sandbox/types.ts";

export type ChildProvider = { name: "e2b"; opts: E2BProviderOptions } | { name: "daytona"; opts: DaytonaProviderOptions };

export const makeProvider = (p: ChildProvider): SandboxProvider => (p.name === "e2b" ? new E2BProvider(p.opts) : new DaytonaProvider(p.opts));

type Message = { sandbox?: string; handle?: CommandHandle; stdout?: string; stderr?: string; exit?: number };

export interface Child {
  messages: Message[];
  stdout(): string;
  /** Resolves with the first message (from the start) that `pred` accepts. */
  waitFor(pred: (m: Message) => boolean, timeoutMs?: number): Promise<Message>;
  /** SIGKILL, as a crashing gateway: nothing of the provider's cleanup runs. */
  crash(): Promise<void>;
}

export function startChild(provider: ChildProvider, command: string): Child {
  const proc: Subprocess<"ignore", "pipe", "inherit"> = Bun.spawn([process.execPath, import.meta.path, JSON.stringify(provider), command], { stdout: "pipe", stderr: "inherit" });
  const messages: Message[] = [];
  void (async () => {
    let buf = "";
    for await (const chunk of proc.stdout.pipeThrough(new TextDecoderStream())) {
      buf += chunk;
      let nl: number;
      while ((nl = buf.indexOf("\n")) >= 0) {
        messages.push(JSON.parse(buf.slice(0, nl)) as Message);
        buf = buf.slice(nl + 1);
      }
    }
  })();
  return {
    messages,
    stdout: () => messages.map((m) => m.stdout ?? "").join(""),
    async waitFor(pred, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = messages.find(pred);
        if (found) return found;
        if (proc.exitCode !== null || Date.now() > deadline) throw new Error(`child: no such message (exit ${proc.exitCode}); got ${JSON.stringify(messages)}`);
        await Bun.sleep(10);
      }
    },
    async crash() {
      proc.kill("SIGKILL");
      await proc.exited;
    },
  };
}

if (import.meta.main) {
  const [spec, command] = process.argv.slice(2) as [string, string];
  const say = (m: Message) => process.stdout.write(`${JSON.stringify(m)}\n`);
  const sb = await makeProvider(JSON.parse(spec) as ChildProvider).create({ timeoutMs: 120_000 });
  say({ sandbox: sb.id });
  const { exitCode } = await sb.run(command, {
    onStart: (handle) => say({ handle }),
    onStdout: (stdout) => say({ stdout }),
    onStderr: (stderr) => say({ stderr }),
  });
  say({ exit: exitCode });
  await sb.kill();
}
