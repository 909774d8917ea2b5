/** Single-quotes a string for a POSIX shell. */
export function shq(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

export const CLAUDE_CODE_PACKAGE = "@anthropic-ai/claude-code@2.1.197";

export interface ClaudeInvocation {
  claude: string;
  prompt: string;
  sessionId: string;
  resume?: boolean;
  model: string;
  system?: string;
  maxTurns?: number;
  maxBudgetUsd?: number;
}

/** `claude -p … --output-format stream-json --verbose` with the run's session id, as a shell line. */
export function claudeCommand(i: ClaudeInvocation): string {
  const args = [
    i.claude,
    "-p",
    shq(i.prompt),
    "--output-format",
    "stream-json",
    "--verbose",
    i.resume ? "--resume" : "--session-id",
    shq(i.sessionId),
    "--dangerously-skip-permissions",
    "--model",
    shq(i.model),
  ];
  if (i.system) args.push("--append-system-prompt", shq(i.system));
  if (i.maxTurns) args.push("--max-turns", String(i.maxTurns));
  if (i.maxBudgetUsd) args.push("--max-budget-usd", String(i.maxBudgetUsd));
  return `${args.join(" ")} < /dev/null`;
}

/**
 * The environment Claude Code gets in the sandbox: the gateway as its Anthropic endpoint and the
 * run's scoped key. Nothing else from the gateway's own environment is passed.
 */
export function claudeEnv(o: { gatewayUrl: string; runKey: string; model: string; runId: string }): Record<string, string> {
  return {
    ANTHROPIC_BASE_URL: o.gatewayUrl,
    ANTHROPIC_AUTH_TOKEN: o.runKey,
    ANTHROPIC_MODEL: o.model,
    ANTHROPIC_DEFAULT_OPUS_MODEL: o.model,
    ANTHROPIC_DEFAULT_SONNET_MODEL: o.model,
    ANTHROPIC_DEFAULT_HAIKU_MODEL: o.model,
    ANTHROPIC_SMALL_FAST_MODEL: o.model,
    CLAUDE_CODE_SUBAGENT_MODEL: o.model,
    ANTHROPIC_CUSTOM_HEADERS: `x-litellm-run-id: ${o.runId}`,
    IS_SANDBOX: "1",
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
    DISABLE_TELEMETRY: "1",
    DISABLE_AUTOUPDATER: "1",
    DISABLE_ERROR_REPORTING: "1",
    // Enough retries (about 20 s of backoff) to ride over a gateway restart.
    CLAUDE_CODE_MAX_RETRIES: "5",
  };
}

/** Installs Claude Code inside the sandbox when the template lacks it; prints the path to run. */
export function ensureClaudeScript(claude: string): string {
  return [
    `if command -v ${shq(claude)} >/dev/null 2>&1; then command -v ${shq(claude)}; exit 0; fi`,
    `if [ -x "$HOME/.litellm-rust/claude/node_modules/.bin/claude" ]; then echo "$HOME/.litellm-rust/claude/node_modules/.bin/claude"; exit 0; fi`,
    `command -v npm >/dev/null 2>&1 || { echo "Claude Code is not installed and npm is missing" >&2; exit 127; }`,
    `npm install --silent --no-audit --no-fund --prefer-offline --prefix "$HOME/.litellm-rust/claude" ${CLAUDE_CODE_PACKAGE} >&2 || exit 1`,
    `echo "$HOME/.litellm-rust/claude/node_modules/.bin/claude"`,
  ].join("\n");
}
