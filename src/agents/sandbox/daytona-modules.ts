/**
 * `@daytonaio/sdk` loads form-data (file uploads) and busboy (file downloads) with a runtime
 * `require()` the bundler cannot see, so inside a `bun build --compile` binary they fail with
 * "Cannot find module". Importing them here puts them in the bundle, and registering them as
 * virtual modules lets that runtime `require()` find them. Import this before using the SDK.
 */
import { plugin } from "bun";
import busboy from "busboy";
import FormData from "form-data";

plugin({
  name: "daytona-sdk-runtime-modules",
  setup(build) {
    build.module("form-data", () => ({ exports: { default: FormData }, loader: "object" }));
    build.module("busboy", () => ({ exports: { default: busboy }, loader: "object" }));
  },
});
