import { describe, expect, test } from "bun:test";
import { globWord } from "../../../src/agents/artifacts/collect.ts";
import { maskSecrets, maskText } from "../../../src/agents/mask.ts";
import { memorySection, stripMemorySection } from "../../../src/agents/memory/hook.ts";
import { truncateUtf8 } from "../../../src/agents/memory/memory.ts";
import { moveTranscript, projectSlug, transcriptCwd } from "../../../src/agents/sessions/restore.ts";
import { secretBindings } from "../../../src/agents/vault/hook.ts";

describe("secret masking", () => {
  test("every occurrence, same length, other bytes untouched; short values are ignored", () => {
    const data = new TextEncoder().encode("a=s3cr3t-v, b=s3cr3t-v\u00e9, c=abc");
    const out = maskSecrets(data, ["s3cr3t-v", "abc"]);
    expect(new TextDecoder().decode(out)).toBe("a=********, b=********\u00e9, c=abc");
    expect(out.length).toBe(data.length);
    expect(maskSecrets(data, ["nothing-here"])).toBe(data);
    expect(maskText("x tok-1234 y tok-1234", ["tok-1234"])).toBe("x ******** y ********");
  });
});

describe("artifact globs", () => {
  test("glob characters stay active, everything else is escaped; absolute and .. patterns are refused", () => {
    expect(globWord("out/**/*.txt")).toBe("\\o\\u\\t\\/**\\/*\\.\\t\\x\\t");
    expect(globWord("a b;$(rm -rf ~)")).toBe("\\a\\ \\b\\;\\$\\(\\r\\m\\ \\-\\r\\f\\ \\~\\)");
    expect(globWord("report?.[ch]")).toBe("\\r\\e\\p\\o\\r\\t?\\.[\\c\\h]");
    for (const bad of ["/etc/passwd", "../x", "a/../../b", "", "a\nb"]) expect(globWord(bad)).toBeUndefined();
  });
});

describe("transcript restore", () => {
  test("Claude's project slug and moving a transcript to a new workspace path", () => {
    expect(projectSlug("/tmp/lr-fake-e2b-x1/i20/home/user/workspace")).toBe("-tmp-lr-fake-e2b-x1-i20-home-user-workspace");
    const old = "/home/user/work space";
    const text = [JSON.stringify({ type: "summary" }), JSON.stringify({ type: "user", cwd: old, message: { content: `look in ${old}/a.txt` } }), "{torn"].join("\n");
    expect(transcriptCwd(text)).toBe(old);
    const moved = moveTranscript(text, old, "/sbx/2/home/user/workspace");
    expect(moved).not.toContain(old);
    expect(JSON.parse(moved.split("\n")[1]!)).toMatchObject({ cwd: "/sbx/2/home/user/workspace", message: { content: "look in /sbx/2/home/user/workspace/a.txt" } });
    expect(moveTranscript(text, undefined, "/x")).toBe(text);
  });
});

describe("memory", () => {
  test("the CLAUDE.md section is replaced, not stacked, on a restored workspace", () => {
    const section = memorySection("likes teal", "", "MEMORY.md");
    const once = `# Project\n\n${section}\n`;
    expect(stripMemorySection(once)).toBe("# Project");
    expect(stripMemorySection(`${once}\nafter`)).toBe("# Project\nafter");
    expect(section).toContain("likes teal");
    expect(section).toContain("`MEMORY.md`");
    expect(memorySection("", "session only", undefined)).toContain("session only");
  });

  test("truncation keeps whole UTF-8 characters", () => {
    expect(truncateUtf8("abc\u00e9\u00e9", 4)).toBe("abc");
    expect(truncateUtf8("abc\u00e9\u00e9", 5)).toBe("abc\u00e9");
    expect(truncateUtf8("short", 100)).toBe("short");
  });
});

describe("vault bindings", () => {
  test("NAME or ENV=source", () => {
    expect(secretBindings(["GITHUB_TOKEN", "AZURE_KEY=my-azure-cred"])).toEqual([
      { env: "GITHUB_TOKEN", source: "GITHUB_TOKEN" },
      { env: "AZURE_KEY", source: "my-azure-cred" },
    ]);
  });
});
