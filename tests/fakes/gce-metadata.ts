/**
 * The GCE metadata server as Application Default Credentials use it: the default service
 * account's access token and the project id, only with `Metadata-Flavor: Google`. Issued tokens
 * are pushed into `issued` (the fake Google API's list of valid tokens).
 */
export interface FakeGceMetadata {
  /** host:port, as GCE_METADATA_HOST takes it */
  host: string;
  tokenCalls: number;
  projectCalls: number;
  stop(): Promise<void>;
}

export async function startFakeGceMetadata(opts: { issued: string[]; project: string }): Promise<FakeGceMetadata> {
  let n = 0;
  const state = { tokenCalls: 0, projectCalls: 0 };
  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    fetch(req) {
      const url = new URL(req.url);
      if (req.headers.get("metadata-flavor") !== "Google") return new Response("Missing Metadata-Flavor:Google header.", { status: 403 });
      if (url.pathname === "/computeMetadata/v1/instance/service-accounts/default/token") {
        state.tokenCalls++;
        const token = `ya29.c.gce-${++n}`;
        opts.issued.push(token);
        return Response.json({ access_token: token, expires_in: 3599, token_type: "Bearer" });
      }
      if (url.pathname === "/computeMetadata/v1/project/project-id") {
        state.projectCalls++;
        return new Response(opts.project, { headers: { "content-type": "application/text" } });
      }
      return new Response("not found", { status: 404 });
    },
  });
  return Object.assign(state, { host: `127.0.0.1:${server.port}`, stop: () => server.stop(true) });
}
