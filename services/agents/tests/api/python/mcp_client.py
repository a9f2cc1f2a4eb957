"""Connects to Posey's /mcp (streamable HTTP) with the `mcp` SDK as the signed-in person,
lists the tools and calls two. Run by tests/api/mcp.rs with POSEY_BASE_URL and POSEY_TOKEN."""

import asyncio
import json
import os

from mcp import ClientSession
from mcp.client.streamable_http import streamablehttp_client


async def main():
    url = os.environ["POSEY_BASE_URL"] + "/mcp"
    headers = {"Authorization": "Bearer " + os.environ["POSEY_TOKEN"]}
    async with streamablehttp_client(url, headers=headers) as (read, write, _):
        async with ClientSession(read, write) as session:
            await session.initialize()
            tools = sorted(tool.name for tool in (await session.list_tools()).tools)
            assert tools == [
                "add_todo",
                "calendar_agenda",
                "cancel_event",
                "complete_todo",
                "create_event",
                "current_time",
                "finance_accounts",
                "finance_add_transaction",
                "finance_apply_rule",
                "finance_budget",
                "finance_categorise",
                "finance_delete_import",
                "finance_spending",
                "finance_transactions",
                "find_free_time",
                "forget",
                "get_profile",
                "home_control",
                "home_entities",
                "home_scene",
                "home_state",
                "home_watch",
                "list_todos",
                "move_event",
                "recall",
                "remember",
                "search_documents",
                "update_profile",
            ], tools
            print("tools ok")

            result = await session.call_tool("update_profile", {"name": "Grace", "time_zone": "Asia/Tokyo"})
            assert not result.isError, result
            assert json.loads(result.content[0].text)["name"] == "Grace"
            result = await session.call_tool("current_time", {})
            assert json.loads(result.content[0].text)["time_zone"] == "Asia/Tokyo", result
            print("calls ok")

            result = await session.call_tool("update_profile", {"name": 7})
            assert result.isError and "$.name: expected string" in result.content[0].text, result
            print("validation ok")


asyncio.run(main())
