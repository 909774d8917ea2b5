import { dlopen, FFIType } from "bun:ffi";

/**
 * Lowers the calling thread to nice 19 (Linux: per-thread priority through glibc's `gettid` and
 * `setpriority`), so the logging worker runs in the time the request thread leaves idle and yields
 * the core as soon as a request needs it. Anywhere else, or without glibc, it does nothing.
 */
export function lowerThreadPriority(): boolean {
  if (process.platform !== "linux") return false;
  try {
    const libc = dlopen("libc.so.6", {
      gettid: { args: [], returns: FFIType.i32 },
      setpriority: { args: [FFIType.i32, FFIType.u32, FFIType.i32], returns: FFIType.i32 },
    });
    const PRIO_PROCESS = 0;
    const ok = libc.symbols.setpriority(PRIO_PROCESS, libc.symbols.gettid(), 19) === 0;
    libc.close();
    return ok;
  } catch {
    return false;
  }
}
