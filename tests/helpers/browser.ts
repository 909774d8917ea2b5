import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";

export const CHROMIUM = "/usr/bin/chromium";

export interface TestBrowser {
  context: BrowserContext;
  page: Page;
  /** Uncaught page errors and console errors seen so far. */
  errors: string[];
  close(): Promise<void>;
}

/** Starts Chromium with DevTools on a free port and returns its WebSocket address. */
async function startChromium(dir: string): Promise<{ proc: ReturnType<typeof Bun.spawn>; ws: string }> {
  const proc = Bun.spawn(
    [
      CHROMIUM,
      "--headless",
      "--remote-debugging-port=0",
      "--remote-debugging-address=127.0.0.1",
      `--user-data-dir=${dir}`,
      "--no-sandbox",
      "--disable-gpu",
      "--no-first-run",
      "--no-default-browser-check",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--disable-dev-shm-usage",
      "about:blank",
    ],
    { stdin: "ignore", stdout: "ignore", stderr: "pipe" },
  );
  let seen = "";
  const dec = new TextDecoder();
  const reader = (proc.stderr as ReadableStream<Uint8Array>).getReader();
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const next = await Promise.race([reader.read(), Bun.sleep(deadline - Date.now()).then(() => undefined)]);
    if (!next || next.done) break;
    seen += dec.decode(next.value);
    const m = /DevTools listening on (ws:\/\/\S+)/.exec(seen);
    if (m) {
      // Chromium keeps writing to stderr: drain it so it never blocks on a full pipe.
      void (async () => {
        while (!(await reader.read().catch(() => ({ done: true }))).done);
      })();
      return { proc, ws: m[1]! };
    }
  }
  proc.kill();
  throw new Error(`Chromium did not start: ${seen.slice(-2000)}`);
}

/**
 * Debian's Chromium, headless, with a fresh profile that is deleted on close. Playwright talks to it
 * over a DevTools WebSocket, not over the extra stdio pipes of `--remote-debugging-pipe`.
 */
export async function launchBrowser(viewport = { width: 1280, height: 800 }): Promise<TestBrowser> {
  const dir = mkdtempSync(join(tmpdir(), "lr-chromium-"));
  const { proc, ws } = await startChromium(dir);
  let browser: Browser;
  try {
    browser = await chromium.connectOverCDP(ws);
  } catch (e) {
    proc.kill();
    throw e;
  }
  const context = browser.contexts()[0]!;
  const page = context.pages()[0] ?? (await context.newPage());
  await page.setViewportSize(viewport);
  // Below the tests' own timeouts: a step that hangs fails with its name, and the test fails alone
  // (a test that times out in bun has the processes it started killed, failing every later test).
  context.setDefaultTimeout(20_000);
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(`pageerror: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(`console: ${m.text()}`);
  });
  page.on("dialog", (d) => void d.accept());
  return {
    context,
    page,
    errors,
    async close() {
      await browser.close().catch(() => {});
      proc.kill();
      await proc.exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
