// Prints, as JSON, the token ids js-tiktoken gives each fixture text in
// each encoding named on the command line: {"o200k_base": [[ids], ...]}.
// Special-token text is encoded as ordinary text (tiktoken's
// encode_ordinary), as stages/tokenize does.
import { readFileSync } from "node:fs";
import { getEncoding } from "js-tiktoken";

const [fixtures, ...encodings] = process.argv.slice(2);
const texts = JSON.parse(readFileSync(fixtures, "utf8"));
const out = {};
for (const name of encodings) {
  const enc = getEncoding(name);
  out[name] = texts.map((t) => enc.encode(t, [], []));
}
process.stdout.write(JSON.stringify(out));
