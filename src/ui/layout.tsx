/** @jsxImportSource hono/jsx */
import type { Child, FC } from "hono/jsx";
import { ASSETS } from "./assets/index.ts";
import type { Viewer } from "./context.ts";
import type { Flash } from "./session.ts";

const NAV: Array<{ id: string; href: string; label: string; admin?: boolean }> = [
  { id: "overview", href: "/ui", label: "Overview" },
  { id: "keys", href: "/ui/keys", label: "Keys" },
  { id: "teams", href: "/ui/teams", label: "Teams" },
  { id: "users", href: "/ui/users", label: "Users" },
  { id: "models", href: "/ui/models", label: "Models" },
  { id: "spend", href: "/ui/spend", label: "Spend logs" },
  { id: "sessions", href: "/ui/sessions", label: "Sessions" },
  { id: "agents", href: "/ui/agents", label: "Agents", admin: true },
  { id: "runs", href: "/ui/runs", label: "Runs", admin: true },
];

export const Csrf: FC<{ token: string }> = ({ token }) => <input type="hidden" name="_csrf" value={token} />;

const FlashBox: FC<{ flash: Flash }> = ({ flash }) =>
  flash.secret ? (
    <section class="notice ok" role="alert" aria-labelledby="secret-title">
      <h2 id="secret-title">{flash.message}</h2>
      <p>Copy it now: this is the only time the key is shown. The gateway stores only its hash.</p>
      <div class="secret-row">
        <code id="new-secret" data-testid="new-secret">
          {flash.secret}
        </code>
        <button type="button" data-copy="#new-secret" hidden>
          Copy
        </button>
      </div>
    </section>
  ) : (
    <div class={`notice ${flash.kind === "error" ? "error" : "ok"}`} role={flash.kind === "error" ? "alert" : "status"}>
      {flash.message}
    </div>
  );

export const Page: FC<{ title: string; viewer?: Viewer; active?: string; flash?: Flash; actions?: Child; children?: Child }> = (p) => (
  <html lang="en">
    <head>
      <meta charset="utf-8" />
      <meta name="viewport" content="width=device-width, initial-scale=1" />
      <meta name="referrer" content="same-origin" />
      <title>{`${p.title} · litellm-rust`}</title>
      <link rel="icon" href="data:," />
      <link rel="stylesheet" href={ASSETS.css.url} />
      <script src={ASSETS.js.url} defer></script>
    </head>
    <body>
      <a class="skip" href="#main">
        Skip to content
      </a>
      {p.viewer && (
        <header class="top">
          <a class="brand" href="/ui">
            litellm<span>-rust</span>
          </a>
          <nav aria-label="Main">
            <ul>
              {NAV.filter((n) => !n.admin || p.viewer!.admin).map((n) => (
                <li>
                  <a href={n.href} aria-current={p.active === n.id ? "page" : undefined}>
                    {n.label}
                  </a>
                </li>
              ))}
            </ul>
          </nav>
          <div class="who">
            <span data-testid="who">{p.viewer.label}</span>
            <form method="post" action="/ui/logout" class="inline">
              <Csrf token={p.viewer.csrf} />
              <button class="link" type="submit">
                Log out
              </button>
            </form>
          </div>
        </header>
      )}
      <main id="main" tabindex={-1}>
        {p.viewer && <h1>{p.title}</h1>}
        {p.flash && <FlashBox flash={p.flash} />}
        {p.children}
      </main>
    </body>
  </html>
);
