import { createHmac, timingSafeEqual } from "node:crypto";
import type { AuthContext } from "../auth/types.ts";
import { GatewayError } from "../errors.ts";

/**
 * LiteLLM's model-routed file and batch ids: `<prefix><base64url("litellm:<provider id>;model,<model>")>`,
 * keeping OpenAI's `file-` / `batch_` prefix, so later calls on the id reach the same deployment.
 * With key material (LITELLM_SALT_KEY, else the master key) the payload carries its minter and an
 * HMAC (`;sub,<owner>;tid,<team>;sig,<hex>`, LiteLLM's `model_embedded_id_auth`), so an id cannot be
 * forged to reach another model's credentials or read by a caller other than its owner or team.
 */
const PREFIXES = ["file-", "batch_"];
const PAYLOAD = "litellm:";
const MODEL = ";model,";
const SUB = ";sub,";
const TID = ";tid,";
const SIG = ";sig,";
/** Derives the signing key through a fixed label, so a signature cannot be replayed against another use of the salt. */
const KEY_LABEL = "litellm-file-id";

export interface IdSigner {
  /** HMAC-SHA256(salt, "litellm-file-id"). */
  key: Buffer;
}

/** The signer for a salt key (LITELLM_SALT_KEY, else the master key); none without key material. */
export function idSigner(salt: string | undefined): IdSigner | undefined {
  return salt ? { key: createHmac("sha256", salt).update(KEY_LABEL).digest() } : undefined;
}

/** LiteLLM's `resolve_resource_owner_id`: the user, else (for a key without a team) the key's hash. */
export function resourceOwner(auth: AuthContext): string | undefined {
  if (auth.userId) return auth.userId;
  if (auth.teamId) return undefined;
  return auth.apiKeyHash ? `key:${auth.apiKeyHash}` : undefined;
}

const signature = (s: IdSigner, input: string) => createHmac("sha256", s.key).update(input).digest("hex");

export function encodeId(id: string, model: string, signer?: IdSigner, minter?: AuthContext): string {
  const prefix = PREFIXES.find((p) => id.startsWith(p)) ?? (id.startsWith("batch") ? "batch_" : "file-");
  let payload = `${PAYLOAD}${id}${MODEL}${model}`;
  if (signer) {
    payload += `${SUB}${(minter && resourceOwner(minter)) ?? ""}${TID}${minter?.teamId ?? ""}`;
    payload += `${SIG}${signature(signer, payload)}`;
  }
  return prefix + Buffer.from(payload).toString("base64url");
}

export interface DecodedId {
  /** The provider's own id. */
  id: string;
  model: string;
  /** Set when the id carried a signature that verified. */
  owner?: { createdBy?: string; teamId?: string };
  /** A signature was expected and is missing or does not cover the payload. */
  unsigned?: "missing" | "bad";
}

function payloadOf(id: string): string | undefined {
  const prefix = PREFIXES.find((p) => id.startsWith(p));
  if (!prefix) return undefined;
  const text = Buffer.from(id.slice(prefix.length), "base64url").toString("utf8");
  return text.startsWith(PAYLOAD) && text.includes(MODEL) ? text : undefined;
}

/** Splits right to left: the provider id is the client's and may hold these delimiters; only the trailing fields are the minter's. */
function fields(text: string): { id: string; model: string } | undefined {
  const at = text.lastIndexOf(MODEL);
  const id = text.slice(PAYLOAD.length, at);
  const model = text.slice(at + MODEL.length);
  return id && model ? { id, model } : undefined;
}

/** The provider's id and the model inside an encoded id (checked against `signer` when there is one), or undefined for a plain id. */
export function decodeId(id: string, signer?: IdSigner): DecodedId | undefined {
  const text = payloadOf(id);
  if (!text) return undefined;
  const sigAt = text.lastIndexOf(SIG);
  if (!signer || sigAt < 0) {
    const f = fields(sigAt < 0 ? text : text.slice(0, text.lastIndexOf(SUB)));
    return f && { ...f, unsigned: signer ? "missing" : undefined };
  }
  const input = text.slice(0, sigAt);
  const given = Buffer.from(text.slice(sigAt + SIG.length));
  const expected = Buffer.from(signature(signer, input));
  const tidAt = input.lastIndexOf(TID);
  const subAt = input.lastIndexOf(SUB, tidAt);
  const f = subAt >= 0 && tidAt > subAt ? fields(input.slice(0, subAt)) : undefined;
  if (!f || given.length !== expected.length || !timingSafeEqual(given, expected)) return { id: f?.id ?? "", model: f?.model ?? "", unsigned: "bad" };
  const createdBy = input.slice(subAt + SUB.length, tidAt) || undefined;
  const teamId = input.slice(tidAt + TID.length) || undefined;
  return { ...f, owner: { createdBy, teamId } };
}

const ADMIN_VIEW = new Set(["proxy_admin", "proxy_admin_viewer"]);

/**
 * LiteLLM's `authorize_model_embedded_file_id`: an unsigned or tampered id is refused; a signed one
 * is for admins, its minter, and its minter's team (`can_access_resource`).
 */
export function authorizeId(decoded: DecodedId | undefined, auth: AuthContext): void {
  if (!decoded || (!decoded.unsigned && !decoded.owner)) return;
  const o = decoded.owner;
  const owner = resourceOwner(auth);
  const allowed =
    !!o &&
    (ADMIN_VIEW.has(auth.role) || (owner !== undefined && o.createdBy === owner) || (auth.teamId !== undefined && o.teamId === auth.teamId));
  if (!allowed) throw new GatewayError(403, `User ${auth.userId ?? "None"} does not have access to this file id`, { kind: "PermissionDeniedError" });
}
