/** A multipart request as the endpoint read it. */
export interface MultipartBody {
  form: FormData;
  /** Length of an uploaded WAV file, read from its header: what transcription is billed by when the answer does not say. */
  audioSeconds?: number;
}

/** The form as the upstream gets it: the same parts, `model` set to the upstream's name. */
export async function multipartBytes(m: MultipartBody, model: string): Promise<{ body: Uint8Array<ArrayBuffer>; contentType: string }> {
  const out = new FormData();
  for (const [k, v] of m.form) if (k !== "model") out.append(k, v);
  out.append("model", model);
  const encoded = new Response(out);
  const contentType = encoded.headers.get("content-type") ?? "multipart/form-data";
  return { body: new Uint8Array(await encoded.arrayBuffer()), contentType };
}

/** Seconds of audio in a PCM WAV file (RIFF `fmt ` byte rate, `data` size), or undefined for any other format. */
export function wavSeconds(bytes: Uint8Array): number | undefined {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const tag = (at: number) => String.fromCharCode(bytes[at]!, bytes[at + 1]!, bytes[at + 2]!, bytes[at + 3]!);
  if (bytes.length < 12 || tag(0) !== "RIFF" || tag(8) !== "WAVE") return undefined;
  let byteRate = 0;
  for (let at = 12; at + 8 <= bytes.length; ) {
    const size = view.getUint32(at + 4, true);
    if (tag(at) === "fmt " && at + 16 <= bytes.length) byteRate = view.getUint32(at + 16, true);
    if (tag(at) === "data") return byteRate > 0 ? size / byteRate : undefined;
    at += 8 + size + (size % 2);
  }
  return undefined;
}
