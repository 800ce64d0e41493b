/**
 * Instruction (chat) data: a conversation `{ messages: [{ role, content }] }` becomes token ids
 * through the tokenizer's chat template, with a loss mask that is 1 on the tokens of assistant
 * turns (their content and the template's end-of-turn after it) and 0 elsewhere (system and
 * user turns, the template's role headers).
 *
 * How the assistant spans are found: for assistant message i, the template is rendered for
 * messages[0..i) with the generation prompt (the text up to where the answer starts) and for
 * messages[0..i] (the text up to the end of the answer); both must be prefixes of the whole
 * rendered conversation, which holds for the usual templates. A template that rewrites earlier
 * turns when later ones are added (some drop past reasoning) fails with an error naming the
 * message, rather than masking the wrong tokens.
 */
import type { ChatMessage, ChatTemplateOptions } from '@openeurollm/tokenizer';

/** What chatTokens needs of a tokenizer (the Tokenizer of @openeurollm/tokenizer has it). */
export interface ChatTokenizer {
  applyChatTemplate(messages: ChatMessage[], options?: ChatTemplateOptions): string;
  encode(
    text: string,
    options?: { addSpecialTokens?: boolean },
  ): { ids: number[]; offsets: [number, number][] };
}

export interface ChatTokens {
  ids: number[];
  /** 1 where the token is trained on (assistant turns), 0 elsewhere; same length as ids. */
  mask: Uint8Array;
  /** The rendered conversation. */
  text: string;
}

export interface ChatTokensOptions {
  /** A Jinja chat template (else the tokenizer's own). */
  chatTemplate?: string;
  /** Roles whose turns are trained on. Default ['assistant']. */
  trainRoles?: readonly string[];
}

const VALID_ROLES = new Set(['system', 'user', 'assistant', 'tool', 'developer']);

/** Checks a conversation; returns an error message or null. */
export function checkConversation(messages: unknown): string | null {
  if (!Array.isArray(messages) || messages.length === 0) {
    return 'messages must be a non-empty array of { role, content }';
  }
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i] as { role?: unknown; content?: unknown };
    if (!m || typeof m !== 'object') return `messages[${i}] is not an object`;
    if (typeof m.role !== 'string' || !VALID_ROLES.has(m.role)) {
      return `messages[${i}].role must be one of ${[...VALID_ROLES].join(', ')}, got ${JSON.stringify(m.role)}`;
    }
    if (typeof m.content !== 'string') return `messages[${i}].content must be a string`;
  }
  return null;
}

/** Token ids and loss mask of one conversation. */
export function chatTokens(
  messages: ChatMessage[],
  tokenizer: ChatTokenizer,
  options: ChatTokensOptions = {},
): ChatTokens {
  const problem = checkConversation(messages);
  if (problem) throw new Error(`chatTokens: ${problem}`);
  const trainRoles = new Set(options.trainRoles ?? ['assistant']);
  const tpl = options.chatTemplate !== undefined ? { chatTemplate: options.chatTemplate } : {};
  const full = tokenizer.applyChatTemplate(messages, tpl);
  const spans: [number, number][] = [];
  for (let i = 0; i < messages.length; i++) {
    if (!trainRoles.has(messages[i].role)) continue;
    const before =
      i === 0
        ? ''
        : tokenizer.applyChatTemplate(messages.slice(0, i), { ...tpl, addGenerationPrompt: true });
    const through = tokenizer.applyChatTemplate(messages.slice(0, i + 1), tpl);
    if (!full.startsWith(before) || !full.startsWith(through) || through.length < before.length) {
      throw new Error(
        `chatTokens: the chat template does not render messages[0..${i}] as a prefix of the whole conversation, so the tokens of message ${i} (${messages[i].role}) cannot be located; use a template that renders turns append-only`,
      );
    }
    spans.push([before.length, through.length]);
  }
  const enc = tokenizer.encode(full, { addSpecialTokens: false });
  const mask = new Uint8Array(enc.ids.length);
  let s = 0;
  for (let k = 0; k < enc.ids.length; k++) {
    const start = enc.offsets[k][0];
    while (s < spans.length && start >= spans[s][1]) s++;
    if (s < spans.length && start >= spans[s][0]) mask[k] = 1;
  }
  return { ids: enc.ids, mask, text: full };
}
