"""``actloss lesson [NAME]``: list the lessons, or run one and explain what it measured."""

from __future__ import annotations

from . import CLIError


def add_parser(sub) -> None:
    p = sub.add_parser(
        "lesson", help="run a small experiment that shows one textbook claim, and explain it",
        description="Without NAME, list the lessons. With NAME, run that lesson's experiment "
                    "(seconds), print what it measured in words, and write NAME.html (text "
                    "and figures) and, with matplotlib, NAME.png into --out.",
        epilog="Example: actloss lesson vanishing-gradients --out lessons/")
    p.add_argument("name", nargs="?", metavar="NAME", help="a lesson; omit to list them")
    p.add_argument("--out", default="runs/lessons", metavar="DIR",
                   help="folder for NAME.html and NAME.png (default: runs/lessons)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    p.set_defaults(func=run)


def lesson_list() -> str:
    from .. import lessons

    width = max(len(n) for n in lessons.names())
    import textwrap

    lines = []
    for name, lesson in lessons.LESSONS.items():
        body = textwrap.wrap(lesson.title, 78 - width - 2) or [""]
        lines.append(f"{name.ljust(width)}  {body[0]}")
        lines += [" " * (width + 2) + more for more in body[1:]]
    lines.append("")
    lines.append("Run one: actloss lesson NAME [--out DIR]")
    return "\n".join(lines)


def run(args) -> int:
    from .. import lessons

    if not args.name:
        print(lesson_list())
        return 0
    try:
        lesson = lessons.get(args.name)
    except ValueError as exc:
        raise CLIError(str(exc)) from None
    outcome = lesson.run(seed=args.seed)
    print(outcome.terminal())
    files = outcome.write(args.out)
    print()
    if files["note"]:
        print(files["note"])
    print(f"Page: {files['html']}" + (f"\nFigure: {files['png']}" if files["png"] else ""))
    print(f"({outcome.seconds:.1f} s)")
    return 0
