/**
 * Chat templates: the Jinja `chat_template` of a model's tokenizer_config.json, rendered with
 * @huggingface/jinja in the context transformers gives it (messages, add_generation_prompt,
 * the special tokens such as bos_token, tools, documents and any extra variables).
 */
import { Template } from '@huggingface/jinja';
import type { JsonObject } from './json.js';

/** One message of a conversation. */
export interface ChatMessage {
  role: string;
  content: string | unknown[];
  [key: string]: unknown;
}

export interface ChatTemplateOptions {
  /** Append the prompt that starts the assistant's turn. Default false. */
  addGenerationPrompt?: boolean;
  /** A Jinja template, or the name of one of the config's named templates. */
  chatTemplate?: string;
  /** Tool (function) definitions, passed to the template as `tools`. */
  tools?: unknown[];
  /** Retrieved documents, passed to the template as `documents`. */
  documents?: unknown[];
  /** Further variables for the template (e.g. `enable_thinking`). */
  extra?: Record<string, unknown>;
}

/** The parts of tokenizer_config.json this package reads (the rest is kept as is). */
export interface TokenizerConfig extends JsonObject {
  chat_template?: string | { name: string; template: string }[];
}

const compiled = new Map<string, Template>();

function compile(source: string): Template {
  let t = compiled.get(source);
  if (!t) {
    t = new Template(source);
    if (compiled.size > 32) compiled.clear();
    compiled.set(source, t);
  }
  return t;
}

/** A special token of the config as a string (they are strings or {content: …} objects). */
function tokenString(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object' && typeof (v as { content?: unknown }).content === 'string') {
    return (v as { content: string }).content;
  }
  return undefined;
}

/** Picks the template source: an explicit template or name, else the config's default. */
export function selectChatTemplate(
  config: TokenizerConfig | null,
  options: ChatTemplateOptions,
): string {
  const configured = config?.chat_template;
  const named = new Map<string, string>();
  if (Array.isArray(configured)) {
    for (const t of configured) named.set(t.name, t.template);
  }
  if (options.chatTemplate !== undefined)
    return named.get(options.chatTemplate) ?? options.chatTemplate;
  if (typeof configured === 'string') return configured;
  if (named.size > 0) {
    if (options.tools && named.has('tool_use')) return named.get('tool_use')!;
    const d = named.get('default');
    if (d !== undefined) return d;
    throw new Error(
      `applyChatTemplate: tokenizer_config.json has named templates (${[...named.keys()].join(', ')}) but none called 'default'; pass { chatTemplate: name }`,
    );
  }
  throw new Error(
    'applyChatTemplate: this tokenizer has no chat_template (tokenizer_config.json); pass { chatTemplate }',
  );
}

/** Renders a conversation with a chat template. */
export function renderChatTemplate(
  messages: ChatMessage[],
  config: TokenizerConfig | null,
  options: ChatTemplateOptions = {},
): string {
  if (!Array.isArray(messages)) {
    throw new Error(`applyChatTemplate: messages must be an array, got ${typeof messages}`);
  }
  const source = selectChatTemplate(config, options);
  const context: Record<string, unknown> = {};
  if (config) {
    for (const [key, value] of Object.entries(config)) {
      if (key.endsWith('_token')) {
        const s = tokenString(value);
        if (s !== undefined) context[key] = s;
      }
    }
  }
  Object.assign(context, options.extra ?? {}, {
    messages,
    add_generation_prompt: options.addGenerationPrompt ?? false,
  });
  if (options.tools !== undefined) context.tools = options.tools;
  if (options.documents !== undefined) context.documents = options.documents;
  return compile(source).render(context);
}
