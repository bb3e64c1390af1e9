"""sse-starlette under uvicorn for tests/probe: ``PORT MODE``; MODE ``ids`` sends numbered ids and honours
Last-Event-ID, ``plain`` sends events without ids (its default ping comments every 0.3 s)."""

import asyncio
import sys

import uvicorn
from sse_starlette.sse import EventSourceResponse
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.routing import Route

MODE = sys.argv[2]


async def events(request: Request) -> EventSourceResponse:
    start = int(request.headers.get("last-event-id", "0") or 0) + 1

    async def gen():  # type: ignore[no-untyped-def]
        n = start
        while True:
            if MODE == "ids":
                yield {"id": str(n), "event": "tick", "data": f"tick {n}", "retry": 1500}
            else:
                yield {"data": f"tick {n}"}
            n += 1
            await asyncio.sleep(0.2)

    return EventSourceResponse(gen(), ping=0.3)


app = Starlette(routes=[Route("/events", events)])
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
