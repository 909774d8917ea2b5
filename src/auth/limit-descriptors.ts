import { hasLimits, type LimitDescriptor } from "../limits/types.ts";
import { num, obj, type EndUserRecord, type KeyRecord, type Row } from "./key-record.ts";

interface KeyDescriptors {
  /** The key's, its user's, team's and team member's limits: the same for every call of the key. */
  own: LimitDescriptor[];
  modelRpm: Row;
  modelTpm: Row;
}

/** Made once per cached key record (a changed key, team or user is a new record). */
const byKey = new WeakMap<KeyRecord, KeyDescriptors>();

function keyDescriptors(rec: KeyRecord): KeyDescriptors {
  let k = byKey.get(rec);
  if (k) return k;
  const own: LimitDescriptor[] = [{ name: "api_key", value: rec.token, rpm: rec.rpm, tpm: rec.tpm, maxParallel: rec.maxParallel }];
  if (rec.user) own.push({ name: "user", value: rec.user.id, rpm: rec.user.rpm, tpm: rec.user.tpm });
  if (rec.team) own.push({ name: "team", value: rec.team.id, rpm: rec.team.rpm, tpm: rec.team.tpm, maxParallel: rec.team.maxParallel });
  if (rec.team && rec.userId && rec.member?.budget) {
    own.push({ name: "team_member", value: `${rec.team.id}:${rec.userId}`, rpm: rec.member.budget.rpm, tpm: rec.member.budget.tpm });
  }
  byKey.set(rec, (k = { own: own.filter(hasLimits), modelRpm: obj(rec.metadata.model_rpm_limit), modelTpm: obj(rec.metadata.model_tpm_limit) }));
  return k;
}

/**
 * Key, user, team, team-member, end-user and per-model-per-key limits that apply to one request.
 * Shared between calls (never changed): the key's own list when no end user or per-model limit adds to it.
 */
export function limitDescriptors(rec: KeyRecord, endUser: EndUserRecord | null, model: string): LimitDescriptor[] {
  const k = keyDescriptors(rec);
  const modelRpm = num(k.modelRpm[model]);
  const modelTpm = num(k.modelTpm[model]);
  const end = endUser ? endUserDescriptors(endUser) : [];
  if (!end.length && modelRpm === undefined && modelTpm === undefined) return k.own;
  const out = [...k.own, ...end];
  if (modelRpm !== undefined || modelTpm !== undefined) out.push({ name: "model_per_key", value: `${rec.token}:${model}`, rpm: modelRpm, tpm: modelTpm });
  return out;
}

/** The end user's own rpm/tpm limits (its budget row). */
export function endUserDescriptors(endUser: EndUserRecord): LimitDescriptor[] {
  if (!endUser.budget) return [];
  const d: LimitDescriptor = { name: "end_user", value: endUser.id, rpm: endUser.budget.rpm, tpm: endUser.budget.tpm };
  return hasLimits(d) ? [d] : [];
}
