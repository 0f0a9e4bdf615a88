// Prints, as JSON, the token ids Hugging Face's tokenizers.js gives each
// fixture text with each tokenizer.json named on the command line:
// {"path": [[ids], ...]}. No special tokens are added (the chat
// template's are not part of the counted text).
import { readFileSync } from "node:fs";
import { Tokenizer } from "@huggingface/tokenizers";

const [fixtures, ...files] = process.argv.slice(2);
const texts = JSON.parse(readFileSync(fixtures, "utf8"));
const out = {};
for (const file of files) {
  const tok = new Tokenizer(JSON.parse(readFileSync(file, "utf8")), {});
  out[file] = texts.map((t) => tok.encode(t, { add_special_tokens: false }).ids);
}
process.stdout.write(JSON.stringify(out));
