// Drives `inferbench emulate` with the official openai npm client.
// Usage: OPENAI_API_KEY=sk-test node client.mjs BASE_URL RATE_LIMITED_BASE_URL
// BASE_URL serves gpt-oss-120b only; RATE_LIMITED_BASE_URL answers every
// request 429 with Retry-After: 2. Prints "all checks passed" on success,
// exits 1 on the first failed check.
import assert from "node:assert/strict";
import OpenAI from "openai";

const [base, limitedBase] = process.argv.slice(2);
const model = "gpt-oss-120b";
const messages = [{ role: "user", content: "Context: The river flows north.\n\nQuestion: Which way does the river flow?\n\nAnswer:" }];
const client = new OpenAI({ baseURL: base, maxRetries: 0 });

function header(err, name) {
  const h = err.headers;
  return typeof h?.get === "function" ? h.get(name) : h?.[name];
}

async function rejects(promise, cls, status) {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof cls, `want ${cls.name}, got ${err?.constructor?.name}: ${err}`);
    assert.equal(err.status, status);
    return err;
  }
  assert.fail(`want ${cls.name}, the request succeeded`);
}

// Streaming with usage.
{
  const stream = await client.chat.completions.create({ model, messages, stream: true, stream_options: { include_usage: true }, max_tokens: 256 });
  let content = "", reasoning = 0, finish = null, usage = null;
  const ids = new Set();
  for await (const chunk of stream) {
    ids.add(chunk.id);
    assert.equal(chunk.object, "chat.completion.chunk");
    if (chunk.usage) usage = chunk.usage;
    for (const c of chunk.choices) {
      content += c.delta.content ?? "";
      if (c.delta.reasoning) reasoning++;
      if (c.finish_reason) finish = c.finish_reason;
    }
  }
  assert.equal(ids.size, 1, "one id per stream");
  assert.match([...ids][0], /^chatcmpl-/);
  assert.ok(content.length > 0, "streamed content");
  assert.ok(reasoning > 0, "streamed reasoning");
  assert.equal(finish, "stop");
  assert.ok(usage && usage.completion_tokens > 0 && usage.prompt_tokens > 0, `usage ${JSON.stringify(usage)}`);
  assert.equal(usage.total_tokens, usage.prompt_tokens + usage.completion_tokens);
  console.log(`stream: ${usage.completion_tokens} tokens, content ${JSON.stringify(content)}`);
}

// Non-streaming, twice: fresh ids and request ids.
{
  const a = await client.chat.completions.create({ model, messages, temperature: 0 });
  const b = await client.chat.completions.create({ model, messages, temperature: 0 });
  assert.equal(a.object, "chat.completion");
  assert.ok(a.choices[0].message.content.length > 0);
  assert.equal(a.choices[0].message.role, "assistant");
  assert.ok(a.usage.completion_tokens > 0);
  assert.equal(a.choices[0].message.content, b.choices[0].message.content, "temperature 0 answers alike");
  assert.notEqual(a.id, b.id, "a fresh id per response");
  assert.ok(a._request_id && a._request_id !== b._request_id, `x-request-id ${a._request_id} ${b._request_id}`);
  console.log(`completion: ${a.id} request ${a._request_id}`);
}

// models.list
{
  const ids = [];
  for await (const m of client.models.list()) ids.push(m.id);
  assert.deepEqual(ids, [model]);
  console.log(`models: ${ids.join(", ")}`);
}

// 400s, 404 and 401 in the API's error object.
{
  let err = await rejects(client.chat.completions.create({ model, messages, temperature: 7 }), OpenAI.BadRequestError, 400);
  assert.equal(err.type, "invalid_request_error");
  assert.equal(err.param, "temperature");
  assert.equal(err.code, "decimal_above_max_value");
  assert.ok(err.requestID, "x-request-id on an error");
  err = await rejects(client.chat.completions.create({ model, messages: [{ role: "wizard", content: "hi" }] }), OpenAI.BadRequestError, 400);
  assert.equal(err.param, "messages[0].role");
  err = await rejects(client.chat.completions.create({ model, messages: [] }), OpenAI.BadRequestError, 400);
  assert.equal(err.code, "empty_array");
  err = await rejects(client.chat.completions.create({ model: "gpt-9", messages }), OpenAI.NotFoundError, 404);
  assert.equal(err.code, "model_not_found");
  const stranger = new OpenAI({ baseURL: base, apiKey: "sk-wrong", maxRetries: 0 });
  err = await rejects(stranger.models.list(), OpenAI.AuthenticationError, 401);
  assert.equal(err.code, "invalid_api_key");
  console.log("errors: 400, 404 and 401 as the API sends them");
}

// 429 with Retry-After.
{
  const limited = new OpenAI({ baseURL: limitedBase, maxRetries: 0 });
  const err = await rejects(limited.chat.completions.create({ model, messages, stream: true }), OpenAI.RateLimitError, 429);
  assert.equal(header(err, "retry-after"), "2");
  assert.equal(header(err, "retry-after-ms"), "2000");
  assert.equal(err.code, "rate_limit_exceeded");
  console.log("429: Retry-After 2");
}

console.log("all checks passed");
