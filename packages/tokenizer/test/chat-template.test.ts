/**
 * Chat templates of real tokenizer_config.json files rendered with @huggingface/jinja, checked
 * against the prompt formats these models document; named templates, tools and errors.
 */
import { describe, expect, it } from 'vitest';
import { renderChatTemplate } from '../src/index.js';
import { Tokenizer } from '../src/node.js';
import { pretrainedDir } from './helpers.js';

const conversation = [
  { role: 'system', content: 'Be brief.' },
  { role: 'user', content: 'Hi' },
  { role: 'assistant', content: 'Hello!' },
  { role: 'user', content: 'Bye' },
];

describe('chat templates of real models', () => {
  it('Llama-3', () => {
    const tok = Tokenizer.fromFile(pretrainedDir('llama3'));
    expect(tok.applyChatTemplate(conversation, { addGenerationPrompt: true })).toBe(
      '<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|>' +
        '<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>' +
        '<|start_header_id|>assistant<|end_header_id|>\n\nHello!<|eot_id|>' +
        '<|start_header_id|>user<|end_header_id|>\n\nBye<|eot_id|>' +
        '<|start_header_id|>assistant<|end_header_id|>\n\n',
    );
    // the rendered prompt encodes to the special tokens, not to their spelling
    const ids = tok.encode(tok.applyChatTemplate(conversation), { addSpecialTokens: false }).ids;
    expect(ids[0]).toBe(tok.tokenToId('<|begin_of_text|>'));
    expect(ids.filter((id) => id === tok.tokenToId('<|eot_id|>'))).toHaveLength(4);
  });

  it('Qwen3, with and without a generation prompt, thinking off, tools', () => {
    const tok = Tokenizer.fromFile(pretrainedDir('qwen3'));
    expect(tok.applyChatTemplate(conversation, { addGenerationPrompt: true })).toBe(
      '<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n' +
        '<|im_start|>assistant\nHello!<|im_end|>\n<|im_start|>user\nBye<|im_end|>\n<|im_start|>assistant\n',
    );
    expect(tok.applyChatTemplate([{ role: 'user', content: 'Hi' }])).toBe(
      '<|im_start|>user\nHi<|im_end|>\n',
    );
    expect(
      tok.applyChatTemplate([{ role: 'user', content: 'Hi' }], {
        addGenerationPrompt: true,
        extra: { enable_thinking: false },
      }),
    ).toBe('<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n');
    const tools = [
      {
        type: 'function',
        function: { name: 'get_time', description: 'Current time', parameters: {} },
      },
    ];
    const withTools = tok.applyChatTemplate([{ role: 'user', content: 'Time?' }], {
      tools,
      addGenerationPrompt: true,
    });
    expect(withTools).toContain('<tools>');
    expect(withTools).toContain('"get_time"');
  });

  it('Gemma-3 (system folded into the first user turn; roles must alternate)', () => {
    const tok = Tokenizer.fromFile(pretrainedDir('gemma3'));
    expect(tok.applyChatTemplate(conversation, { addGenerationPrompt: true })).toBe(
      '<bos><start_of_turn>user\nBe brief.\n\nHi<end_of_turn>\n<start_of_turn>model\nHello!<end_of_turn>\n' +
        '<start_of_turn>user\nBye<end_of_turn>\n<start_of_turn>model\n',
    );
    expect(() =>
      tok.applyChatTemplate([
        { role: 'user', content: 'a' },
        { role: 'user', content: 'b' },
      ]),
    ).toThrow(/Conversation roles must alternate/);
  });

  it('Llama-2 has no template; one can be passed in', () => {
    const tok = Tokenizer.fromFile(pretrainedDir('llama2'));
    expect(() => tok.applyChatTemplate(conversation)).toThrow(/no chat_template/);
    const template =
      '{% for m in messages %}[{{ m.role }}] {{ m.content }}\n{% endfor %}{% if add_generation_prompt %}[assistant]{% endif %}';
    expect(
      tok.applyChatTemplate(conversation.slice(1, 2), {
        chatTemplate: template,
        addGenerationPrompt: true,
      }),
    ).toBe('[user] Hi\n[assistant]');
  });
});

describe('template selection', () => {
  const config = {
    bos_token: { content: '<s>', lstrip: false },
    eos_token: '</s>',
    chat_template: [
      {
        name: 'default',
        template:
          '{{ bos_token }}{% for m in messages %}{{ m.content }}{{ eos_token }}{% endfor %}',
      },
      { name: 'tool_use', template: 'tools:{{ tools | length }}' },
      { name: 'rag', template: 'docs:{{ documents | length }} {{ custom }}' },
    ],
  };
  const msgs = [{ role: 'user', content: 'x' }];

  it('default, tool_use with tools, by name, extra variables', () => {
    expect(renderChatTemplate(msgs, config)).toBe('<s>x</s>');
    expect(renderChatTemplate(msgs, config, { tools: [{}, {}] })).toBe('tools:2');
    expect(
      renderChatTemplate(msgs, config, {
        chatTemplate: 'rag',
        documents: [{}],
        extra: { custom: 'y' },
      }),
    ).toBe('docs:1 y');
  });

  it('named templates without a default ask for a name', () => {
    expect(() =>
      renderChatTemplate(msgs, { chat_template: [{ name: 'a', template: 'x' }] }),
    ).toThrow(/named templates \(a\) but none called 'default'/);
  });
});
