/** busboy ships no types; only its presence matters here (see daytona-modules.ts). */
declare module "busboy" {
  const busboy: (config: { headers: Record<string, string | string[] | undefined>; preservePath?: boolean }) => NodeJS.WritableStream;
  export default busboy;
}
