"""The fidelity scenario services, written with the official Python SDK (PyPI restate-sdk).

Each one mirrors a Swift twin in Tests/RestateTestingTests/Services.swift handler by handler:
same names, kinds, inputs, outputs, state keys and errors. The Swift suite drives both through
TestRuntime and requires the same observable results.
"""

from datetime import timedelta

import restate
from restate import (
    Context,
    ObjectContext,
    ObjectSharedContext,
    RunOptions,
    Service,
    TerminalError,
    VirtualObject,
    Workflow,
    WorkflowContext,
    WorkflowSharedContext,
)

# Side effects counted per name across attempts, like the Swift twins' `Effects`.
EFFECTS: dict[str, int] = {}


def increment(name: str) -> int:
    EFFECTS[name] = EFFECTS.get(name, 0) + 1
    return EFFECTS[name]


greeter = Service("Greeter")


@greeter.handler()
async def greet(ctx: Context, name: str) -> str:
    if not name:
        raise TerminalError("name must not be empty", status_code=400)
    return f"Hello {name}!"


counter = VirtualObject("Counter")


@counter.handler()
async def add(ctx: ObjectContext, delta: int) -> int:
    value = (await ctx.get("count", type_hint=int) or 0) + delta
    ctx.set("count", value)
    return value


@counter.handler(kind="shared")
async def get(ctx: ObjectSharedContext) -> int:
    return await ctx.get("count", type_hint=int) or 0


@counter.handler(name="waitForApproval")
async def wait_for_approval(ctx: ObjectContext) -> str:
    awakeable_id, approval = ctx.awakeable(type_hint=str)
    ctx.set("awakeable", awakeable_id)
    return await approval


signup = Workflow("Signup")


@signup.main()
async def run(ctx: WorkflowContext, email: str) -> bool:
    secret = str(ctx.uuid())
    key = ctx.key()

    def send_email() -> None:
        increment(f"signup-email:{key}")

    await ctx.run_typed("send email", send_email)
    ctx.set("secret", secret)
    ctx.set("status", "Email sent")
    clicked = await ctx.promise("email.clicked", type_hint=str).value()
    ctx.set("status", "Email clicked")
    return clicked == secret


@signup.handler()
async def click(ctx: WorkflowSharedContext, secret: str) -> None:
    await ctx.promise("email.clicked", type_hint=str).resolve(secret)


@signup.handler(name="getStatus")
async def get_status(ctx: WorkflowSharedContext) -> str:
    return await ctx.get("status", type_hint=str) or "unknown"


sleeper = Service("Sleeper")


@sleeper.handler()
async def sleep(ctx: Context, seconds: int) -> str:
    await ctx.sleep(timedelta(seconds=seconds))
    return "woke up"


flaky = Service("Flaky")


@flaky.handler(name="succeedAfter")
async def succeed_after(ctx: Context, request: list[str]) -> int:
    name, failures = request[0], int(request[1])

    def step() -> int:
        attempt = increment(name)
        if attempt <= failures:
            raise ValueError(f"boom {attempt}")
        return attempt

    return await ctx.run_typed("flaky step", step, RunOptions(max_attempts=10))


@flaky.handler(name="giveUp")
async def give_up(ctx: Context, name: str) -> int:
    def step() -> int:
        raise ValueError(f"boom {increment(name)}")

    return await ctx.run_typed("hopeless step", step, RunOptions(max_attempts=2))


app = restate.app(services=[greeter, counter, signup, sleeper, flaky])
