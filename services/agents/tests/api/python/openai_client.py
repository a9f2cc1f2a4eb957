"""Drives Posey's OpenAI-compatible API with the official `openai` SDK, as any OpenAI client
would: models, a completion (whole and streamed), client tools round trip, and errors.
Run by tests/api/openai.rs with POSEY_BASE_URL and POSEY_TOKEN; exits non-zero on failure."""

import json
import os

import openai

base_url = os.environ["POSEY_BASE_URL"] + "/v1"
client = openai.OpenAI(base_url=base_url, api_key=os.environ["POSEY_TOKEN"])

# The agents, then the chat models a person may choose (here only POSEY_MODEL=test, the
# default), each with Posey's fields beside OpenAI's.
listed = list(client.models.list())
models = [m.id for m in listed]
assert models == ["posey", "timekeeper", "plain", "test"], models
test = listed[3].model_dump()
assert test["kind"] == "chat_model" and test["default"] is True, test
assert test["profile"]["tools"] == "full", test
print("models ok")

# Non-streamed: the agent calls its own tool (current_time) and answers.
reply = client.chat.completions.create(
    model="timekeeper", messages=[{"role": "user", "content": "What time is it?"}]
)
choice = reply.choices[0]
assert choice.finish_reason == "stop", choice
assert "current_time" in choice.message.content, choice.message.content
assert choice.message.tool_calls is None
assert reply.usage.prompt_tokens > 0 and reply.usage.completion_tokens > 0, reply.usage
assert reply.model == "timekeeper" and reply.object == "chat.completion"
print("completion ok")

# Streamed, with usage at the end.
stream = client.chat.completions.create(
    model="timekeeper",
    messages=[
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": [{"type": "text", "text": "What time is it?"}]},
    ],
    stream=True,
    stream_options={"include_usage": True},
)
text, reasons, usage = "", [], None
for chunk in stream:
    if chunk.usage is not None:
        usage = chunk.usage
    for c in chunk.choices:
        text += c.delta.content or ""
        if c.finish_reason:
            reasons.append(c.finish_reason)
assert "current_time" in text, text
assert reasons == ["stop"], reasons
assert usage is not None and usage.total_tokens == usage.prompt_tokens + usage.completion_tokens
print("stream ok")

# Client tools: the model's call comes back to the client, which answers it.
tools = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "The weather in a city",
            "parameters": {
                "type": "object",
                "properties": {"city": {"type": "string"}},
                "required": ["city"],
            },
        },
    }
]
messages = [{"role": "user", "content": "Weather in Paris?"}]
reply = client.chat.completions.create(model="plain", messages=messages, tools=tools)
choice = reply.choices[0]
assert choice.finish_reason == "tool_calls", choice
call = choice.message.tool_calls[0]
assert call.type == "function" and call.function.name == "get_weather", call
assert isinstance(json.loads(call.function.arguments)["city"], str)
messages.append(choice.message.model_dump(exclude_none=True))
messages.append({"role": "tool", "tool_call_id": call.id, "content": "sunny, 21C"})
reply = client.chat.completions.create(model="plain", messages=messages, tools=tools)
assert reply.choices[0].finish_reason == "stop"
assert "sunny" in reply.choices[0].message.content, reply.choices[0].message.content
print("client tools ok")

# The same round trip, streamed: the call arrives as tool_calls deltas.
stream = client.chat.completions.create(model="plain", messages=messages[:1], tools=tools, stream=True)
names, reasons = [], []
for chunk in stream:
    for c in chunk.choices:
        for tc in c.delta.tool_calls or []:
            names.append(tc.function.name)
        if c.finish_reason:
            reasons.append(c.finish_reason)
assert names == ["get_weather"] and reasons == ["tool_calls"], (names, reasons)
print("streamed client tools ok")

# The agent's tool and the client's in one message (the test model calls every tool offered):
# only the client's comes back; the agent's ran, and the model sees its result again beside
# the client's in the follow-up.
messages = [{"role": "user", "content": "The time, and the weather in Paris?"}]
reply = client.chat.completions.create(model="timekeeper", messages=messages, tools=tools)
choice = reply.choices[0]
assert choice.finish_reason == "tool_calls", choice
assert [c.function.name for c in choice.message.tool_calls] == ["get_weather"], choice.message
messages.append(choice.message.model_dump(exclude_none=True))
call = choice.message.tool_calls[0]
messages.append({"role": "tool", "tool_call_id": call.id, "content": "sunny, 21C"})
reply = client.chat.completions.create(model="timekeeper", messages=messages, tools=tools)
content = reply.choices[0].message.content
assert reply.choices[0].finish_reason == "stop", reply.choices[0]
assert "current_time" in content and "sunny" in content, content
print("mixed tool calls ok")

try:
    client.chat.completions.create(model="nobody", messages=[{"role": "user", "content": "hi"}])
    raise AssertionError("an unknown model was accepted")
except openai.NotFoundError as error:
    assert "nobody" in str(error)
print("unknown model ok")

bad = openai.OpenAI(base_url=base_url, api_key="not-a-token")
try:
    bad.models.list()
    raise AssertionError("a bad key was accepted")
except openai.AuthenticationError:
    pass
print("bad key ok")
