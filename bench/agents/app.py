"""The same turn as bench/agents/run measures on Posey, on the stack the original design
proposed: FastAPI + pydantic-ai, with pydantic-ai's TestModel (which calls every tool once with
schema-valid arguments, then answers). One tool, `current_time`, answering now in the person's
time zone; the request and response follow OpenAI's chat completions shape, as Posey's do."""

from datetime import datetime, timezone

from fastapi import FastAPI
from pydantic import BaseModel
from pydantic_ai import Agent
from pydantic_ai.models.test import TestModel

agent = Agent(TestModel(), instructions="You tell the time.")


@agent.tool_plain
def current_time() -> dict:
    """The current date, time and weekday in the person's time zone."""
    now = datetime.now(timezone.utc)
    return {"now": now.isoformat(timespec="seconds"), "time_zone": "UTC", "weekday": now.strftime("%A")}


class Message(BaseModel):
    role: str
    content: str


class ChatRequest(BaseModel):
    model: str
    messages: list[Message]


app = FastAPI()


@app.post("/v1/chat/completions")
async def chat_completions(request: ChatRequest):
    result = await agent.run(request.messages[-1].content)
    usage = result.usage()
    return {
        "object": "chat.completion",
        "model": request.model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": result.output},
                "finish_reason": "stop",
            }
        ],
        "usage": {
            "prompt_tokens": usage.input_tokens,
            "completion_tokens": usage.output_tokens,
            "total_tokens": usage.total_tokens,
        },
    }
