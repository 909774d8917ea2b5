export interface CliArgs {
  config?: string;
  port: number;
  host: string;
  numWorkers: number;
  /** `--keepalive_timeout` / KEEPALIVE_TIMEOUT: seconds an idle keep-alive connection stays open. */
  keepaliveTimeout?: number;
  /** `--limit_concurrency` / LIMIT_CONCURRENCY: requests served at once before answering 503. */
  limitConcurrency?: number;
  detailedDebug: boolean;
  debug: boolean;
  version: boolean;
  help: boolean;
  /** LiteLLM flags accepted for compatibility but without effect here. */
  ignored: string[];
}

/** LiteLLM CLI flags that take a value; accepted and noted, not acted on. */
const LITELLM_VALUE_FLAGS = new Set([
  "--api_base", "--api_version", "--model", "--alias", "--add_key", "--headers", "--temperature", "--max_tokens",
  "--request_timeout", "--max_budget", "--ssl_keyfile_path", "--ssl_certfile_path",
  "--log_config", "--max_requests_before_restart", "--ciphers", "--num_requests", "--iam_token_db_auth",
  "--use_queue", "--run_gunicorn", "--run_hypercorn", "--telemetry", "--save",
]);
const LITELLM_BOOL_FLAGS = new Set([
  "--drop_params", "--add_function_to_prompt", "--test", "--health", "--local", "--skip_server_startup",
  "--use_prisma_migrate", "--use_prisma_db_push", "--test_async", "--logs", "--reload", "--use_prisma_migrate",
  "--disable_prisma_schema_update",
]);

export const USAGE = `Usage: litellm-rust [options]
       litellm-rust claude [args...]   run Claude Code against a gateway
       litellm-rust codex [args...]    run Codex against a gateway
         (--gateway-url URL --gateway-key KEY, or LITELLM_RUST_URL / LITELLM_RUST_API_KEY, or
          saved in ~/.config/litellm-rust/launcher.json on first use; --reset forgets them;
          claude also gets a status line with the session's gateway cost unless --no-statusline)
       litellm-rust statusline         Claude Code status-line command: the session's cost, tokens,
                                       cache hit rate and routed model, read from the gateway

Options:
  -c, --config PATH     LiteLLM config.yaml to load
  -p, --port PORT       port to listen on (default 4000; 0 picks a free port)
      --host HOST       address to bind (default 0.0.0.0)
      --num_workers N   processes sharing the port (default 1)
      --keepalive_timeout S   close keep-alive connections idle for S seconds (default 60, 0 = never)
      --limit_concurrency N   answer 503 beyond N requests in flight on an instance (default: none)
      --detailed_debug  log request traces (secrets redacted)
      --debug           log debug lines
  -v, --version         print version, git sha and build date
  -h, --help            this help
Other LiteLLM CLI flags are accepted and noted at start-up.`;

export class UsageError extends Error {}

function count(name: string, v: string, min: number): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`${name} expects an integer of at least ${min}, got "${v}"`);
  return n;
}

export function parseArgs(argv: string[], env: Record<string, string | undefined> = process.env): CliArgs {
  const out: CliArgs = {
    config: env.CONFIG_FILE_PATH || undefined,
    port: Number(env.PORT ?? 4000),
    host: env.HOST ?? "0.0.0.0",
    numWorkers: Number(env.NUM_WORKERS ?? 1),
    keepaliveTimeout: env.KEEPALIVE_TIMEOUT ? count("KEEPALIVE_TIMEOUT", env.KEEPALIVE_TIMEOUT, 0) : undefined,
    limitConcurrency: env.LIMIT_CONCURRENCY ? count("LIMIT_CONCURRENCY", env.LIMIT_CONCURRENCY, 1) : undefined,
    detailedDebug: false,
    debug: false,
    version: false,
    help: false,
    ignored: [],
  };
  for (let i = 0; i < argv.length; i++) {
    let arg = argv[i]!;
    let inline: string | undefined;
    const eq = arg.indexOf("=");
    if (arg.startsWith("--") && eq > 0) {
      inline = arg.slice(eq + 1);
      arg = arg.slice(0, eq);
    }
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new UsageError(`${arg} needs a value`);
      return v;
    };
    switch (arg) {
      case "-c":
      case "--config":
        out.config = value();
        break;
      case "-p":
      case "--port": {
        const v = value();
        out.port = Number(v);
        if (!Number.isInteger(out.port) || out.port < 0 || out.port > 65535) throw new UsageError(`--port expects a port number, got "${v}"`);
        break;
      }
      case "--host":
        out.host = value();
        break;
      case "--num_workers": {
        const v = value();
        out.numWorkers = Number(v);
        if (!Number.isInteger(out.numWorkers) || out.numWorkers < 1) throw new UsageError(`--num_workers expects a positive integer, got "${v}"`);
        break;
      }
      case "--keepalive_timeout":
        out.keepaliveTimeout = count(arg, value(), 0);
        break;
      case "--limit_concurrency":
        out.limitConcurrency = count(arg, value(), 1);
        break;
      case "--detailed_debug":
        out.detailedDebug = true;
        out.debug = true;
        break;
      case "--debug":
        out.debug = true;
        break;
      case "-v":
      case "--version":
        out.version = true;
        break;
      case "-h":
      case "--help":
        out.help = true;
        break;
      default:
        if (LITELLM_VALUE_FLAGS.has(arg)) {
          const next = inline ?? argv[i + 1];
          if (inline === undefined && next !== undefined && !next.startsWith("--")) i++;
          out.ignored.push(arg);
        } else if (LITELLM_BOOL_FLAGS.has(arg)) {
          out.ignored.push(arg);
        } else {
          throw new UsageError(`unknown option ${arg}`);
        }
    }
  }
  return out;
}
