import { hasLimits, type LimitDescriptor } from "../limits/types.ts";
import { num, obj, type EndUserRecord, type KeyRecord } from "./key-record.ts";

/** Key, user, team, team-member, end-user and per-model-per-key limits that apply to one request. */
export function limitDescriptors(rec: KeyRecord, endUser: EndUserRecord | null, model: string): LimitDescriptor[] {
  const out: LimitDescriptor[] = [
    { name: "api_key", value: rec.token, rpm: rec.rpm, tpm: rec.tpm, maxParallel: rec.maxParallel },
  ];
  if (rec.user) out.push({ name: "user", value: rec.user.id, rpm: rec.user.rpm, tpm: rec.user.tpm });
  if (rec.team) out.push({ name: "team", value: rec.team.id, rpm: rec.team.rpm, tpm: rec.team.tpm, maxParallel: rec.team.maxParallel });
  if (rec.team && rec.userId && rec.member?.budget) {
    out.push({ name: "team_member", value: `${rec.team.id}:${rec.userId}`, rpm: rec.member.budget.rpm, tpm: rec.member.budget.tpm });
  }
  if (endUser) out.push(...endUserDescriptors(endUser));
  const modelRpm = num(obj(rec.metadata.model_rpm_limit)[model]);
  const modelTpm = num(obj(rec.metadata.model_tpm_limit)[model]);
  if (modelRpm !== undefined || modelTpm !== undefined) out.push({ name: "model_per_key", value: `${rec.token}:${model}`, rpm: modelRpm, tpm: modelTpm });
  return out.filter(hasLimits);
}

/** The end user's own rpm/tpm limits (its budget row). */
export function endUserDescriptors(endUser: EndUserRecord): LimitDescriptor[] {
  if (!endUser.budget) return [];
  const d: LimitDescriptor = { name: "end_user", value: endUser.id, rpm: endUser.budget.rpm, tpm: endUser.budget.tpm };
  return hasLimits(d) ? [d] : [];
}
