/**
 * The chat format of tokenizers that oellm trains: ChatML (`<|im_start|>role\n…<|im_end|>`),
 * written into tokenizer_config.json so that transformers' `apply_chat_template` renders the
 * same prompt.
 */
export const END_OF_TEXT = '<|endoftext|>';
export const IM_START = '<|im_start|>';
export const IM_END = '<|im_end|>';

export const CHATML_TEMPLATE =
  "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

/** tokenizer_config.json for a tokenizer with these special tokens. */
export function tokenizerConfigFor(specialTokens: readonly string[]): Record<string, unknown> {
  const config: Record<string, unknown> = {
    tokenizer_class: 'PreTrainedTokenizerFast',
    model_max_length: 1_000_000,
    eos_token: specialTokens.includes(END_OF_TEXT) ? END_OF_TEXT : specialTokens[0],
    pad_token: specialTokens.includes(END_OF_TEXT) ? END_OF_TEXT : specialTokens[0],
    bos_token: null,
    unk_token: null,
    clean_up_tokenization_spaces: false,
  };
  if (specialTokens.includes(IM_START) && specialTokens.includes(IM_END)) {
    config.chat_template = CHATML_TEMPLATE;
  }
  return config;
}
