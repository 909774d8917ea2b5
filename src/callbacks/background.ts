import { dlopen, FFIType, ptr } from "bun:ffi";

/**
 * Puts the calling thread in Linux's SCHED_IDLE class (and nice 19 where that is refused), through
 * glibc's `gettid`, `sched_setscheduler` and `setpriority`: the logging worker then runs only in
 * the time the request thread leaves idle, and gives the core back the moment a request needs it.
 * Anywhere else, or without glibc, it does nothing.
 */
export function lowerThreadPriority(): boolean {
  if (process.platform !== "linux") return false;
  try {
    const libc = dlopen("libc.so.6", {
      gettid: { args: [], returns: FFIType.i32 },
      setpriority: { args: [FFIType.i32, FFIType.u32, FFIType.i32], returns: FFIType.i32 },
      sched_setscheduler: { args: [FFIType.i32, FFIType.i32, FFIType.ptr], returns: FFIType.i32 },
    });
    const tid = libc.symbols.gettid();
    const PRIO_PROCESS = 0;
    const SCHED_IDLE = 5;
    const niced = libc.symbols.setpriority(PRIO_PROCESS, tid, 19) === 0;
    const idle = libc.symbols.sched_setscheduler(tid, SCHED_IDLE, ptr(new Int32Array([0]))) === 0;
    libc.close();
    return idle || niced;
  } catch {
    return false;
  }
}
