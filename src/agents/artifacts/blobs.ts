import { mkdir, rm } from "node:fs/promises";
import { dirname, join, resolve, sep } from "node:path";
import { S3Client } from "bun";
import type { GatewayConfig } from "../../config/index.ts";

/** Where large artifacts go: a local directory or an S3-compatible bucket. Keys are `/`-separated. */
export interface BlobStore {
  readonly kind: "dir" | "s3";
  put(key: string, data: Uint8Array, contentType: string): Promise<void>;
  /** The bytes as a Blob (read lazily, streamed when served). */
  open(key: string): Blob;
  delete(key: string): Promise<void>;
}

export class DirBlobStore implements BlobStore {
  readonly kind = "dir" as const;
  private readonly root: string;

  constructor(dir: string) {
    this.root = resolve(dir);
  }

  private file(key: string): string {
    const p = resolve(join(this.root, key));
    if (!p.startsWith(this.root + sep)) throw new Error(`artifact key escapes the artifact directory: ${key}`);
    return p;
  }

  async put(key: string, data: Uint8Array): Promise<void> {
    const p = this.file(key);
    await mkdir(dirname(p), { recursive: true });
    await Bun.write(p, data);
  }

  open(key: string): Blob {
    return Bun.file(this.file(key));
  }

  async delete(key: string): Promise<void> {
    await rm(this.file(key), { force: true });
  }
}

export interface S3Params {
  bucket: string;
  endpoint?: string;
  region?: string;
  accessKeyId?: string;
  secretAccessKey?: string;
  sessionToken?: string;
  prefix?: string;
  virtualHostedStyle?: boolean;
}

/** Any S3-compatible store through Bun's built-in client; every setting comes from config, none from env. */
export class S3BlobStore implements BlobStore {
  readonly kind = "s3" as const;
  private readonly client: S3Client;
  private readonly prefix: string;

  constructor(p: S3Params) {
    this.client = new S3Client({
      bucket: p.bucket,
      endpoint: p.endpoint,
      region: p.region ?? "us-east-1",
      accessKeyId: p.accessKeyId,
      secretAccessKey: p.secretAccessKey,
      sessionToken: p.sessionToken,
      virtualHostedStyle: p.virtualHostedStyle ?? false,
    });
    this.prefix = p.prefix ? `${p.prefix.replace(/\/+$/, "")}/` : "";
  }

  async put(key: string, data: Uint8Array, contentType: string): Promise<void> {
    await this.client.write(this.prefix + key, data, { type: contentType });
  }

  open(key: string): Blob {
    return this.client.file(this.prefix + key);
  }

  async delete(key: string): Promise<void> {
    await this.client.delete(this.prefix + key);
  }
}

/** S3 when `artifact_s3_params` is set (shared by every instance), else `artifact_dir`, else none. */
export function blobStoreFromConfig(config: GatewayConfig): BlobStore | undefined {
  const g = config.general;
  const s3 = g.artifact_s3_params;
  if (s3) {
    return new S3BlobStore({
      bucket: s3.bucket,
      endpoint: s3.endpoint ?? undefined,
      region: s3.region ?? undefined,
      accessKeyId: s3.access_key_id ?? undefined,
      secretAccessKey: s3.secret_access_key ?? undefined,
      sessionToken: s3.session_token ?? undefined,
      prefix: s3.prefix ?? undefined,
      virtualHostedStyle: s3.virtual_hosted_style ?? undefined,
    });
  }
  return g.artifact_dir ? new DirBlobStore(g.artifact_dir) : undefined;
}
