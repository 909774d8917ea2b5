import { describe, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseIni } from "../../src/providers/aws/ini.ts";
import { awsFiles, readProfile } from "../../src/providers/aws/profile.ts";
import { parseStsCredentials, stsEndpoint, stsRegion } from "../../src/providers/aws/sts.ts";
import { cachedCredentials } from "../../src/providers/aws/temporary.ts";

describe("AWS credential helpers", () => {
  test("STS XML: Credentials parsed, entities unescaped, Expiration as epoch ms", () => {
    const xml = `<AssumeRoleResponse><AssumeRoleResult><AssumedRoleUser><Arn>x</Arn></AssumedRoleUser><Credentials>
      <AccessKeyId>ASIAXYZ</AccessKeyId><SecretAccessKey>a+b/c&amp;d</SecretAccessKey><SessionToken>tok&lt;1&gt;</SessionToken>
      <Expiration>2030-01-02T03:04:05Z</Expiration></Credentials></AssumeRoleResult></AssumeRoleResponse>`;
    expect(parseStsCredentials(xml)).toEqual({ accessKeyId: "ASIAXYZ", secretAccessKey: "a+b/c&d", sessionToken: "tok<1>", expiresAt: Date.UTC(2030, 0, 2, 3, 4, 5) });
    expect(parseStsCredentials("<ErrorResponse><Error><Code>AccessDenied</Code></Error></ErrorResponse>")).toBeUndefined();
  });

  test("STS endpoint and signing region", () => {
    expect(stsEndpoint(undefined, "us-east-1")).toBe("https://sts.amazonaws.com");
    expect(stsEndpoint(undefined, "eu-west-1")).toBe("https://sts.eu-west-1.amazonaws.com");
    expect(stsEndpoint("http://127.0.0.1:9", "eu-west-1")).toBe("http://127.0.0.1:9");
    expect(stsRegion("https://sts.ap-south-1.amazonaws.com", "us-west-2")).toBe("ap-south-1");
    expect(stsRegion("https://vpce-0abc.sts.eu-central-1.vpce.amazonaws.com", "us-west-2")).toBe("eu-central-1");
    expect(stsRegion("https://sts.amazonaws.com", "us-west-2")).toBe("us-east-1");
    expect(stsRegion("http://127.0.0.1:9", "us-west-2")).toBe("us-west-2");
  });

  test("INI: sections, comments, spaces around =, lower-cased keys", () => {
    const ini = parseIni("# c\n[default]\nAWS_ACCESS_KEY_ID = AK\n; c\n[profile x]\nrole_arn=arn:aws:iam::1:role/r\nregion = us-east-1 \n");
    expect(ini.get("default")).toEqual({ aws_access_key_id: "AK" });
    expect(ini.get("profile x")).toEqual({ role_arn: "arn:aws:iam::1:role/r", region: "us-east-1" });
  });

  test("a profile merges the config file's [profile name] under the credentials file's [name]", () => {
    const dir = mkdtempSync(join(tmpdir(), "lr-aws-unit-"));
    writeFileSync(join(dir, "creds"), "[p]\naws_access_key_id = AK1\naws_secret_access_key = S1\n");
    writeFileSync(join(dir, "cfg"), "[profile p]\nregion = eu-west-1\naws_access_key_id = OLD\n[default]\naws_access_key_id = D\naws_secret_access_key = DS\n");
    const files = awsFiles("/nonexistent", join(dir, "creds"), join(dir, "cfg"));
    expect(readProfile(files, "p")).toEqual({ region: "eu-west-1", aws_access_key_id: "AK1", aws_secret_access_key: "S1" });
    expect(readProfile(files, "default")).toEqual({ aws_access_key_id: "D", aws_secret_access_key: "DS" });
    expect(readProfile(files, "missing")).toBeUndefined();
    expect(awsFiles("/home/u")).toEqual({ credentialsFile: "/home/u/.aws/credentials", configFile: "/home/u/.aws/config" });
  });

  test("temporary credentials: one fetch for concurrent callers, refreshed shortly before Expiration", async () => {
    let fetches = 0;
    const load = async () => {
      fetches++;
      await Bun.sleep(20);
      return { accessKeyId: `K${fetches}`, secretAccessKey: "s", expiresAt: Date.now() + 400 };
    };
    const key = `unit-${Math.random()}`;
    const first = await Promise.all([cachedCredentials(key, load), cachedCredentials(key, load), cachedCredentials(key, load)]);
    expect(fetches).toBe(1);
    expect(new Set(first.map((c) => c.accessKeyId))).toEqual(new Set(["K1"]));
    expect((await cachedCredentials(key, load)).accessKeyId).toBe("K1");
    await Bun.sleep(250);
    expect((await cachedCredentials(key, load)).accessKeyId).toBe("K2");
    expect(fetches).toBe(2);
  });
});
