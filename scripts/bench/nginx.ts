import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/**
 * nginx as a plain reverse proxy, tuned the way one would for an LLM API: one worker (one core),
 * keep-alive to the upstream, no buffering so SSE chunks go out as they arrive, no access log.
 * `routes` maps a listen port to an upstream port.
 */
export function nginxConfig(dir: string, routes: Array<{ listen: number; upstream: number }>): string {
  for (const d of ["body", "proxy", "fastcgi", "uwsgi", "scgi"]) mkdirSync(join(dir, d), { recursive: true });
  const blocks = routes.map(
    (r) => `
  upstream up_${r.listen} { server 127.0.0.1:${r.upstream}; keepalive 1024; keepalive_requests 1000000; }
  server {
    listen 127.0.0.1:${r.listen} backlog=4096;
    keepalive_requests 1000000;
    location / {
      proxy_pass http://up_${r.listen};
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffering off;
      proxy_request_buffering off;
      proxy_read_timeout 300s;
    }
  }`,
  );
  const conf = `user root root;
worker_processes 1;
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
worker_rlimit_nofile 20000;
events { worker_connections 8192; multi_accept on; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  client_max_body_size 64m;
  ${blocks.join("\n")}
}
`;
  const path = join(dir, "nginx.conf");
  writeFileSync(path, conf);
  return path;
}

export const NGINX_INSTALL = "apt-get install -y nginx   (Debian/Ubuntu; the benchmark runs its own instance with its own config)";
