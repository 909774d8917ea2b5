import { describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT } from "../helpers/gateway.ts";

const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string };

function run(cmd: string[], env: Record<string, string> = {}) {
  const r = Bun.spawnSync(cmd, { cwd: ROOT, env: { ...process.env, ...env }, stdout: "pipe", stderr: "pipe" });
  return { code: r.exitCode, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

describe("release builds", () => {
  test("bun run release produces a runnable binary for this platform and a matching SHA256SUMS", () => {
    const out = mkdtempSync(join(tmpdir(), "lr-release-"));
    const r = run([process.execPath, "scripts/release.ts", "--targets", "linux-x64", "--out", out]);
    expect(r.code, r.stderr).toBe(0);
    const file = join(out, `litellm-rust-${pkg.version}-linux-x64`);
    const v = run([file, "--version"]);
    expect(v.code).toBe(0);
    expect(v.stdout).toMatch(new RegExp(`^litellm-rust ${pkg.version.replace(/\./g, "\\.")} \\(git [0-9a-f]{7,}, built 20\\d\\d-`));
    const sums = readFileSync(join(out, "SHA256SUMS"), "utf8").trim().split("\n");
    expect(sums.length).toBe(1);
    const [digest, name] = sums[0]!.split(/\s+/);
    expect(name).toBe(`litellm-rust-${pkg.version}-linux-x64`);
    expect(createHash("sha256").update(readFileSync(file)).digest("hex")).toBe(digest!);
  }, 120_000);
});

describe("systemd install", () => {
  test("install.sh writes binary, config, a mode-600 env file and a unit that systemd-analyze accepts", async () => {
    const build = run([process.execPath, "scripts/build.ts", "--outfile", join(mkdtempSync(join(tmpdir(), "lr-bin-")), "litellm-rust")]);
    expect(build.code, build.stderr).toBe(0);
    const binary = /built (\S+)/.exec(build.stdout)![1]!;
    const root = mkdtempSync(join(tmpdir(), "lr-root-"));
    const inst = run(["bash", "scripts/install.sh", "--binary", binary, "--root", root, "--port", "0", "--host", "127.0.0.1"]);
    expect(inst.code, inst.stderr).toBe(0);
    const unitPath = join(root, "etc/systemd/system/litellm-rust.service");
    const unit = readFileSync(unitPath, "utf8");
    for (const line of ["DynamicUser=yes", "ProtectSystem=strict", "NoNewPrivileges=yes", "Restart=on-failure", "LimitNOFILE=65536", "ExecReload=/bin/kill -HUP $MAINPID"]) {
      expect(unit).toContain(line);
    }
    expect(statSync(join(root, "etc/litellm-rust/env")).mode & 0o777).toBe(0o600);
    const verify = run(["systemd-analyze", "verify", unitPath]);
    expect(verify.code).toBe(0);
    expect(verify.stderr.trim()).toBe("");

    writeFileSync(join(root, "etc/litellm-rust/config.yaml"), "model_list:\n  - model_name: kept\n    litellm_params: { model: openai/x, mock_response: kept-config }\n");
    expect(run(["bash", "scripts/install.sh", "--binary", binary, "--root", root, "--port", "0", "--host", "127.0.0.1"]).code).toBe(0);
    expect(readFileSync(join(root, "etc/litellm-rust/config.yaml"), "utf8")).toContain("kept-config");

    const exec = /^ExecStart=(.+)$/m.exec(unit)![1]!.split(" ");
    const proc = Bun.spawn(exec, { stdout: "pipe", stderr: "pipe" });
    try {
      const reader = (proc.stdout as ReadableStream<Uint8Array>).getReader();
      let out = "";
      while (!/listening on (\S+)/.test(out)) out += new TextDecoder().decode((await reader.read()).value);
      const url = /listening on (\S+)/.exec(out)![1]!;
      const res = await fetch(`${url}/v1/chat/completions`, { method: "POST", body: JSON.stringify({ model: "kept", messages: [] }) });
      expect(((await res.json()) as { choices: Array<{ message: { content: string } }> }).choices[0]!.message.content).toBe("kept-config");
    } finally {
      proc.kill();
    }
  }, 120_000);
});
