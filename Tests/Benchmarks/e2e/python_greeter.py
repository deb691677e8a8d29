"""The benchmark services on the official Python SDK (PyPI restate-sdk), for the e2e comparison.

Same contract as BenchSupport/Services.swift: Greeter/greet returns "Hello {name}!",
Counter/add reads `count` (eager state), adds the delta, writes it back and returns it,
Runner/step returns the result of one `ctx.run` step, and Replayer/replay(n) sets key-0 … key-(n-1)
to 0 … n-1 and returns n.
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


runner = restate.Service("Runner")


@runner.handler()
async def step(ctx: restate.Context, name: str) -> str:
    async def side_effect() -> str:
        return f"token-{name}"

    return await ctx.run_typed("step", side_effect)


replayer = restate.VirtualObject("Replayer")


@replayer.handler()
async def replay(ctx: restate.ObjectContext, entries: int) -> int:
    for index in range(entries):
        ctx.set(f"key-{index}", index)
    return entries


app = restate.app(services=[greeter, counter, runner, replayer])
