/**
 * The UI's browser script, served as `(${uiClient})()`. It must stay self-contained: it is shipped as
 * its own source text, so it may use only browser globals and what it declares inside itself.
 * Pages work without it; it adds confirmations, copy buttons, local times and live run output.
 */
export function uiClient(): void {
  const $$ = <T extends Element>(sel: string, root: ParentNode = document): T[] => Array.from(root.querySelectorAll<T>(sel));

  for (const form of $$<HTMLFormElement>("form")) {
    form.addEventListener("submit", (e) => {
      const question = form.dataset.confirm;
      if (question && !window.confirm(question)) {
        e.preventDefault();
        return;
      }
      for (const b of $$<HTMLButtonElement>("button[type=submit],button:not([type])", form)) {
        b.disabled = true;
        b.dataset.label = b.textContent ?? "";
        if (form.method.toLowerCase() === "post") b.textContent = "Working…";
      }
    });
  }
  window.addEventListener("pageshow", () => {
    for (const b of $$<HTMLButtonElement>("button[data-label]")) {
      b.disabled = false;
      b.textContent = b.dataset.label ?? b.textContent;
    }
  });

  for (const btn of $$<HTMLButtonElement>("button[data-copy]")) {
    btn.hidden = false;
    btn.addEventListener("click", async () => {
      const target = document.querySelector(btn.dataset.copy ?? "");
      if (!target) return;
      try {
        await navigator.clipboard.writeText(target.textContent ?? "");
        btn.textContent = "Copied";
      } catch {
        const range = document.createRange();
        range.selectNodeContents(target);
        const sel = window.getSelection();
        sel?.removeAllRanges();
        sel?.addRange(range);
        btn.textContent = "Selected: press Ctrl+C";
      }
    });
  }

  for (const t of $$<HTMLTimeElement>("time[datetime][data-local]")) {
    const d = new Date(t.dateTime);
    if (!Number.isNaN(d.getTime())) {
      t.title = t.textContent ?? "";
      t.textContent = d.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
    }
  }

  const refresh = document.querySelector<HTMLElement>("[data-refresh]");
  if (refresh) {
    const seconds = Number(refresh.dataset.refresh) || 5;
    window.setTimeout(function again() {
      if (document.visibilityState === "visible" && !document.querySelector("input:focus,select:focus,textarea:focus")) window.location.reload();
      else window.setTimeout(again, seconds * 1000);
    }, seconds * 1000);
  }

  const log = document.querySelector<HTMLElement>("#run-log[data-events]");
  if (!log) return;
  const status = document.querySelector<HTMLElement>("#run-status");
  const placeholder = log.querySelector<HTMLElement>(".placeholder");
  const line = (cls: string, text: string) => {
    placeholder?.remove();
    const div = document.createElement("div");
    div.className = `ev ${cls}`;
    div.textContent = text;
    const stick = log.scrollTop + log.clientHeight >= log.scrollHeight - 24;
    log.appendChild(div);
    if (stick) log.scrollTop = log.scrollHeight;
  };
  const clip = (s: string, n = 1500) => (s.length > n ? `${s.slice(0, n)}… (${s.length - n} more characters)` : s);
  const textOf = (v: unknown): string => {
    if (typeof v === "string") return v;
    if (Array.isArray(v)) return v.map((x: { text?: unknown }) => (typeof x?.text === "string" ? x.text : "")).join("");
    return v === undefined || v === null ? "" : JSON.stringify(v);
  };
  const setStatus = (s: string) => {
    if (!status) return;
    status.textContent = s;
    status.className = `badge ${s === "succeeded" ? "ok" : s === "failed" || s === "timed_out" || s === "cancelled" ? "bad" : "warn"}`;
  };
  type Block = { type?: string; text?: string; thinking?: string; name?: string; input?: unknown; content?: unknown; is_error?: boolean };
  let lastText = "";
  const claudeEvent = (d: Record<string, unknown>) => {
    const msg = (d.message ?? {}) as { content?: Block[]; model?: string };
    if (d.type === "system" && d.subtype === "init") return line("t-status", `● Claude Code session ${String(d.session_id ?? "")} · model ${String(d.model ?? "")}`);
    if (d.type === "assistant") {
      for (const b of msg.content ?? []) {
        if (b.type === "text" && b.text) line("t-text", (lastText = b.text));
        else if (b.type === "thinking" && b.thinking) line("t-dim", `(thinking) ${clip(b.thinking, 400)}`);
        else if (b.type === "tool_use") line("t-tool", `▸ ${String(b.name)} ${clip(JSON.stringify(b.input ?? {}), 400)}`);
      }
      return;
    }
    if (d.type === "user") {
      for (const b of msg.content ?? []) if (b.type === "tool_result") line(b.is_error ? "t-err" : "t-dim", `  ⎿ ${clip(textOf(b.content))}`);
      return;
    }
    if (d.type === "result") {
      const cost = typeof d.total_cost_usd === "number" ? ` · $${d.total_cost_usd.toFixed(6)}` : "";
      line(d.is_error ? "t-err" : "t-result", `${d.is_error ? "✗" : "✓"} result after ${String(d.num_turns ?? "?")} turns${cost}`);
      if (typeof d.result === "string" && d.result && d.result !== lastText) line("t-text", d.result);
      return;
    }
    line("t-dim", clip(JSON.stringify(d), 600));
  };

  let finished = false;
  const es = new EventSource(log.dataset.events ?? "");
  const on = (type: string, fn: (d: Record<string, unknown>) => void) =>
    es.addEventListener(type, (e) => {
      try {
        fn(JSON.parse((e as MessageEvent<string>).data) as Record<string, unknown>);
      } catch {
        /* a frame that is not JSON is skipped */
      }
    });
  on("run.queued", () => line("t-status", "● queued"));
  on("run.started", (d) => {
    setStatus("running");
    line("t-status", `● started · ${String(d.model ?? "")} in ${String(d.sandbox ?? "a sandbox")}`);
  });
  on("sandbox.created", (d) => line("t-status", `● sandbox ${String(d.sandbox_id ?? "")} (${String(d.provider ?? "")}) ready`));
  on("output.delta", claudeEvent);
  on("output.stderr", (d) => line("t-err", textOf(d.text ?? d.chunk ?? d)));
  on("memory.loaded", () => line("t-status", "● memory loaded"));
  on("memory.saved", () => line("t-status", "● memory saved"));
  on("artifacts.saved", (d) => line("t-status", `● artifacts saved ${textOf(d.count ?? "")}`));
  const end = (d: Record<string, unknown>, ok: boolean) => {
    finished = true;
    es.close();
    const s = String(d.status ?? (ok ? "succeeded" : "failed"));
    setStatus(s);
    line(ok ? "t-result" : "t-err", ok ? `● run ${s}` : `● run ${s}${d.error ? `: ${String(d.error)}` : ""}`);
    if (log.dataset.live === "1") window.setTimeout(() => window.location.reload(), 1200);
  };
  on("run.completed", (d) => end(d, true));
  on("run.failed", (d) => end(d, false));
  es.addEventListener("stream.end", () => {
    es.close();
    if (!finished) line("t-dim", "● stream closed");
  });
  es.addEventListener("error", () => {
    if (!finished && es.readyState === EventSource.CLOSED) line("t-err", "● connection lost; reload the page to reconnect");
  });
}
