/**
 * porsager `postgres` on Bun can schedule a write (`setImmediate(nextWrite)`) on a connection whose
 * socket closes before it runs; the resulting TypeError escapes to the event loop and would end the
 * process in the middle of a database outage. The connection is gone either way and the driver
 * opens a new one, so this one error is survivable. Matched by its message, since the binary's
 * minifier renames the variable (`socket.write` becomes `x.write`).
 */
export function isClosedSocketWrite(e: unknown): boolean {
  return e instanceof TypeError && /^null is not an object \(evaluating '[\w$]+\.write'\)$/.test(e.message);
}
