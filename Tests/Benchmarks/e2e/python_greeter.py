"""The benchmark services on the official Python SDK (PyPI restate-sdk), for the e2e comparison.

Same contract as BenchSupport/Services.swift: Greeter/greet returns "Hello {name}!", and
Counter/add reads `count` (eager state), adds the delta, writes it back and returns it.
Served with hypercorn over h2c by run.sh:  hypercorn --bind 127.0.0.1:PORT python_greeter:app
"""

import restate

greeter = restate.Service("Greeter")


@greeter.handler()
async def greet(ctx: restate.Context, name: str) -> str:
    return f"Hello {name}!"


counter = restate.VirtualObject("Counter")


@counter.handler()
async def add(ctx: restate.ObjectContext, delta: int) -> int:
    value = (await ctx.get("count") or 0) + delta
    ctx.set("count", value)
    return value


app = restate.app(services=[greeter, counter])
