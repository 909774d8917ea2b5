import type { Obj } from "../translate/json.ts";
import type { ResponsesMemory } from "../translate/types.ts";

interface Turn {
  previous?: string;
  input: Obj[];
  output: Obj[];
  bytes: number;
}

/** Enough for many long agent conversations; the oldest turns go first beyond it. */
const MAX_BYTES = 64 * 1024 * 1024;
const MAX_CHAIN = 10_000;

const idOf = (item: Obj) => (typeof item.id === "string" && item.id ? item.id : undefined);

/**
 * The turns of translated Responses calls (a Responses client on an Anthropic or chat-format
 * upstream), so a follow-up naming `previous_response_id`, or an `item_reference` to one of their
 * items, gets the conversation replayed upstream. Each response keeps only its own input and output
 * plus a link to the one before; a chain is rebuilt on use. In memory, least recently used out
 * first: per instance, lost on restart.
 */
export class MemoryResponses implements ResponsesMemory {
  private readonly turns = new Map<string, Turn>();
  /** Item id → the response whose turn holds it. */
  private readonly owners = new Map<string, string>();
  private bytes = 0;

  constructor(private readonly maxBytes = MAX_BYTES) {}

  items(id: string): Obj[] | undefined {
    const chain: Turn[] = [];
    let at: string | undefined = id;
    while (at !== undefined && chain.length < MAX_CHAIN) {
      const t = this.turns.get(at);
      if (!t) return undefined;
      chain.push(t);
      at = t.previous;
    }
    this.touch(id);
    return chain.reverse().flatMap((t) => [...t.input, ...t.output]);
  }

  item(id: string): Obj | undefined {
    const owner = this.owners.get(id);
    const t = owner === undefined ? undefined : this.turns.get(owner);
    if (!t || owner === undefined) return undefined;
    this.touch(owner);
    return t.output.find((i) => idOf(i) === id) ?? t.input.find((i) => idOf(i) === id);
  }

  remember(id: string, turn: { previous?: string; input: Obj[]; output: Obj[] }): void {
    const bytes = JSON.stringify(turn.input).length + JSON.stringify(turn.output).length;
    this.forget(id);
    this.turns.set(id, { ...turn, bytes });
    this.bytes += bytes;
    for (const item of [...turn.input, ...turn.output]) {
      const itemId = idOf(item);
      if (itemId) this.owners.set(itemId, id);
    }
    for (const key of this.turns.keys()) {
      if (this.bytes <= this.maxBytes || key === id) break;
      this.forget(key);
    }
  }

  private forget(id: string): void {
    const t = this.turns.get(id);
    if (!t) return;
    this.turns.delete(id);
    this.bytes -= t.bytes;
    for (const item of [...t.input, ...t.output]) {
      const itemId = idOf(item);
      if (itemId && this.owners.get(itemId) === id) this.owners.delete(itemId);
    }
  }

  private touch(id: string): void {
    const t = this.turns.get(id);
    if (!t) return;
    this.turns.delete(id);
    this.turns.set(id, t);
  }
}

export const translatedResponses = new MemoryResponses();
