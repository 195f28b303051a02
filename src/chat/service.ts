/** What chat keeps per process: the provider resolver, conversation memory and field descriptions. */
import type { Config } from '../config.js';
import { TtlCache } from '../cache/ttl-cache.js';
import { ConversationStore } from './conversations.js';
import { relayWideProvider, type ChatProviderResolver } from './provider.js';

export interface ChatService {
  providerFor: ChatProviderResolver;
  conversations: ConversationStore;
  /** fields_get per connection and model: field lists change with module installs, not per question. */
  fieldsCache: TtlCache<Record<string, unknown>>;
}

const FIELDS_TTL_MS = 10 * 60_000;

export function createChatService(config: Config): ChatService {
  return {
    providerFor: relayWideProvider(config.chat),
    conversations: new ConversationStore(config.chatLimits.conversationTtlMs, config.chatLimits.maxConversations),
    fieldsCache: new TtlCache(FIELDS_TTL_MS, 2_000),
  };
}
