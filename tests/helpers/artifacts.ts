import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Regular files in a .tar.gz as path → text, read with the system tar. */
export async function tarEntries(gz: Uint8Array): Promise<Map<string, string>> {
  const dir = mkdtempSync(join(tmpdir(), "lr-tar-"));
  try {
    writeFileSync(join(dir, "a.tar.gz"), gz);
    const list = Bun.spawnSync(["tar", "-tzf", join(dir, "a.tar.gz")]);
    if (list.exitCode !== 0) throw new Error(`tar -t failed: ${list.stderr.toString()}`);
    const out = new Map<string, string>();
    for (const name of list.stdout.toString().split("\n")) {
      if (!name || name.endsWith("/")) continue;
      const r = Bun.spawnSync(["tar", "-xzOf", join(dir, "a.tar.gz"), name]);
      out.set(name, r.stdout.toString());
    }
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
