/**
 * Conversation memory for `conversation_id`: in this process's memory, bounded by idle time
 * and by count (least recently used forgotten first), and each conversation by length.
 *
 * Why memory and not the database: a conversation holds Odoo rows the model has read
 * (customer names, amounts). Keeping them only as long as a follow-up question is likely,
 * and never on disk, avoids a second copy of business data with its own retention problem.
 * The price: a restart forgets conversations, and several relay instances need sticky routing
 * for follow-ups (a forgotten id simply starts a new conversation and says so: `turn: 1`).
 */
import type { ModelMessage } from 'ai';

interface Entry {
  messages: ModelMessage[];
  turns: number;
  lastUsed: number;
}

/** One running turn of a conversation: its history, its number, and the right to save its outcome. */
export interface ConversationTurn {
  /** Earlier messages (empty when the conversation is new, expired or forgotten). */
  history: ModelMessage[];
  /** This turn's number: earlier turns + 1. */
  number: number;
  /** Stores the conversation's messages after this turn (history + question + answer). */
  save(messages: ModelMessage[]): void;
  /** Lets the next turn in; call once the turn is over, answered or failed. */
  end(): void;
}

/** Most messages kept per conversation; older turns are dropped whole. */
export const MAX_MESSAGES_PER_CONVERSATION = 60;

export class ConversationStore {
  private readonly entries = new Map<string, Entry>();
  /** Conversations with a turn running now (kept apart from entries: eviction must not free them). */
  private readonly running = new Set<string>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxConversations: number,
  ) {}

  /** Earlier messages of a conversation (empty when unknown or expired) and how many turns it had. */
  get(owner: string, id: string, now = Date.now()): { messages: ModelMessage[]; turns: number } {
    const key = `${owner}|${id}`;
    const entry = this.entries.get(key);
    if (!entry || now - entry.lastUsed > this.ttlMs) {
      this.entries.delete(key);
      return { messages: [], turns: 0 };
    }
    return { messages: entry.messages, turns: entry.turns };
  }

  /**
   * Starts a turn on a conversation, or answers null while another turn on it is still running.
   * A turn reads the history, runs for seconds, then writes history + its own exchange: two at
   * once would both build on the same history, the later write would drop the other's turn, and
   * both would report the same turn number. Checking and marking happen in one synchronous step,
   * so no two callers in this process can both get the turn.
   */
  beginTurn(owner: string, id: string, now = Date.now()): ConversationTurn | null {
    const key = `${owner}|${id}`;
    if (this.running.has(key)) return null;
    this.running.add(key);
    const { messages, turns } = this.get(owner, id, now);
    let ended = false;
    return {
      history: messages,
      number: turns + 1,
      save: (all) => this.save(owner, id, all, turns + 1),
      end: () => {
        // Once: a second call must not end a later turn that took the conversation meanwhile.
        if (!ended) this.running.delete(key);
        ended = true;
      },
    };
  }

  /** Stores a conversation's messages after a turn; evicts expired and least recently used ones. */
  save(owner: string, id: string, messages: ModelMessage[], turns: number, now = Date.now()): void {
    const key = `${owner}|${id}`;
    this.entries.delete(key); // re-insert: Map order is recency order
    this.entries.set(key, { messages: trimToTurns(messages, MAX_MESSAGES_PER_CONVERSATION), turns, lastUsed: now });
    for (const [k, e] of this.entries) {
      if (this.entries.size <= this.maxConversations && now - e.lastUsed <= this.ttlMs) break;
      this.entries.delete(k);
    }
  }

  get size(): number {
    return this.entries.size;
  }
}

/**
 * Keeps at most `max` messages, cutting only before a user message so that an assistant's
 * tool call is never separated from its tool result (providers refuse such histories).
 */
export function trimToTurns(messages: ModelMessage[], max: number): ModelMessage[] {
  if (messages.length <= max) return messages;
  for (let start = messages.length - max; start < messages.length; start++) {
    if (messages[start]!.role === 'user') return messages.slice(start);
  }
  // One turn longer than the cap: keep its user message and the end of the turn is not safe to cut, so keep the turn.
  const lastUser = messages.map((m) => m.role).lastIndexOf('user');
  return lastUser >= 0 ? messages.slice(lastUser) : [];
}
