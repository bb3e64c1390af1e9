"""``wiretool views``: the payload-view registry, one line per view (name, subprotocols, what it decodes).

Under ``--json`` one object per view: ``{"name", "subprotocols", "sticky", "summary"}``. The same names are
what ``--view NAME`` accepts (``ws connect``, ``sse tail``, ``frame decode --capture``).
"""

from __future__ import annotations

import click

from wiretool.cli.options import global_options, make_env


def view_option(func):  # type: ignore[no-untyped-def]
    """``--view NAME``: force a payload view for every message (``raw``: none); default: picked per connection."""
    return click.option("--view", "view_name", metavar="NAME", default=None,
                        help="Decode every message with this payload view ('raw': none; see 'wiretool views'). "
                             "Default: picked from the subprotocol, the URL and the first packets.")(func)


def resolve_view(name: str | None):  # type: ignore[no-untyped-def]
    """The view ``--view NAME`` names (None when not given or ``raw``); a usage error for an unknown name."""
    if name is None:
        return None, True
    from wiretool import views
    from wiretool.errors import UsageError

    view = views.by_name(name)
    if view is None:
        known = ", ".join(v.name for v in views.VIEWS)
        raise UsageError(f"--view {name!r}: no such view (known: {known})")
    if view is views.RAW:
        return None, False
    return view, True


def describe() -> list[dict[str, object]]:
    """The registry as rows, in order of preference."""
    from wiretool import views

    rows: list[dict[str, object]] = []
    for view in views.VIEWS:
        doc = (type(view).__doc__ or "").strip().split("\n")[0]
        rows.append({"name": view.name, "subprotocols": list(getattr(view, "subprotocols", ())),
                     "sticky": views.is_sticky(view), "summary": getattr(view, "summary", doc)})
    return rows


@click.command(name="views")
@global_options
def list_views() -> int:
    """List the payload views: name, the subprotocols that pick them, what they decode.

    \b
    Examples:
      wiretool views
      wiretool ws connect ws://127.0.0.1:3000/socket.io/?EIO=4&transport=websocket --view socketio
    """
    from wiretool.output.sink import Output

    env = make_env()
    out = Output(env, proto="")
    rows = describe()
    if env.json:
        for row in rows:
            out.write_json({"type": "view", **row})
        return 0
    from rich.text import Text

    width = max(len(str(r["name"])) for r in rows)
    for row in rows:
        subs = ", ".join(row["subprotocols"]) or "-"  # type: ignore[arg-type]
        out.console.print(Text(f"{row['name']:<{width}}  {subs:<28}  {row['summary']}"))
    return 0
