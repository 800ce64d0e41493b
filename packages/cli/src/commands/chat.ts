/**
 * `oellm chat <model>`: an interactive conversation, answers streamed token by token. Reads
 * one user message per line from stdin (a terminal or a pipe); `/reset` forgets the
 * conversation, `/exit` (or end of input) quits.
 */
import { createInterface } from 'node:readline';
import type { ChatMessage } from '@openeurollm/tokenizer';
import { CHATML_TEMPLATE, IM_END } from '../chat-format.js';
import { streamTokens, TextStreamer } from '../generation.js';
import { loadModelSource } from '../model-source.js';
import type { Output } from '../output.js';
import { type SamplingCliOptions, samplingFrom } from './generate.js';

export async function chatCommand(
  out: Output,
  modelPath: string,
  o: SamplingCliOptions & { system?: string },
): Promise<void> {
  const sampling = samplingFrom({ maxTokens: 96, temperature: 0.7, ...o });
  const m = loadModelSource(modelPath);
  const hasTemplate = Boolean(
    (m.tokenizer.config as { chat_template?: unknown } | null | undefined)?.chat_template,
  );
  if (!hasTemplate)
    out.warn(`the tokenizer has no chat template; using ChatML (<|im_start|>role …<|im_end|>)`);
  const stopIds = [...m.model.config.eosTokenId];
  const imEnd = m.tokenizer.tokenToId(IM_END);
  if (imEnd !== undefined) stopIds.push(imEnd);
  const interactive = process.stdin.isTTY === true;
  const history: ChatMessage[] = o.system ? [{ role: 'system', content: o.system }] : [];
  const turns: { user: string; assistant: string; tokens: number }[] = [];
  if (interactive && !out.json)
    out.note(out.style('dim', 'type a message; /reset starts over, /exit or Ctrl-D quits'));
  const rl = createInterface({ input: process.stdin, terminal: false });
  const prompt = () => {
    if (interactive) out.stderr.write(out.style('bold', '> '));
  };
  prompt();
  for await (const raw of rl) {
    const line = raw.trim();
    if (line === '') {
      prompt();
      continue;
    }
    if (line === '/exit' || line === '/quit') break;
    if (line === '/reset') {
      history.splice(o.system ? 1 : 0);
      out.note('(conversation reset)');
      prompt();
      continue;
    }
    history.push({ role: 'user', content: line });
    const text = m.tokenizer.applyChatTemplate(history, {
      addGenerationPrompt: true,
      ...(hasTemplate ? {} : { chatTemplate: CHATML_TEMPLATE }),
    });
    const ids = m.tokenizer.encodeIds(text, { addSpecialTokens: false });
    const streamer = new TextStreamer((x) => m.tokenizer.decode(x, { skipSpecialTokens: true }));
    let tokens = 0;
    for (const id of streamTokens(m.model, ids, {
      ...sampling,
      seed: sampling.seed + turns.length,
      stop: stopIds,
    })) {
      tokens += 1;
      out.write(streamer.push(id));
    }
    out.write(`${streamer.flush()}\n`);
    const answer = streamer.text.trim();
    history.push({ role: 'assistant', content: answer });
    turns.push({ user: line, assistant: answer, tokens });
    prompt();
  }
  rl.close();
  out.result({ model: m.modelDir, turns });
}
