"""A small real MCP server over stdio (the `mcp` SDK's FastMCP), which the agents tests
configure as an MCP server plugin."""

from mcp.server.fastmcp import FastMCP

server = FastMCP("calculator")


@server.tool()
def add(a: int, b: int) -> str:
    """Add two whole numbers."""
    return f"{a} + {b} = {a + b}"


@server.tool()
def divide(a: int, b: int) -> str:
    """Divide a by b."""
    if b == 0:
        raise ValueError("cannot divide by zero")
    return str(a / b)


if __name__ == "__main__":
    server.run("stdio")
