declare const LITELLM_RUST_VERSION: string | undefined;
declare const LITELLM_RUST_GIT_SHA: string | undefined;
declare const LITELLM_RUST_BUILD_DATE: string | undefined;

/** Baked in by `bun build --define` for release binaries; read from package.json in a source run. */
export const VERSION: string = typeof LITELLM_RUST_VERSION === "string" ? LITELLM_RUST_VERSION : "0.1.0-dev";
export const GIT_SHA: string = typeof LITELLM_RUST_GIT_SHA === "string" ? LITELLM_RUST_GIT_SHA : "source";
export const BUILD_DATE: string = typeof LITELLM_RUST_BUILD_DATE === "string" ? LITELLM_RUST_BUILD_DATE : "unbuilt";
