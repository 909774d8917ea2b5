import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import { networkInterfaces } from "node:os";

/**
 * LiteLLM's SSRF guard (`litellm_core_utils/url_utils.validate_url`, applied by
 * `_validate_model_url_params`): a URL a caller chose may only lead to globally routable addresses.
 * Its host is resolved and every address must be public: not loopback, private, link-local (cloud
 * metadata at 169.254.169.254), shared, multicast, reserved or documentation space, and not one of
 * this machine's own addresses (the gateway itself). `allowedHosts` (`user_url_allowed_hosts`) lists
 * host names, or `host:port`, that are let through whatever they resolve to.
 */
export async function unsafeUrlReason(raw: string, allowedHosts: readonly string[]): Promise<string | undefined> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return "not a valid URL";
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return `scheme ${url.protocol.slice(0, -1)} is not allowed`;
  const host = url.hostname.replace(/^\[|\]$/g, "").toLowerCase();
  const port = url.port || (url.protocol === "https:" ? "443" : "80");
  if (allowedHosts.some((h) => h.toLowerCase() === host || h.toLowerCase() === `${host}:${port}`)) return undefined;
  let addresses: string[];
  try {
    addresses = isIP(host) ? [host] : (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);
  } catch {
    return `host ${host} could not be resolved`;
  }
  if (!addresses.length) return `host ${host} could not be resolved`;
  const own = ownAddresses();
  for (const a of addresses) {
    const why = nonGlobal(a) ?? (own.has(normalize(a)) ? "an address of this gateway" : undefined);
    if (why) return `${host} resolves to ${a} (${why})`;
  }
  return undefined;
}

function ownAddresses(): Set<string> {
  const out = new Set<string>();
  for (const list of Object.values(networkInterfaces())) for (const i of list ?? []) out.add(normalize(i.address));
  return out;
}

const normalize = (ip: string) => (isIP(ip) === 6 ? v6Words(ip).join(":") : ip);

/** Why an address is not globally routable (RFC 6890 special-purpose ranges), or undefined when it is. */
export function nonGlobal(ip: string): string | undefined {
  const kind = isIP(ip);
  if (kind === 4) return v4Reason(ip.split(".").map(Number));
  if (kind !== 6) return "not an IP address";
  const w = v6Words(ip);
  const inner = [w[6]! >> 8, w[6]! & 255, w[7]! >> 8, w[7]! & 255];
  const zeros = (n: number) => w.slice(0, n).every((x) => x === 0);
  if (zeros(5) && w[5] === 0xffff) return v4Reason(inner);
  if (zeros(7) && w[7]! <= 1) return w[7] ? "loopback" : "unspecified";
  if (zeros(6)) return v4Reason(inner) ?? "special-purpose";
  if (w[0] === 0x64 && w[1] === 0xff9b) return v4Reason(inner);
  if ((w[0]! & 0xfe00) === 0xfc00) return "unique local";
  if ((w[0]! & 0xffc0) === 0xfe80) return "link-local";
  if ((w[0]! & 0xff00) === 0xff00) return "multicast";
  if (w[0] === 0x2001 && w[1] === 0x0db8) return "documentation";
  if (w[0] === 0x2001 && w[1]! < 0x0200) return "special-purpose";
  return undefined;
}

function v4Reason([a, b, c]: number[]): string | undefined {
  if (a === 127) return "loopback";
  if (a === 10 || (a === 172 && b! >= 16 && b! <= 31) || (a === 192 && b === 168)) return "private";
  if (a === 169 && b === 254) return "link-local";
  if (a === 0) return "unspecified";
  if (a === 100 && b! >= 64 && b! <= 127) return "shared address space";
  if (a === 192 && b === 0 && (c === 0 || c === 2)) return "special-purpose";
  if ((a === 198 && (b === 18 || b === 19)) || (a === 198 && b === 51 && c === 100) || (a === 203 && b === 0 && c === 113)) return "reserved";
  if (a! >= 224) return a! < 240 ? "multicast" : "reserved";
  return undefined;
}

/** The eight 16-bit words of an IPv6 address (an embedded dotted IPv4 tail included). */
function v6Words(ip: string): number[] {
  let text = ip.split("%")[0]!.toLowerCase();
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted[1]!.split(".").map(Number);
    text = `${text.slice(0, -dotted[1]!.length)}${((a! << 8) | b!).toString(16)}:${((c! << 8) | d!).toString(16)}`;
  }
  const [head, tail] = text.split("::") as [string, string | undefined];
  const part = (s: string | undefined) => (s ? s.split(":").map((x) => parseInt(x, 16)) : []);
  const h = part(head);
  const t = part(tail);
  return tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill(0), ...t];
}
