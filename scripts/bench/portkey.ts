import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export const PORTKEY_VERSION = "1.15.2";
/** Portkey streams only with this @hono/node-server (later versions buffer SSE on Node). */
export const HONO_NODE_SERVER = "1.13.8";

/**
 * Installs Portkey's gateway into `dir` (outside the project's dependencies), pinning
 * @hono/node-server for every dependent through npm overrides. Returns its start script.
 */
export function ensurePortkey(dir: string): { entry?: string; note?: string } {
  const entry = join(dir, "node_modules/@portkey-ai/gateway/build/start-server.js");
  const nested = join(dir, "node_modules/@portkey-ai/gateway/node_modules/@hono/node-server");
  if (existsSync(entry) && !existsSync(nested)) return { entry };
  if (!Bun.which("node") || !Bun.which("npm")) return { note: "needs node and npm (apt-get install -y nodejs npm)" };
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, "package.json"),
    JSON.stringify({
      private: true,
      dependencies: { "@portkey-ai/gateway": PORTKEY_VERSION, "@hono/node-server": HONO_NODE_SERVER },
      overrides: { "@hono/node-server": HONO_NODE_SERVER },
    }),
  );
  process.stderr.write(`installing @portkey-ai/gateway@${PORTKEY_VERSION} into ${dir} ...\n`);
  const r = Bun.spawnSync(["npm", "install", "--no-audit", "--no-fund", "--ignore-scripts"], { cwd: dir, stdout: "pipe", stderr: "pipe" });
  if (r.exitCode !== 0 || !existsSync(entry)) return { note: `npm install failed: ${r.stderr.toString().slice(-300)}` };
  return { entry };
}
