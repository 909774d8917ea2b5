#!/usr/bin/env bun
import { parseArgs, USAGE, UsageError } from "./cli/args.ts";
import { raiseFetchLimit } from "./cli/fetch-limit.ts";
import { launch } from "./cli/launch.ts";
import { statusline } from "./cli/statusline.ts";
import { isWorker, runWorkers } from "./cli/workers.ts";
import { ConfigError, loadConfig } from "./config/index.ts";
import { isConnectionError } from "./db/client.ts";
import { isClosedSocketWrite } from "./db/driver-guard.ts";
import { secrets } from "./redaction.ts";
import { BUILD_DATE, GIT_SHA, VERSION } from "./version.ts";

async function main(argv: string[]): Promise<number> {
  if (argv[0] === "statusline") return statusline(argv.slice(1));
  if (argv[0] === "claude" || argv[0] === "codex") return launch(argv[0], argv.slice(1));
  let args;
  try {
    args = parseArgs(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`litellm-rust: ${e.message}\n\n${USAGE}\n`);
      return 2;
    }
    throw e;
  }
  if (args.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (args.version) {
    process.stdout.write(`litellm-rust ${VERSION} (git ${GIT_SHA}, built ${BUILD_DATE})\n`);
    return 0;
  }
  raiseFetchLimit(argv);
  try {
    if (args.numWorkers > 1 && !isWorker()) {
      loadConfig(args.config);
      return await runWorkers(args, argv);
    }
    // Loaded only here, so the process that re-executes itself or supervises workers stays small.
    const { startGateway } = await import("./server.ts");
    const gw = await startGateway(args);
    process.stdout.write(`litellm-rust listening on ${gw.url}\n`);
    const grace = (gw.runtime().config.general.graceful_shutdown_seconds ?? 30) * 1000;
    const shutdown = async () => {
      await gw.shutdown(grace);
      process.exit(0);
    };
    process.on("SIGINT", shutdown);
    process.on("SIGTERM", shutdown);
    process.on("SIGHUP", () => gw.reload());
    const fatal = (e: unknown) => {
      process.stderr.write(`litellm-rust: fatal: ${secrets.redact(e instanceof Error ? (e.stack ?? e.message) : String(e))}\n`);
      process.exit(1);
    };
    process.on("uncaughtException", (e) => {
      if (isClosedSocketWrite(e)) return gw.services.log.warn("database connection closed under a pending write; the driver reconnects", { error: e.message });
      fatal(e);
    });
    // A database statement nobody waits for any more (a lookup raced by another, a background
    // refresh) can fail while Postgres is unreachable; the callers that matter saw the failure.
    process.on("unhandledRejection", (e) => {
      if (isConnectionError(e)) return gw.services.log.warn("database unreachable: a statement no request waits for failed", { error: (e as Error).message });
      fatal(e);
    });
    return -1;
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`litellm-rust: config error: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
}

const code = await main(process.argv.slice(2));
if (code >= 0) process.exit(code);
