import { join } from "node:path";
import { readIni } from "./ini.ts";

export interface AwsFiles {
  credentialsFile: string;
  configFile: string;
}

/** `~/.aws/credentials` and `~/.aws/config`, or AWS_SHARED_CREDENTIALS_FILE / AWS_CONFIG_FILE. */
export function awsFiles(home: string | undefined, credentialsFile?: string, configFile?: string): AwsFiles {
  const dir = join(home ?? "", ".aws");
  return { credentialsFile: credentialsFile ?? join(dir, "credentials"), configFile: configFile ?? join(dir, "config") };
}

/**
 * One profile's settings, merged as the AWS CLI does: the credentials file's `[name]` over the
 * config file's `[profile name]` (`[default]` for the default profile).
 */
export function readProfile(files: AwsFiles, name: string): Record<string, string> | undefined {
  const cfg = readIni(files.configFile);
  const fromConfig = cfg.get(`profile ${name}`) ?? (name === "default" ? cfg.get("default") : undefined);
  const fromCreds = readIni(files.credentialsFile).get(name);
  if (!fromConfig && !fromCreds) return undefined;
  return { ...fromConfig, ...fromCreds };
}
